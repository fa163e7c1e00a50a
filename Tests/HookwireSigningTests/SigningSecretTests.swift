import HookwireSigning
import Testing

@Suite struct SigningSecretTests {
    static func whsecSecret(byteCount: Int) -> String {
        "whsec_" + Base64.encodedString([UInt8](repeating: 0xA5, count: byteCount))
    }

    @Test(arguments: [24, 32, 64])
    func acceptsWhsecWithinBounds(byteCount: Int) throws {
        let key = try SigningSecret.keyBytes(of: Self.whsecSecret(byteCount: byteCount))
        #expect(key == [UInt8](repeating: 0xA5, count: byteCount))
    }

    @Test func rejectsWhsecOf23Bytes() {
        let secret = Self.whsecSecret(byteCount: 23)
        let error = signatureError { () throws(SignatureError) in _ = try SigningSecret.keyBytes(of: secret) }
        #expect(error?.code == .invalidSecret)
        #expect(error?.message.contains("23 bytes, fewer than the minimum of 24") == true)
        #expect(error?.message.contains(secret.dropFirst(6)) == false)
    }

    @Test func rejectsWhsecOf65Bytes() {
        let secret = Self.whsecSecret(byteCount: 65)
        let error = signatureError { () throws(SignatureError) in _ = try SigningSecret.keyBytes(of: secret) }
        #expect(error?.code == .invalidSecret)
        #expect(error?.message.contains("65 bytes, more than the maximum of 64") == true)
    }

    @Test(arguments: ["whsec_not*base64*at*all*", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "whsec_"])
    func rejectsWhsecThatIsNotBase64(secret: String) {
        let error = signatureError { () throws(SignatureError) in _ = try SigningKey(secret: secret) }
        #expect(error?.code == .invalidSecret)
        let message = error?.message ?? ""
        #expect(message.contains("not valid base64") || message.contains("0 bytes"), "message: \(message)")
        if secret.count > 6 {
            #expect(!message.contains(secret.dropFirst(6)), "the message must not contain the secret")
        }
    }

    @Test func rejectsEmptySecret() {
        let error = signatureError { () throws(SignatureError) in _ = try SigningKey(secret: "") }
        #expect(error?.code == .invalidSecret)
        #expect(error?.message == "the secret is empty")
    }

    @Test func plainSecretIsItsUTF8Bytes() throws {
        #expect(try SigningSecret.keyBytes(of: "päss") == [0x70, 0xC3, 0xA4, 0x73, 0x73])
        // Without the prefix even valid base64 is used as text.
        #expect(try SigningSecret.keyBytes(of: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").count == 32)
    }

    @Test func prefixIsCaseSensitive() throws {
        #expect(try SigningSecret.keyBytes(of: "WHSEC_abc") == Array("WHSEC_abc".utf8))
    }

    @Test func generatedSecretsDecodeToRequestedSize() throws {
        let first = try SigningSecret.generate()
        let second = try SigningSecret.generate(byteCount: 64)
        #expect(first.hasPrefix("whsec_"))
        #expect(try SigningSecret.keyBytes(of: first).count == 32)
        #expect(try SigningSecret.keyBytes(of: second).count == 64)
        #expect(first != (try SigningSecret.generate()))
    }

    @Test func generateRejectsSizeOutsideBounds() {
        let error = signatureError { () throws(SignatureError) in _ = try SigningSecret.generate(byteCount: 16) }
        #expect(error?.code == .invalidSecret)
    }
}
