import HookwireCore

/// The status of a finished call, numbered as gRPC numbers its status codes.
///
/// Unknown numbers from a peer are kept as they are, so new codes do not break old readers.
public struct StatusCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The call succeeded.
    public static let ok = StatusCode(rawValue: 0)
    /// The call was cancelled, usually by its caller.
    public static let cancelled = StatusCode(rawValue: 1)
    /// An error without a better code.
    public static let unknown = StatusCode(rawValue: 2)
    /// The request was invalid whatever the server's state: a bad URL, an empty name.
    public static let invalidArgument = StatusCode(rawValue: 3)
    /// The deadline passed before the call finished.
    public static let deadlineExceeded = StatusCode(rawValue: 4)
    /// The webhook, delivery or other record does not exist.
    public static let notFound = StatusCode(rawValue: 5)
    /// The record already exists.
    public static let alreadyExists = StatusCode(rawValue: 6)
    /// The caller may not do this, for example change another application's hook.
    public static let permissionDenied = StatusCode(rawValue: 7)
    /// A limit was reached: too many streams, a payload too large.
    public static let resourceExhausted = StatusCode(rawValue: 8)
    /// The server's state does not allow the call.
    public static let failedPrecondition = StatusCode(rawValue: 9)
    /// The call was aborted by a conflict.
    public static let aborted = StatusCode(rawValue: 10)
    /// A value was outside its valid range.
    public static let outOfRange = StatusCode(rawValue: 11)
    /// The method is unknown or not implemented by this server.
    public static let unimplemented = StatusCode(rawValue: 12)
    /// A bug or an unexpected failure on the server.
    public static let `internal` = StatusCode(rawValue: 13)
    /// The server cannot serve now (shutting down, storage busy); retrying may succeed.
    public static let unavailable = StatusCode(rawValue: 14)
    /// Data was lost or corrupted.
    public static let dataLoss = StatusCode(rawValue: 15)
    /// The caller did not present a valid token.
    public static let unauthenticated = StatusCode(rawValue: 16)

    /// The gRPC name, such as `NOT_FOUND`, or `STATUS_<n>` for an unknown number.
    public var description: String {
        switch rawValue {
        case 0: "OK"
        case 1: "CANCELLED"
        case 2: "UNKNOWN"
        case 3: "INVALID_ARGUMENT"
        case 4: "DEADLINE_EXCEEDED"
        case 5: "NOT_FOUND"
        case 6: "ALREADY_EXISTS"
        case 7: "PERMISSION_DENIED"
        case 8: "RESOURCE_EXHAUSTED"
        case 9: "FAILED_PRECONDITION"
        case 10: "ABORTED"
        case 11: "OUT_OF_RANGE"
        case 12: "UNIMPLEMENTED"
        case 13: "INTERNAL"
        case 14: "UNAVAILABLE"
        case 15: "DATA_LOSS"
        case 16: "UNAUTHENTICATED"
        default: "STATUS_\(rawValue)"
        }
    }
}

extension StatusCode {
    /// The status a server sends for an error of the engine.
    public init(_ code: HookwireError.Code) {
        switch code {
        case .invalidArgument: self = .invalidArgument
        case .notFound: self = .notFound
        case .permissionDenied: self = .permissionDenied
        case .tooLarge: self = .resourceExhausted
        case .storage, .unavailable: self = .unavailable
        case .corruptDatabase: self = .dataLoss
        case .unsupportedSchema, .readOnly, .failedPrecondition: self = .failedPrecondition
        case .deliveryFailed: self = .aborted
        case .timedOut: self = .deadlineExceeded
        case .unauthenticated: self = .unauthenticated
        case .cancelled: self = .cancelled
        default: self = .internal
        }
    }

    /// The engine error code closest to this status, for a client that only has the status.
    /// A `Status` message's `errorCode` field, when present, gives the exact code instead.
    public var hookwireCode: HookwireError.Code {
        switch self {
        case .invalidArgument, .outOfRange: .invalidArgument
        case .notFound: .notFound
        case .permissionDenied: .permissionDenied
        case .resourceExhausted: .tooLarge
        case .unavailable: .unavailable
        case .dataLoss: .corruptDatabase
        case .failedPrecondition, .alreadyExists: .failedPrecondition
        case .aborted: .deliveryFailed
        case .deadlineExceeded: .timedOut
        case .unauthenticated: .unauthenticated
        case .cancelled: .cancelled
        default: .internalError
        }
    }
}
