/// Signing by the Standard Webhooks specification (v1.0.0): HMAC-SHA256 over
/// `{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>` in `webhook-signature`.
public enum StandardWebhooks {
    /// The header with the message id, the same on every attempt of one message.
    public static let idHeader = "webhook-id"
    /// The header with the Unix time in seconds of the attempt.
    public static let timestampHeader = "webhook-timestamp"
    /// The header with one or more space-separated `v1,<base64>` signatures.
    public static let signatureHeader = "webhook-signature"
    /// The signature version this module writes and checks.
    public static let version = "v1"
    /// The default tolerance of a verifier, in seconds, in either direction: 5 minutes.
    public static let defaultToleranceSeconds: Int64 = 300

    /// Length of one `v1,<base64>` entry: the prefix and 44 base64 characters.
    static let entryLength = 3 + Base64.encodedLength(of: MessageAuthenticationCode.byteCount)

    /// Returns the `webhook-signature` value: one `v1,<base64>` entry per key, separated by single
    /// spaces, in the order of `keys`. Signing with the old and the new key while a secret is
    /// rotated lets receivers that know either one verify.
    ///
    /// - Parameters:
    ///   - id: The `webhook-id` value.
    ///   - timestamp: The `webhook-timestamp` value, Unix seconds of this attempt.
    ///   - body: The exact bytes sent as the request body.
    ///   - keys: At least one key.
    public static func signatureHeaderValue(
        id: String, timestamp: Int64, body: UnsafeRawBufferPointer, keys: [SigningKey]
    ) -> String {
        precondition(!keys.isEmpty, "a webhook-signature value needs at least one key")
        let capacity = keys.count * (entryLength + 1) - 1
        return String(unsafeUninitializedCapacity: capacity) { output in
            var written = 0
            for (index, key) in keys.enumerated() {
                if index > 0 {
                    output[written] = UInt8(ascii: " ")
                    written += 1
                }
                output[written] = UInt8(ascii: "v")
                output[written + 1] = UInt8(ascii: "1")
                output[written + 2] = UInt8(ascii: ",")
                written += 3
                let code = key.sign(id: id, timestamp: timestamp, body: body)
                written += code.withUnsafeBytes { bytes in
                    Base64.encode(bytes, into: UnsafeMutableBufferPointer(rebasing: output[written...]))
                }
            }
            return written
        }
    }

    /// Returns the `webhook-signature` value for contiguous collections such as `[UInt8]` or
    /// `Data` without copying them; see
    /// ``signatureHeaderValue(id:timestamp:body:keys:)-(_,_,UnsafeRawBufferPointer,_)``.
    @inlinable
    public static func signatureHeaderValue(
        id: String, timestamp: Int64, body: some Collection<UInt8>, keys: [SigningKey]
    ) -> String {
        withContiguousBytes(of: body) { signatureHeaderValue(id: id, timestamp: timestamp, body: $0, keys: keys) }
    }

    /// Returns the `webhook-signature` value with a single key: `v1,<base64>`.
    @inlinable
    public static func signatureHeaderValue(
        id: String, timestamp: Int64, body: some Collection<UInt8>, key: SigningKey
    ) -> String {
        withContiguousBytes(of: body) { signatureHeaderValue(id: id, timestamp: timestamp, body: $0, key: key) }
    }

    /// Returns the `webhook-signature` value with a single key: `v1,<base64>`.
    public static func signatureHeaderValue(
        id: String, timestamp: Int64, body: UnsafeRawBufferPointer, key: SigningKey
    ) -> String {
        let code = key.sign(id: id, timestamp: timestamp, body: body)
        return String(unsafeUninitializedCapacity: entryLength) { output in
            output[0] = UInt8(ascii: "v")
            output[1] = UInt8(ascii: "1")
            output[2] = UInt8(ascii: ",")
            return 3 + code.withUnsafeBytes { bytes in
                Base64.encode(bytes, into: UnsafeMutableBufferPointer(rebasing: output[3...]))
            }
        }
    }
}
