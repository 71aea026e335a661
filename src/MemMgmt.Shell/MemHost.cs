using System;
using System.Globalization;
using System.Management.Automation.Host;

namespace MemMgmt.Shell
{
    /// <summary>
    /// The PSHost memsh gives the engine. Its one piece of state that matters is the exit
    /// request: the engine turns a top-level `exit N` into SetShouldExit(N), and the
    /// runner reads ShouldExit/ExitCode after each pipeline.
    /// </summary>
    internal sealed class MemHost : PSHost
    {
        private readonly MemHostUI _ui = new MemHostUI();
        private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
        private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

        public override string Name => "memsh";

        public override Version Version { get; } = typeof(MemHost).Assembly.GetName().Version ?? new Version(0, 1);

        public override Guid InstanceId { get; } = Guid.NewGuid();

        public override CultureInfo CurrentCulture => _culture;

        public override CultureInfo CurrentUICulture => _uiCulture;

        public override PSHostUserInterface UI => _ui;

        /// <summary>Typed access for the runner (progress clean-up).</summary>
        public MemHostUI MemUI => _ui;

        public bool ShouldExit { get; private set; }

        public int ExitCode { get; private set; }

        public override void SetShouldExit(int exitCode)
        {
            ShouldExit = true;
            ExitCode = exitCode;
        }

        public override void EnterNestedPrompt() =>
            throw new NotSupportedException("memsh does not support nested prompts.");

        public override void ExitNestedPrompt() =>
            throw new NotSupportedException("memsh does not support nested prompts.");

        public override void NotifyBeginApplication()
        {
        }

        public override void NotifyEndApplication()
        {
        }
    }
}
