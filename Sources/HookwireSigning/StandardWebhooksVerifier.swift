#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Verifies Standard Webhooks deliveries for hosts that receive webhooks.
///
/// A request passes when the three headers are present, the timestamp is an integer within the
/// tolerance of the current time, and any `v1` signature matches under any of the keys. Header
/// names match case-insensitively, several `webhook-signature` header instances and several
/// space-separated entries are accepted, entries of other versions are skipped, and signatures
/// are compared in constant time.
///
/// A verifier is a value that may be shared between threads: ``SigningKey`` is thread-safe.
public struct StandardWebhooksVerifier: Sendable {
    /// The keys the sender may sign with, such as the old and the new key during a rotation.
    public var keys: [SigningKey]
    /// How far the timestamp may be from the current time, in seconds, in either direction.
    public var toleranceSeconds: Int64

    /// Creates a verifier that accepts signatures made with any of `keys`.
    ///
    /// - Parameters:
    ///   - keys: At least one key.
    ///   - toleranceSeconds: The accepted clock difference in seconds; 300 unless given.
    public init(keys: [SigningKey], toleranceSeconds: Int64 = StandardWebhooks.defaultToleranceSeconds) {
        precondition(!keys.isEmpty, "a verifier needs at least one key")
        precondition(toleranceSeconds >= 0, "the tolerance is \(toleranceSeconds) seconds; it must not be negative")
        self.keys = keys
        self.toleranceSeconds = toleranceSeconds
    }

    /// Creates a verifier for one secret, by the key rule of ``SigningSecret``.
    ///
    /// - Throws: ``SignatureError/Code/invalidSecret`` for a secret that breaks that rule.
    public init(secret: String, toleranceSeconds: Int64 = StandardWebhooks.defaultToleranceSeconds) throws(SignatureError) {
        self.init(keys: [try SigningKey(secret: secret)], toleranceSeconds: toleranceSeconds)
    }

    /// Verifies a request given as a list of header fields, which may repeat a name.
    ///
    /// - Parameters:
    ///   - headers: The request's header fields in any letter case.
    ///   - body: The exact bytes received.
    ///   - now: The current Unix time in seconds; the system clock when nil.
    /// - Throws: ``SignatureError`` with code `missingHeader`, `invalidHeader`,
    ///   `invalidTimestamp`, `timestampTooOld`, `timestampTooNew` or `noMatchingSignature`; the
    ///   message names the header or value at fault.
    public func verify(
        headers: [(name: String, value: String)], body: some Collection<UInt8>, now: Int64? = nil
    ) throws(SignatureError) {
        try verify(fields: headers.lazy.map { ($0.name, $0.value) }, body: body, now: now)
    }

    /// Verifies a request given as a dictionary of header fields; see
    /// ``verify(headers:body:now:)-([(name:String,value:String)],_,_)``.
    public func verify(headers: [String: String], body: some Collection<UInt8>, now: Int64? = nil) throws(SignatureError) {
        try verify(fields: headers.lazy.map { ($0.key, $0.value) }, body: body, now: now)
    }

    private func verify(
        fields: some Sequence<(String, String)>, body: some Collection<UInt8>, now: Int64?
    ) throws(SignatureError) {
        var id: Substring?
        var timestamp: Substring?
        var signatures: [Substring] = []
        for (name, value) in fields {
            let value = trimmingWhitespace(Substring(value))
            if equalsIgnoringASCIICase(name, StandardWebhooks.idHeader) {
                try Self.record(value, of: StandardWebhooks.idHeader, in: &id)
            } else if equalsIgnoringASCIICase(name, StandardWebhooks.timestampHeader) {
                try Self.record(value, of: StandardWebhooks.timestampHeader, in: &timestamp)
            } else if equalsIgnoringASCIICase(name, StandardWebhooks.signatureHeader) {
                signatures.append(value)
            }
        }

        guard let id, !id.isEmpty else { throw Self.missing(StandardWebhooks.idHeader, present: id != nil) }
        guard let timestamp, !timestamp.isEmpty else {
            throw Self.missing(StandardWebhooks.timestampHeader, present: timestamp != nil)
        }
        guard signatures.contains(where: { !$0.isEmpty }) else {
            throw Self.missing(StandardWebhooks.signatureHeader, present: !signatures.isEmpty)
        }

        let seconds = try Self.parseTimestamp(timestamp)
        try checkTolerance(seconds, now: now ?? Int64(time(nil)))
        try checkSignatures(signatures, id: id, timestamp: timestamp, body: body)
    }

    private func checkTolerance(_ timestamp: Int64, now: Int64) throws(SignatureError) {
        // A difference that overflows Int64 is beyond any tolerance, so it saturates.
        var (age, overflow) = now.subtractingReportingOverflow(timestamp)
        if overflow {
            age = now > timestamp ? Int64.max : Int64.min
        }
        if age > toleranceSeconds {
            throw SignatureError(
                .timestampTooOld,
                "\(StandardWebhooks.timestampHeader) \(timestamp) is \(Self.difference(now, timestamp)) seconds before the current time "
                    + "\(now), more than the tolerance of \(toleranceSeconds) seconds")
        }
        if age < -toleranceSeconds {
            throw SignatureError(
                .timestampTooNew,
                "\(StandardWebhooks.timestampHeader) \(timestamp) is \(Self.difference(timestamp, now)) seconds after the current time "
                    + "\(now), more than the tolerance of \(toleranceSeconds) seconds")
        }
    }

    private func checkSignatures(
        _ values: [Substring], id: Substring, timestamp: Substring, body: some Collection<UInt8>
    ) throws(SignatureError) {
        var candidates: [Substring] = []
        var otherVersions: [Substring] = []
        for value in values {
            for var entry in value.split(separator: " ", omittingEmptySubsequences: true) {
                // HTTP stacks join repeated header fields with ", ", which leaves a comma after an
                // entry. Base64 has no commas, so dropping it changes no real signature.
                if entry.last == ",", entry.count > 1 { entry = entry.dropLast() }
                guard let comma = entry.firstIndex(of: ",") else {
                    otherVersions.append(entry.prefix(8))
                    continue
                }
                if entry[..<comma] == StandardWebhooks.version {
                    candidates.append(entry[entry.index(after: comma)...])
                } else {
                    otherVersions.append(entry[..<comma].prefix(8))
                }
            }
        }
        guard !candidates.isEmpty else {
            throw SignatureError(
                .noMatchingSignature,
                "\(StandardWebhooks.signatureHeader) has no v1 signature (entries seen: "
                    + "\(otherVersions.map { printable($0) }.joined(separator: ", ")))")
        }

        var id = String(id)
        var timestamp = String(timestamp)
        let matched = id.withUTF8 { id in
            timestamp.withUTF8 { timestamp in
                withContiguousBytes(of: body) { body in
                    keys.contains { key in
                        let expected = key.sign(
                            id: UnsafeRawBufferPointer(id), timestamp: UnsafeRawBufferPointer(timestamp), body: body)
                        return candidates.contains { Self.matches(base64: $0, expected) }
                    }
                }
            }
        }
        guard matched else {
            throw SignatureError(
                .noMatchingSignature,
                "none of the \(candidates.count) v1 signature(s) in \(StandardWebhooks.signatureHeader) matches the "
                    + "body under any of the \(keys.count) key(s)")
        }
    }

    private static func difference(_ later: Int64, _ earlier: Int64) -> String {
        let (difference, overflow) = later.subtractingReportingOverflow(earlier)
        return overflow ? "more than \(Int64.max)" : String(difference)
    }

    /// Compares base64 text with a MAC's encoding in constant time, on the stack.
    private static func matches(base64 candidate: Substring, _ expected: MessageAuthenticationCode) -> Bool {
        var candidate = candidate
        return candidate.withUTF8 { candidateText in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: StandardWebhooks.entryLength) { buffer in
                let length = expected.withUnsafeBytes { Base64.encode($0, into: buffer) }
                return constantTimeEqual(
                    UnsafeRawBufferPointer(candidateText),
                    UnsafeRawBufferPointer(start: buffer.baseAddress, count: length))
            }
        }
    }

    private static func record(_ value: Substring, of header: String, in slot: inout Substring?) throws(SignatureError) {
        if let existing = slot, existing != value {
            throw SignatureError(
                .invalidHeader,
                "\(header) appears more than once with different values ('\(printable(existing))' and "
                    + "'\(printable(value))')")
        }
        slot = value
    }

    private static func missing(_ header: String, present: Bool) -> SignatureError {
        SignatureError(.missingHeader, present ? "the \(header) header is empty" : "missing header \(header)")
    }

    /// Parses a non-negative integer of Unix seconds: ASCII digits only, no sign, no fraction.
    static func parseTimestamp(_ text: Substring) throws(SignatureError) -> Int64 {
        var value: Int64 = 0
        for character in text.utf8 {
            let digit = Int64(character) - Int64(UInt8(ascii: "0"))
            let (shifted, overflowShift) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowAdd) = shifted.addingReportingOverflow(digit)
            guard (0...9).contains(digit), !overflowShift, !overflowAdd else {
                throw SignatureError(
                    .invalidTimestamp,
                    "\(StandardWebhooks.timestampHeader) '\(printable(text))' is not an integer number of Unix seconds")
            }
            value = sum
        }
        return value
    }
}

func equalsIgnoringASCIICase(_ name: String, _ lowercased: String) -> Bool {
    guard name.utf8.count == lowercased.utf8.count else { return false }
    return zip(name.utf8, lowercased.utf8).allSatisfy { byte, expected in
        let folded = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        return folded == expected
    }
}
