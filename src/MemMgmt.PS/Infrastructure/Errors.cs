using System;
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

        /// <summary>An ErrorRecord whose exception type fits the category (ArgumentException for bad arguments,
        /// InvalidOperationException for wrong state, ItemNotFoundException for missing objects).</summary>
        public static ErrorRecord Make(string id, ErrorCategory category, string message, object? target)
        {
            Exception ex = category switch
            {
                ErrorCategory.InvalidArgument => new ArgumentException(message),
                ErrorCategory.ObjectNotFound => new ItemNotFoundException(message),
                ErrorCategory.ResourceExists => new InvalidOperationException(message),
                ErrorCategory.InvalidOperation => new InvalidOperationException(message),
                ErrorCategory.ResourceUnavailable => new InvalidOperationException(message),
                ErrorCategory.InvalidData => new InvalidOperationException(message),
                _ => new Exception(message),
            };
            return new ErrorRecord(ex, id, category, target);
        }
    }
}
