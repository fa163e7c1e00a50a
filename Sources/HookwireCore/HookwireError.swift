/// An error of any Hookwire operation: a code that callers branch on and a message for people
/// that names the value at fault.
public struct HookwireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong. New codes may be added, so switch statements need a default case.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// An argument was invalid: an empty name, a bad URL, malformed JSON.
        public static let invalidArgument = Code(rawValue: 1)
        /// The webhook, delivery or other record does not exist.
        public static let notFound = Code(rawValue: 2)
        /// The caller's application token does not own the record.
        public static let permissionDenied = Code(rawValue: 3)
        /// A payload or a request was over a configured limit.
        public static let tooLarge = Code(rawValue: 4)
        /// The database could not be read or written (I/O error, disk full, locked).
        public static let storage = Code(rawValue: 5)
        /// The database file is not a Hookwire database or is damaged.
        public static let corruptDatabase = Code(rawValue: 6)
        /// The database was written by a newer Hookwire with a schema this one does not know.
        public static let unsupportedSchema = Code(rawValue: 7)
        /// The database is read-only and a write was needed.
        public static let readOnly = Code(rawValue: 8)
        /// A delivery target could not be reached or responded with a failure.
        public static let deliveryFailed = Code(rawValue: 9)
        /// The engine or server is shutting down or not started.
        public static let unavailable = Code(rawValue: 10)
        /// A call timed out.
        public static let timedOut = Code(rawValue: 11)
        /// The caller is not authenticated.
        public static let unauthenticated = Code(rawValue: 12)
        /// A bug or an unexpected failure of a library below Hookwire.
        public static let internalError = Code(rawValue: 13)
        /// The call was cancelled.
        public static let cancelled = Code(rawValue: 14)
        /// A record already exists or a state does not allow the call.
        public static let failedPrecondition = Code(rawValue: 15)

        public var description: String {
            switch self {
            case .invalidArgument: "invalid argument"
            case .notFound: "not found"
            case .permissionDenied: "permission denied"
            case .tooLarge: "too large"
            case .storage: "storage error"
            case .corruptDatabase: "corrupt database"
            case .unsupportedSchema: "unsupported schema"
            case .readOnly: "read-only database"
            case .deliveryFailed: "delivery failed"
            case .unavailable: "unavailable"
            case .timedOut: "timed out"
            case .unauthenticated: "unauthenticated"
            case .internalError: "internal error"
            case .cancelled: "cancelled"
            case .failedPrecondition: "failed precondition"
            default: "error \(rawValue)"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func invalidArgument(_ message: String) -> HookwireError { .init(.invalidArgument, message) }
    public static func notFound(_ message: String) -> HookwireError { .init(.notFound, message) }
}
