/// The body-only scheme: HMAC-SHA256 over the raw body bytes with no id or timestamp, sent as
/// base64 in `X-Hookwire-Signature`, or as `sha256=<lowercase hex>` in `X-Hub-Signature-256`
/// for receivers written for GitHub's form.
///
/// Without a timestamp a captured request can be replayed; prefer ``StandardWebhooks`` where the
/// receiver supports it.
public enum BodySignature {
    /// The header that carries the base64 body signature.
    public static let headerName = "X-Hookwire-Signature"
    /// The header that carries the GitHub-style body signature.
    public static let gitHubHeaderName = "X-Hub-Signature-256"
    /// The prefix of the GitHub-style value.
    public static let gitHubPrefix = "sha256="

    /// Returns the base64 HMAC-SHA256 of `body`, the value of `X-Hookwire-Signature`.
    @inlinable
    public static func base64Signature(of body: some Collection<UInt8>, key: SigningKey) -> String {
        key.sign(body).base64EncodedString()
    }

    /// Returns `sha256=` and the lowercase hex HMAC-SHA256 of `body`, the value of
    /// `X-Hub-Signature-256`.
    @inlinable
    public static func gitHubSignature(of body: some Collection<UInt8>, key: SigningKey) -> String {
        gitHubPrefix + key.sign(body).hexEncodedString()
    }

    /// Checks base64 body signatures against `body` under each key, in constant time.
    ///
    /// - Parameters:
    ///   - signature: The header value: one base64 signature, or several separated by spaces
    ///     while a secret is rotated. Spaces and tabs around the value are ignored.
    ///   - body: The exact bytes received.
    ///   - keys: The keys the sender may use; any match of any signature passes.
    /// - Throws: ``SignatureError/Code/invalidHeader`` when no entry is the base64 of 32 bytes,
    ///   ``SignatureError/Code/noMatchingSignature`` when no key produces any of them.
    public static func verifyBase64(
        _ signature: String, body: some Collection<UInt8>, keys: [SigningKey]
    ) throws(SignatureError) {
        let text = trimmingWhitespace(Substring(signature))
        let received = text.split(separator: " ").compactMap { entry in
            Base64.decode(entry).flatMap { MessageAuthenticationCode(bytes: $0) }
        }
        guard !received.isEmpty else {
            throw SignatureError(
                .invalidHeader,
                "\(headerName) '\(printable(text))' is not the base64 of a 32-byte HMAC-SHA256")
        }
        try verify(received, header: headerName, body: body, keys: keys)
    }

    /// Checks a `sha256=<hex>` body signature against `body` under each key, in constant time.
    /// Hex digits of either case are accepted.
    ///
    /// - Throws: ``SignatureError/Code/invalidHeader`` when the value is not `sha256=` and 64 hex
    ///   digits, ``SignatureError/Code/noMatchingSignature`` when no key produces it.
    public static func verifyGitHub(
        _ signature: String, body: some Collection<UInt8>, keys: [SigningKey]
    ) throws(SignatureError) {
        let text = trimmingWhitespace(Substring(signature))
        guard text.hasPrefix(gitHubPrefix),
            let bytes = Hex.decode(text.dropFirst(gitHubPrefix.count)),
            let received = MessageAuthenticationCode(bytes: bytes)
        else {
            throw SignatureError(
                .invalidHeader,
                "\(gitHubHeaderName) '\(printable(text))' is not sha256= followed by 64 hex digits")
        }
        try verify([received], header: gitHubHeaderName, body: body, keys: keys)
    }

    private static func verify(
        _ received: [MessageAuthenticationCode], header: String, body: some Collection<UInt8>, keys: [SigningKey]
    ) throws(SignatureError) {
        precondition(!keys.isEmpty, "verifying a signature needs at least one key")
        let matched = withContiguousBytes(of: body) { body in
            keys.contains { key in
                let expected = key.sign(body)
                return received.contains { $0 == expected }
            }
        }
        guard matched else {
            throw SignatureError(
                .noMatchingSignature,
                "the \(header) signature does not match the body under any of the \(keys.count) key(s)")
        }
    }
}

/// Removes the spaces and horizontal tabs that HTTP allows around a header value.
func trimmingWhitespace(_ text: Substring) -> Substring {
    let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
    guard let first = text.firstIndex(where: { !isWhitespace($0) }) else { return text[text.endIndex...] }
    let last = text.lastIndex(where: { !isWhitespace($0) })!
    return text[first...last]
}

/// Returns a header value fit for an error message: control characters replaced with `?` and at
/// most 80 characters, so that a hostile value cannot forge log lines or flood them.
func printable(_ text: Substring) -> String {
    var result = String(text.unicodeScalars.prefix(80).map { scalar in
        scalar.properties.generalCategory == .control ? "?" : Character(scalar)
    })
    if text.unicodeScalars.count > 80 { result += "..." }
    return result
}
