import CHookwireHeader
import Foundation

/// The library's version; it must equal HW_VERSION_MAJOR/MINOR/PATCH in the header, which the
/// C tests check through `hw_version()` and `hw_version_number()`.
enum LibraryVersion {
    static let major: Int32 = 1
    static let minor: Int32 = 0
    static let patch: Int32 = 0
    nonisolated(unsafe) static let cString: UnsafeMutablePointer<CChar> = strdup("\(major).\(minor).\(patch)")
}

@c @implementation
public func hw_version() -> UnsafePointer<CChar>? {
    UnsafePointer(LibraryVersion.cString)
}

@c @implementation
public func hw_version_number() -> Int32 {
    LibraryVersion.major * 10000 + LibraryVersion.minor * 100 + LibraryVersion.patch
}

/// Static descriptions of the status codes, indexed by value.
private enum StatusMessages {
    private static let texts: [String] = [
        "ok", "misuse of the interface", "invalid argument", "not found", "permission denied",
        "too large", "storage error", "corrupt database", "unsupported schema", "read-only database",
        "delivery failed", "unavailable", "timed out", "unauthenticated", "internal error", "cancelled",
        "failed precondition", "signature invalid",
    ]
    nonisolated(unsafe) static let table: [UnsafeMutablePointer<CChar>] = texts.map { strdup($0)! }
    nonisolated(unsafe) static let unknown: UnsafeMutablePointer<CChar> = strdup("unknown status")
}

@c @implementation
public func hw_status_message(_ status: hw_status) -> UnsafePointer<CChar>? {
    let index = Int(status.rawValue)
    guard index < StatusMessages.table.count else { return UnsafePointer(StatusMessages.unknown) }
    return UnsafePointer(StatusMessages.table[index])
}

@c @implementation
public func hw_last_error_message() -> UnsafePointer<CChar>? {
    ThreadLastError.get()
}

@c @implementation
public func hw_free(_ pointer: UnsafeMutableRawPointer?) {
    free(pointer)
}
