import Glibc

/// A failed system call: the call's name and its errno.
struct SystemError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32

    /// Captures the current errno for `operation`.
    static func last(_ operation: String) -> SystemError {
        SystemError(operation: operation, code: errno)
    }

    var description: String { "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))" }
}
