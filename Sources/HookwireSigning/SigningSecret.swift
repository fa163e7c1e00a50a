import COpenSSL

/// The rule that turns a webhook secret into an HMAC key, and the generator of new secrets.
///
/// A secret that starts with `whsec_` is the Standard Webhooks form: the rest is standard base64
/// of 24 to 64 random bytes, and the decoded bytes are the HMAC key. Any other secret is used as
/// its UTF-8 bytes. Standard Webhooks verifiers (the `standardwebhooks` and `svix` libraries)
/// always base64-decode the secret they are given, so receivers that use them need a `whsec_`
/// secret. A plain-text secret only works with receivers that use its bytes as the key.
public enum SigningSecret {
    /// The prefix that marks a base64 Standard Webhooks secret.
    public static let prefix = "whsec_"
    /// The minimum number of bytes a `whsec_` secret may decode to.
    public static let minimumKeyByteCount = 24
    /// The maximum number of bytes a `whsec_` secret may decode to.
    public static let maximumKeyByteCount = 64

    /// Returns the HMAC key bytes of `secret`.
    ///
    /// - Throws: ``SignatureError/Code/invalidSecret`` when the secret is empty, or when a
    ///   `whsec_` secret is not valid base64 or decodes to fewer than 24 or more than 64 bytes.
    ///   The message names the rule that failed and never contains the secret.
    public static func keyBytes(of secret: String) throws(SignatureError) -> [UInt8] {
        guard !secret.isEmpty else {
            throw SignatureError(.invalidSecret, "the secret is empty")
        }
        guard secret.hasPrefix(prefix) else {
            return Array(secret.utf8)
        }
        let encoded = secret.utf8.dropFirst(prefix.utf8.count)
        guard let key = Base64.decode(Substring(encoded)) else {
            throw SignatureError(
                .invalidSecret,
                "the \(prefix) secret is not valid base64 after the prefix (\(encoded.count) characters); "
                    + "expected padded standard base64 of \(minimumKeyByteCount) to \(maximumKeyByteCount) bytes")
        }
        guard key.count >= minimumKeyByteCount else {
            throw SignatureError(
                .invalidSecret,
                "the \(prefix) secret decodes to \(key.count) bytes, fewer than the minimum of \(minimumKeyByteCount)")
        }
        guard key.count <= maximumKeyByteCount else {
            throw SignatureError(
                .invalidSecret,
                "the \(prefix) secret decodes to \(key.count) bytes, more than the maximum of \(maximumKeyByteCount)")
        }
        return key
    }

    /// Returns a new `whsec_` secret of `byteCount` random bytes from OpenSSL's CSPRNG.
    ///
    /// - Parameter byteCount: 24 to 64; the default 32 matches the key size of HMAC-SHA256.
    /// - Throws: ``SignatureError/Code/invalidSecret`` for a byte count outside 24...64, and
    ///   ``SignatureError/Code/cryptoFailure`` when `RAND_bytes` fails.
    public static func generate(byteCount: Int = 32) throws(SignatureError) -> String {
        guard (minimumKeyByteCount...maximumKeyByteCount).contains(byteCount) else {
            throw SignatureError(
                .invalidSecret,
                "a generated secret has \(minimumKeyByteCount) to \(maximumKeyByteCount) bytes, not \(byteCount)")
        }
        var key = [UInt8](repeating: 0, count: byteCount)
        guard RAND_bytes(&key, Int32(byteCount)) == 1 else {
            throw SignatureError(.cryptoFailure, "RAND_bytes failed: \(OpenSSLHMAC.drainErrorQueue())")
        }
        defer { OPENSSL_cleanse(&key, key.count) }
        return prefix + Base64.encodedString(key)
    }
}
