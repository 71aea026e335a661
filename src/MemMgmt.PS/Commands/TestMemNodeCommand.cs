using System.Management.Automation;
using MemMgmt.Core.Debug;
using MemMgmt.Core.Node;
using MemMgmt.PS.Infrastructure;
using MemMgmt.PS.Results;

namespace MemMgmt.PS.Commands
{
    /// <summary>Test-MemNode: runs the invariant checker (the simulator's VM_BUG_ONs) over a node.</summary>
    [Cmdlet(VerbsDiagnostic.Test, "MemNode")]
    [OutputType(typeof(NodeTestResult))]
    [OutputType(typeof(bool))]
    public sealed class TestMemNodeCommand : MemNodeCmdlet
    {
        [Parameter]
        public SwitchParameter Quiet { get; set; }

        [Parameter]
        public SwitchParameter ThrowOnFailure { get; set; }

        protected override void ProcessNode(MemNode node)
        {
            var result = new NodeTestResult(node, InvariantChecker.Check(node));
            if (!result.Passed && ThrowOnFailure)
                ThrowTerminatingError(Errors.Make("InvariantViolated", ErrorCategory.InvalidData,
                    $"Node '{node.Name}' breaks {result.ViolationCount} invariant(s); first: {result.Violations[0]}", result));
            if (Quiet) WriteObject(result.Passed);
            else WriteObject(result);
        }
    }
}
