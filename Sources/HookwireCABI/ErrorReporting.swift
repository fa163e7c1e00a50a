import CHookwireHeader
import Foundation
import HookwireCore
import HookwireSigning

/// A failure of an exported function, already expressed as a C status and a message.
struct CABIError: Error {
    var status: hw_status
    var message: String

    init(_ status: hw_status, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Creates the error for a broken call contract: NULL where a value is required, bad UTF-8,
    /// a released handle.
    static func misuse(_ message: String) -> CABIError { CABIError(HW_ERROR_MISUSE, message) }
}

/// Maps any error thrown below the C boundary to a status code and a message.
///
/// This is the one place that turns Swift errors into `hw_status` values, so that a new
/// `HookwireError.Code` needs one new line here and one appended enumerator in the header.
func statusAndMessage(for error: any Error) -> (hw_status, String) {
    switch error {
    case let error as CABIError:
        return (error.status, error.message)
    case let error as HookwireError:
        return (status(for: error.code), error.message)
    case let error as SignatureError:
        return (status(for: error.code), error.message)
    default:
        return (HW_ERROR_INTERNAL, "unexpected error: \(error)")
    }
}

/// Returns the status for a `HookwireError` code. Codes 1 to 15 keep their order, one above the
/// Swift value, because `HW_ERROR_MISUSE` takes 1.
func status(for code: HookwireError.Code) -> hw_status {
    switch code {
    case .invalidArgument: HW_ERROR_INVALID_ARGUMENT
    case .notFound: HW_ERROR_NOT_FOUND
    case .permissionDenied: HW_ERROR_PERMISSION_DENIED
    case .tooLarge: HW_ERROR_TOO_LARGE
    case .storage: HW_ERROR_STORAGE
    case .corruptDatabase: HW_ERROR_CORRUPT_DATABASE
    case .unsupportedSchema: HW_ERROR_UNSUPPORTED_SCHEMA
    case .readOnly: HW_ERROR_READ_ONLY
    case .deliveryFailed: HW_ERROR_DELIVERY_FAILED
    case .unavailable: HW_ERROR_UNAVAILABLE
    case .timedOut: HW_ERROR_TIMED_OUT
    case .unauthenticated: HW_ERROR_UNAUTHENTICATED
    case .internalError: HW_ERROR_INTERNAL
    case .cancelled: HW_ERROR_CANCELLED
    case .failedPrecondition: HW_ERROR_FAILED_PRECONDITION
    default: HW_ERROR_INTERNAL
    }
}

/// Returns the status for a signature error: an unusable secret is an invalid argument, every
/// verification failure is `HW_ERROR_SIGNATURE_INVALID`.
func status(for code: SignatureError.Code) -> hw_status {
    switch code {
    case .invalidSecret: HW_ERROR_INVALID_ARGUMENT
    case .cryptoFailure: HW_ERROR_INTERNAL
    default: HW_ERROR_SIGNATURE_INVALID
    }
}

/// Runs the body of an exported function: returns `HW_OK`, or records the failure in the
/// thread's last error (and in `slot`, the handle's own message, when there is one) and returns
/// its status. Nothing thrown escapes.
func runReportingStatus(_ slot: LastErrorSlot? = nil, _ body: () throws -> Void) -> hw_status {
    do {
        try body()
        return HW_OK
    } catch {
        let (status, message) = statusAndMessage(for: error)
        ThreadLastError.set(message)
        slot?.set(message)
        return status
    }
}

/// Records a misuse found by a function that returns no status, such as a getter.
func reportMisuse(_ message: String) {
    ThreadLastError.set(message)
}
