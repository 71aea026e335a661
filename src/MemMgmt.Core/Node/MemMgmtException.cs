using System;

namespace MemMgmt.Core
{
    /// <summary>What kind of mistake a rejected request was; the cmdlets map it to an ErrorCategory.</summary>
    public enum ErrorKind
    {
        InvalidArgument,
        InvalidOperation,
        ObjectNotFound,
        OutOfRange,
        ResourceUnavailable,
        InvalidData,
    }

    /// <summary>A rejected request: thrown before any state changes, with a stable id the cmdlets surface.</summary>
    public sealed class MemMgmtException : Exception
    {
        public MemMgmtException(string errorId, ErrorKind kind, string message, object? target = null)
            : base(message)
        {
            ErrorId = errorId;
            Kind = kind;
            Target = target;
        }

        public string ErrorId { get; }
        public ErrorKind Kind { get; }
        public object? Target { get; }
    }
}
