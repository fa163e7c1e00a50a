import HookwireSigning
import Testing

@Suite struct PublicVectorTests {
    @Test func standardWebhooksSpecificationVector() throws {
        let key = try makeKey()
        let value = StandardWebhooks.signatureHeaderValue(
            id: SpecificationVector.id, timestamp: SpecificationVector.timestamp,
            body: Array(SpecificationVector.body.utf8), key: key)
        #expect(value == SpecificationVector.signature)
    }

    @Test func standardVectorFromStringUTF8View() throws {
        let key = try makeKey()
        let code = key.sign(
            id: SpecificationVector.id, timestamp: SpecificationVector.timestamp, body: SpecificationVector.body.utf8)
        #expect("v1," + code.base64EncodedString() == SpecificationVector.signature)
    }

    @Test func gitHubDocumentationVector() throws {
        let key = try SigningKey(secret: "It's a Secret to Everybody")
        let value = BodySignature.gitHubSignature(of: Array("Hello, World!".utf8), key: key)
        #expect(value == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
    }

    @Test func gitHubVectorAsBase64BodySignature() throws {
        let key = try SigningKey(secret: "It's a Secret to Everybody")
        let value = BodySignature.base64Signature(of: Array("Hello, World!".utf8), key: key)
        // The same 32 bytes as the hex vector, in base64.
        let expected = Base64.encodedString(Hex.decode("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")!)
        #expect(value == expected)
        #expect(value == "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=")
    }

    @Test func rfc4231TestCase2() throws {
        // RFC 4231 section 4.3: key "Jefe", data "what do ya want for nothing?".
        let key = try SigningKey(keyBytes: Array("Jefe".utf8))
        let code = key.sign(Array("what do ya want for nothing?".utf8))
        #expect(code.hexEncodedString() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func emptyKeyAndEmptyBody() throws {
        // HMAC-SHA256 with an empty key over an empty message, a well-known value.
        let key = try SigningKey(keyBytes: [])
        let code = key.sign([UInt8]())
        #expect(code.hexEncodedString() == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
