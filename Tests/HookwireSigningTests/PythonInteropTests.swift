import Foundation
import HookwireSigning
import Testing

/// Checks signatures against the standardwebhooks and svix Python libraries in both directions.
@Suite struct PythonInteropTests {
    static let bodies: [(name: String, bytes: [UInt8])] = [
        ("json", Array(SpecificationVector.body.utf8)),
        ("emoji", Array(emojiBody.utf8)),
        ("binary", binaryBody),
        ("empty", []),
        ("trailing newline", Array("{\"a\":1}\n".utf8)),
    ]

    func verifyInPython(
        secret: String, id: String, timestamp: Int64, signature: String, body: [UInt8]
    ) throws -> ProcessResult {
        try runProcess(
            python3Path, [interopScriptPath, "verify", id, String(timestamp), signature],
            input: body, environment: ["HOOKWIRE_SECRET": secret])
    }

    @Test(arguments: 0..<bodies.count)
    func swiftSignatureVerifiesInPython(bodyIndex: Int) throws {
        let body = Self.bodies[bodyIndex]
        let secret = try SigningSecret.generate()
        let timestamp = currentUnixTime()
        let signature = StandardWebhooks.signatureHeaderValue(
            id: "msg_interop_\(bodyIndex)", timestamp: timestamp, body: body.bytes, key: try SigningKey(secret: secret))

        let result = try verifyInPython(
            secret: secret, id: "msg_interop_\(bodyIndex)", timestamp: timestamp, signature: signature, body: body.bytes)
        #expect(result.status == 0, "body \(body.name): \(result.standardOutput) \(result.standardError)")
        #expect(result.standardOutput == "standardwebhooks: valid\nsvix: valid\n", "body \(body.name)")
    }

    @Test func rotationHeaderVerifiesInPythonWithEitherSecret() throws {
        let oldSecret = try SigningSecret.generate(byteCount: 24)
        let newSecret = try SigningSecret.generate(byteCount: 64)
        let timestamp = currentUnixTime()
        let body = Array(emojiBody.utf8)
        let signature = StandardWebhooks.signatureHeaderValue(
            id: "msg_rotation", timestamp: timestamp, body: body,
            keys: [try SigningKey(secret: oldSecret), try SigningKey(secret: newSecret)])

        for secret in [oldSecret, newSecret] {
            let result = try verifyInPython(
                secret: secret, id: "msg_rotation", timestamp: timestamp, signature: signature, body: body)
            #expect(result.status == 0, "\(result.standardOutput) \(result.standardError)")
        }
    }

    @Test func pythonRejectsTamperedBody() throws {
        let secret = try SigningSecret.generate()
        let timestamp = currentUnixTime()
        let body = Array(emojiBody.utf8)
        let signature = StandardWebhooks.signatureHeaderValue(
            id: "msg_tampered", timestamp: timestamp, body: body, key: try SigningKey(secret: secret))

        let result = try verifyInPython(
            secret: secret, id: "msg_tampered", timestamp: timestamp, signature: signature, body: body + [0x20])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("standardwebhooks: invalid: WebhookVerificationError: No matching signature found"))
        #expect(result.standardOutput.contains("svix: invalid"))
    }

    @Test(arguments: 0..<bodies.count)
    func pythonSignatureVerifiesInSwift(bodyIndex: Int) throws {
        let body = Self.bodies[bodyIndex]
        let secret = try SigningSecret.generate()
        let timestamp = currentUnixTime()
        let id = "msg_python_\(bodyIndex)"
        let result = try runProcess(
            python3Path, [interopScriptPath, "sign", id, String(timestamp)],
            input: body.bytes, environment: ["HOOKWIRE_SECRET": secret])
        try #require(result.status == 0, "python sign failed: \(result.standardError)")
        let signature = result.standardOutput.trimmingCharacters(in: .newlines)
        #expect(signature.hasPrefix("v1,"))

        let verifier = try StandardWebhooksVerifier(secret: secret)
        try verifier.verify(
            headers: [
                (name: "Webhook-Id", value: id),
                (name: "Webhook-Timestamp", value: String(timestamp)),
                (name: "Webhook-Signature", value: signature),
            ],
            body: body.bytes, now: timestamp)
        #expect(signature == StandardWebhooks.signatureHeaderValue(
            id: id, timestamp: timestamp, body: body.bytes, key: try SigningKey(secret: secret)))
    }
}
