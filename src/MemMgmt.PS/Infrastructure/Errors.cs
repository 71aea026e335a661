using System.Management.Automation;
using MemMgmt.Core;

namespace MemMgmt.PS.Infrastructure
{
    /// <summary>Maps Core rejections to ErrorRecords with stable ids and the right category.</summary>
    public static class Errors
    {
        public static ErrorCategory Category(ErrorKind kind) => kind switch
        {
            ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
            ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
            ErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
            ErrorKind.OutOfRange => ErrorCategory.InvalidArgument,
            ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
            ErrorKind.InvalidData => ErrorCategory.InvalidData,
            _ => ErrorCategory.NotSpecified,
        };

        public static ErrorRecord ToRecord(MemMgmtException e) =>
            new ErrorRecord(e, e.ErrorId, Category(e.Kind), e.Target);

        public static ErrorRecord Make(string id, ErrorCategory category, string message, object? target) =>
            new ErrorRecord(new System.ArgumentException(message), id, category, target);
    }
}
