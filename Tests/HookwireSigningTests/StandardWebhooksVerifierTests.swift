import HookwireSigning
import Testing

@Suite struct StandardWebhooksVerifierTests {
    let verifier: StandardWebhooksVerifier
    let body = Array(SpecificationVector.body.utf8)
    let now = SpecificationVector.timestamp

    init() throws {
        verifier = try StandardWebhooksVerifier(secret: SpecificationVector.secret)
    }

    func rejection(
        _ headers: [(name: String, value: String)], body: [UInt8]? = nil, now: Int64? = nil,
        verifier: StandardWebhooksVerifier? = nil
    ) -> SignatureError? {
        signatureError { () throws(SignatureError) in
            try (verifier ?? self.verifier).verify(headers: headers, body: body ?? self.body, now: now ?? self.now)
        }
    }

    func replacing(_ name: String, with value: String?) -> [(name: String, value: String)] {
        var headers = SpecificationVector.headers.filter { $0.name != name }
        if let value { headers.append((name: name, value: value)) }
        return headers
    }

    @Test func acceptsSpecificationVector() {
        #expect(rejection(SpecificationVector.headers) == nil)
    }

    @Test func acceptsDictionaryHeaders() throws {
        let headers = Dictionary(uniqueKeysWithValues: SpecificationVector.headers.map { ($0.name, $0.value) })
        try verifier.verify(headers: headers, body: body, now: now)
    }

    @Test func matchesHeaderNamesInAnyCase() {
        let headers = [
            (name: "Webhook-Id", value: SpecificationVector.id),
            (name: "WEBHOOK-TIMESTAMP", value: String(SpecificationVector.timestamp)),
            (name: "webHook-Signature", value: SpecificationVector.signature),
        ]
        #expect(rejection(headers) == nil)
    }

    @Test func acceptsMatchInLaterHeaderInstance() {
        var headers = replacing("webhook-signature", with: "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        headers.append((name: "webhook-signature", value: SpecificationVector.signature))
        #expect(rejection(headers) == nil)
    }

    @Test func skipsUnknownVersionsAndMalformedEntries() {
        let value = "v1a,\(SpecificationVector.signature.dropFirst(3)) v2,abc garbage  \(SpecificationVector.signature)"
        #expect(rejection(replacing("webhook-signature", with: value)) == nil)
    }

    @Test func acceptsCommaJoinedHeaderInstances() {
        let value = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=, \(SpecificationVector.signature)"
        #expect(rejection(replacing("webhook-signature", with: value)) == nil)
        let reversed = "\(SpecificationVector.signature), v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        #expect(rejection(replacing("webhook-signature", with: reversed)) == nil)
    }

    @Test func saturatesHugeTolerance() throws {
        let lenient = try StandardWebhooksVerifier(secret: SpecificationVector.secret, toleranceSeconds: .max)
        #expect(rejection(SpecificationVector.headers, now: now + 1_000_000_000, verifier: lenient) == nil)
        let error = rejection(SpecificationVector.headers, now: .min, verifier: lenient)
        #expect(error?.code == .timestampTooNew)
        #expect(error?.message.contains("is more than 9223372036854775807 seconds after") == true)
        #expect(rejection(SpecificationVector.headers, now: .max, verifier: lenient) == nil)
    }

    @Test func ignoresWhitespaceAroundValues() {
        let headers = SpecificationVector.headers.map { (name: $0.name, value: " \t\($0.value) ") }
        #expect(rejection(headers) == nil)
    }

    @Test(arguments: ["webhook-id", "webhook-timestamp", "webhook-signature"])
    func rejectsMissingHeader(name: String) {
        let error = rejection(replacing(name, with: nil))
        #expect(error?.code == .missingHeader)
        #expect(error?.message == "missing header \(name)")
    }

    @Test(arguments: ["webhook-id", "webhook-timestamp", "webhook-signature"])
    func rejectsEmptyHeader(name: String) {
        let error = rejection(replacing(name, with: " "))
        #expect(error?.code == .missingHeader)
        #expect(error?.message == "the \(name) header is empty")
    }

    @Test(arguments: ["abc", "1614265330.0", "-1614265330", "+1614265330", "1e9", "0x60386392", "99999999999999999999"])
    func rejectsNonIntegerTimestamp(value: String) {
        let error = rejection(replacing("webhook-timestamp", with: value))
        #expect(error?.code == .invalidTimestamp)
        #expect(error?.message.contains("'\(value)'") == true)
    }

    @Test func rejectsTimestampTooOld() {
        let error = rejection(SpecificationVector.headers, now: now + 301)
        #expect(error?.code == .timestampTooOld)
        #expect(error?.message.contains("301 seconds before") == true)
    }

    @Test func rejectsTimestampTooNew() {
        let error = rejection(SpecificationVector.headers, now: now - 301)
        #expect(error?.code == .timestampTooNew)
        #expect(error?.message.contains("301 seconds after") == true)
    }

    @Test func acceptsTimestampAtToleranceEdges() {
        #expect(rejection(SpecificationVector.headers, now: now + 300) == nil)
        #expect(rejection(SpecificationVector.headers, now: now - 300) == nil)
    }

    @Test func appliesConfiguredTolerance() throws {
        let strict = try StandardWebhooksVerifier(secret: SpecificationVector.secret, toleranceSeconds: 10)
        #expect(rejection(SpecificationVector.headers, now: now + 10, verifier: strict) == nil)
        #expect(rejection(SpecificationVector.headers, now: now + 11, verifier: strict)?.code == .timestampTooOld)
        #expect(rejection(SpecificationVector.headers, now: now - 11, verifier: strict)?.code == .timestampTooNew)

        let lenient = try StandardWebhooksVerifier(secret: SpecificationVector.secret, toleranceSeconds: 3600)
        #expect(rejection(SpecificationVector.headers, now: now + 3600, verifier: lenient) == nil)
    }

    @Test func checksTimestampAgainstSystemClock() {
        // The vector is from 2021, so today's clock finds it too old.
        let error = signatureError { () throws(SignatureError) in
            try verifier.verify(headers: SpecificationVector.headers, body: body)
        }
        #expect(error?.code == .timestampTooOld)
    }

    @Test func rejectsTamperedBody() {
        let error = rejection(SpecificationVector.headers, body: Array(#"{"test": 2432232315}"#.utf8))
        #expect(error?.code == .noMatchingSignature)
        #expect(error?.message.contains("none of the 1 v1 signature(s)") == true)
    }

    @Test func rejectsBodyWithAddedNewline() {
        let error = rejection(SpecificationVector.headers, body: body + [0x0A])
        #expect(error?.code == .noMatchingSignature)
    }

    @Test func rejectsChangedIdOrTimestamp() {
        #expect(rejection(replacing("webhook-id", with: "msg_other"))?.code == .noMatchingSignature)
        // The same instant with a leading zero is different signed content.
        #expect(rejection(replacing("webhook-timestamp", with: "01614265330"))?.code == .noMatchingSignature)
    }

    @Test func rejectsWrongSecret() throws {
        let other = try StandardWebhooksVerifier(secret: try SigningSecret.generate())
        #expect(rejection(SpecificationVector.headers, verifier: other)?.code == .noMatchingSignature)
    }

    @Test func rejectsOnlyUnknownVersions() {
        let value = "v2,\(SpecificationVector.signature.dropFirst(3)) v1a,xyz"
        let error = rejection(replacing("webhook-signature", with: value))
        #expect(error?.code == .noMatchingSignature)
        #expect(error?.message.contains("has no v1 signature (entries seen: v2, v1a)") == true)
    }

    @Test func rejectsSignatureWithoutVersion() {
        let value = String(SpecificationVector.signature.dropFirst(3))
        #expect(rejection(replacing("webhook-signature", with: value))?.code == .noMatchingSignature)
    }

    @Test func rejectsTruncatedOrPaddedSignature() {
        let truncated = String(SpecificationVector.signature.dropLast())
        #expect(rejection(replacing("webhook-signature", with: truncated))?.code == .noMatchingSignature)
        #expect(rejection(replacing("webhook-signature", with: SpecificationVector.signature + "="))?.code == .noMatchingSignature)
    }

    @Test func rejectsConflictingIdHeaders() {
        var headers = SpecificationVector.headers
        headers.append((name: "Webhook-Id", value: "msg_other"))
        let error = rejection(headers)
        #expect(error?.code == .invalidHeader)
        #expect(error?.message.contains("webhook-id appears more than once") == true)
    }

    @Test func acceptsRepeatedIdenticalIdHeaders() {
        var headers = SpecificationVector.headers
        headers.append((name: "webhook-id", value: SpecificationVector.id))
        #expect(rejection(headers) == nil)
    }

    @Test func errorCodesAreDistinct() {
        let codes: [SignatureError.Code] = [
            .invalidSecret, .missingHeader, .invalidTimestamp, .timestampTooOld, .timestampTooNew,
            .noMatchingSignature, .invalidHeader, .cryptoFailure,
        ]
        #expect(Set(codes.map(\.rawValue)).count == codes.count)
        #expect(Set(codes.map(\.description)).count == codes.count)
    }
}
