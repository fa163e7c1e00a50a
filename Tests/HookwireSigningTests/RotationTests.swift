import HookwireSigning
import Testing

@Suite struct RotationTests {
    let body = Array(emojiBody.utf8)
    let timestamp: Int64 = 1_700_000_000

    @Test func signsOneEntryPerKeyInOrder() throws {
        let old = try makeKey()
        let new = try makeKey(try SigningSecret.generate())
        let value = StandardWebhooks.signatureHeaderValue(id: "msg_1", timestamp: timestamp, body: body, keys: [old, new])
        let entries = value.split(separator: " ", omittingEmptySubsequences: false)

        #expect(entries.count == 2)
        #expect(entries[0] == "v1," + old.sign(id: "msg_1", timestamp: timestamp, body: body).base64EncodedString())
        #expect(entries[1] == "v1," + new.sign(id: "msg_1", timestamp: timestamp, body: body).base64EncodedString())
    }

    @Test func receiverWithEitherKeyAccepts() throws {
        let oldSecret = SpecificationVector.secret
        let newSecret = try SigningSecret.generate()
        let value = StandardWebhooks.signatureHeaderValue(
            id: "msg_1", timestamp: timestamp, body: body, keys: [try makeKey(oldSecret), try makeKey(newSecret)])
        let headers = [
            (name: "webhook-id", value: "msg_1"),
            (name: "webhook-timestamp", value: String(timestamp)),
            (name: "webhook-signature", value: value),
        ]

        for secret in [oldSecret, newSecret] {
            let verifier = try StandardWebhooksVerifier(secret: secret)
            try verifier.verify(headers: headers, body: body, now: timestamp)
        }

        let stranger = try StandardWebhooksVerifier(secret: try SigningSecret.generate())
        let error = signatureError { () throws(SignatureError) in
            try stranger.verify(headers: headers, body: body, now: timestamp)
        }
        #expect(error?.code == .noMatchingSignature)
        #expect(error?.message.contains("none of the 2 v1 signature(s)") == true)
    }

    @Test func verifierWithSeveralKeysAcceptsAny() throws {
        let signer = try makeKey(try SigningSecret.generate())
        let value = StandardWebhooks.signatureHeaderValue(id: "msg_2", timestamp: timestamp, body: body, key: signer)
        let headers = [
            (name: "webhook-id", value: "msg_2"),
            (name: "webhook-timestamp", value: String(timestamp)),
            (name: "webhook-signature", value: value),
        ]
        let verifier = StandardWebhooksVerifier(keys: [try makeKey(), signer])
        try verifier.verify(headers: headers, body: body, now: timestamp)
    }
}
