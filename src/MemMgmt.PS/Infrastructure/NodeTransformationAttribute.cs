using System;
using System.Management.Automation;
using MemMgmt.Core.Node;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>
    /// Lets -Node take a node name as well as a node: a string is looked up in the runspace's NodeRegistry.
    /// An unknown name is rejected here, at binding, with a message that says NodeNotFound and names the
    /// session's nodes (the engine reports it as ParameterArgumentTransformationError). Anything that is
    /// not a string passes through, so a MemNode binds as before.
    /// </summary>
    public sealed class NodeTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (!(value is string name)) return inputData;
            var registry = NodeRegistry.ForDefaultRunspace();
            MemNode? node = registry?.Find(name);
            if (node != null) return node;
            string existing = registry == null ? "(none)" : Commands.GetMemNodeCommand.Names(registry);
            throw new ArgumentTransformationMetadataException(
                $"NodeNotFound: -Node '{name}': no node of this session has that name; existing: {existing}.");
        }
    }
}
