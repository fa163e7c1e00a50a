import COpenSSL

/// A 32-byte HMAC-SHA256 value, kept inline so that computing one allocates nothing.
///
/// Equality compares in constant time (`CRYPTO_memcmp`), so `==` is safe on a value received
/// from a client.
public struct MessageAuthenticationCode: Sendable, Equatable, CustomStringConvertible {
    /// The length of an HMAC-SHA256 value in bytes.
    public static let byteCount = 32

    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Creates a value from exactly 32 bytes, or returns nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        withUnsafeMutableBytes(of: &storage) { output in
            _ = output.initializeMemory(as: UInt8.self, from: bytes)
        }
    }

    /// Creates a value by letting `fill` write all 32 bytes.
    init(filling fill: (UnsafeMutableRawBufferPointer) -> Void) {
        withUnsafeMutableBytes(of: &storage) { fill($0) }
    }

    /// Calls `body` with the 32 bytes of the value.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// The 32 bytes as an array.
    public var bytes: [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// Encodes the value as standard base64 (44 characters, padded), as sent in
    /// `webhook-signature` after `v1,` and in `X-Hookwire-Signature`.
    public func base64EncodedString() -> String {
        withUnsafeBytes { Base64.encodedString($0) }
    }

    /// Encodes the value as lowercase hex (64 characters), as sent in `X-Hub-Signature-256`
    /// after `sha256=`.
    public func hexEncodedString() -> String {
        withUnsafeBytes { Hex.encodedString($0) }
    }

    /// Compares with `other` in constant time.
    public static func == (lhs: MessageAuthenticationCode, rhs: MessageAuthenticationCode) -> Bool {
        lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in constantTimeEqual(left, right) }
        }
    }

    /// The base64 text, which is safe to show: a MAC does not reveal its key.
    public var description: String { base64EncodedString() }
}

/// Compares two byte ranges with `CRYPTO_memcmp`, whose running time depends only on the length.
/// Ranges of different lengths are unequal; the lengths of signatures are not secret.
func constantTimeEqual(_ left: UnsafeRawBufferPointer, _ right: UnsafeRawBufferPointer) -> Bool {
    guard left.count == right.count else { return false }
    guard let leftBase = left.baseAddress, let rightBase = right.baseAddress else { return true }
    return CRYPTO_memcmp(leftBase, rightBase, left.count) == 0
}
