/// An error of signing or verifying a webhook payload: a code that callers branch on and a
/// message that names the value at fault. Messages never contain a secret or a key.
public struct SignatureError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure. Codes are only ever appended, so switch statements need a default case.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// The secret is empty, or a `whsec_` secret is not valid base64 or decodes to fewer than
        /// 24 or more than 64 bytes.
        public static let invalidSecret = Code(rawValue: 1)
        /// A required header (`webhook-id`, `webhook-timestamp` or `webhook-signature`) is absent.
        public static let missingHeader = Code(rawValue: 2)
        /// The `webhook-timestamp` value is not a non-negative integer of Unix seconds.
        public static let invalidTimestamp = Code(rawValue: 3)
        /// The timestamp is further in the past than the tolerance allows.
        public static let timestampTooOld = Code(rawValue: 4)
        /// The timestamp is further in the future than the tolerance allows.
        public static let timestampTooNew = Code(rawValue: 5)
        /// No signature in the request matches the body under any of the keys.
        public static let noMatchingSignature = Code(rawValue: 6)
        /// A header is present but unusable: empty, or repeated with different values.
        public static let invalidHeader = Code(rawValue: 7)
        /// OpenSSL rejected the key or failed to set up HMAC-SHA256.
        public static let cryptoFailure = Code(rawValue: 8)

        public var description: String {
            switch self {
            case .invalidSecret: "invalid secret"
            case .missingHeader: "missing header"
            case .invalidTimestamp: "invalid timestamp"
            case .timestampTooOld: "timestamp too old"
            case .timestampTooNew: "timestamp too new"
            case .noMatchingSignature: "no matching signature"
            case .invalidHeader: "invalid header"
            case .cryptoFailure: "crypto failure"
            default: "error \(rawValue)"
            }
        }
    }

    /// The kind of failure.
    public var code: Code
    /// A sentence for people that names the value at fault.
    public var message: String

    /// Creates an error with a code and a message for people.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
