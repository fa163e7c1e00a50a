import Foundation
import HookwireSigning
import Testing

// Expected values computed independently with Python's hmac and base64 modules.
@Suite struct BodyEncodingTests {
    let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    let timestamp: Int64 = 1_700_000_000

    @Test func emojiBodyIsSignedAsItsUTF8Bytes() throws {
        let key = try makeKey()
        let utf8Hex = "7b2274657874223a2268c3a96c6c6f20f09f918bf09f8fbd20e697a5e69cac20f09f8e89227d"
        #expect(Array(emojiBody.utf8) == Hex.decode(utf8Hex))
        let expected = "v1,QT8Ypw8Il2XyG2PaF7XGhlJmpHttFeJw3SmZH3+Jh/E="
        #expect(StandardWebhooks.signatureHeaderValue(id: id, timestamp: timestamp, body: Array(emojiBody.utf8), key: key) == expected)
        #expect(StandardWebhooks.signatureHeaderValue(id: id, timestamp: timestamp, body: emojiBody.utf8, key: key) == expected)
    }

    @Test func binaryBodyIsSignedByteForByte() throws {
        let key = try makeKey()
        let value = StandardWebhooks.signatureHeaderValue(id: id, timestamp: timestamp, body: binaryBody, key: key)
        #expect(value == "v1,R1Xa4vWlo6flauxHGIGSTRA61a8To/fx0UqwipELKww=")
    }

    @Test func emojiBodyOnlySignatures() throws {
        let key = try makeKey()
        let body = Array(emojiBody.utf8)
        #expect(BodySignature.base64Signature(of: body, key: key) == "0x7NHiERY0jk1jMU0Of/Yri4aMHmH8Kcd+dNDcHPmr0=")
        #expect(
            BodySignature.gitHubSignature(of: body, key: key)
                == "sha256=d31ecd1e21116348e4d63314d0e7ff62b8b868c1e61fc29c77e74d0dc1cf9abd")
    }

    @Test func binaryBodyOnlySignatures() throws {
        let key = try makeKey()
        #expect(BodySignature.base64Signature(of: binaryBody, key: key) == "p5uz56XadUnaM7I64jv2xD9PKo1o/ram7JR6K7sMpAs=")
        #expect(
            BodySignature.gitHubSignature(of: binaryBody, key: key)
                == "sha256=a79bb3e7a5da7549da33b23ae23bf6c43f4f2a8d68feb6a6ec947a2bbb0ca40b")
    }

    @Test(arguments: [1, 200, 243, 244, 245, 300, 5000])
    func standardMACIsHMACOfJoinedParts(idLength: Int) throws {
        // 244 id bytes, a 10-digit timestamp and two full stops fill the 256-byte prefix buffer.
        let key = try makeKey()
        let id = String(repeating: "m", count: idLength)
        let joined = Array("\(id).\(timestamp).".utf8) + binaryBody
        #expect(key.sign(id: id, timestamp: timestamp, body: binaryBody) == key.sign(joined))
    }

    @Test func negativeTimestampIsSignedWithSign() throws {
        let key = try makeKey()
        let joined = Array("\(id).-42.".utf8) + binaryBody
        #expect(key.sign(id: id, timestamp: -42, body: binaryBody) == key.sign(joined))
    }

    @Test func contiguousAndNonContiguousBodiesAgree() throws {
        let key = try makeKey()
        let expected = key.sign(binaryBody)
        #expect(key.sign(binaryBody[...]) == expected)
        #expect(key.sign(binaryBody.reversed().reversed()) == expected)
        #expect(binaryBody.withUnsafeBytes { key.sign($0) } == expected)
        #expect(key.sign(binaryBody.dropLast()) != expected)
    }

    @Test func dataAndUTF8ViewAreSignedInPlace() throws {
        // The no-copy path needs contiguous storage; these are the body types callers use.
        let data = Data(binaryBody)
        #expect(data.withContiguousStorageIfAvailable { _ in true } == true)
        #expect(emojiBody.utf8.withContiguousStorageIfAvailable { _ in true } == true)

        let key = try makeKey()
        #expect(key.sign(data) == key.sign(binaryBody))
        #expect(key.sign(emojiBody.utf8) == key.sign(Array(emojiBody.utf8)))
    }

    @Test func verifiesBothBodyForms() throws {
        let key = try makeKey()
        let body = Array(emojiBody.utf8)
        try BodySignature.verifyBase64(" 0x7NHiERY0jk1jMU0Of/Yri4aMHmH8Kcd+dNDcHPmr0= ", body: body, keys: [key])
        try BodySignature.verifyGitHub(
            "sha256=D31ECD1E21116348E4D63314D0E7FF62B8B868C1E61FC29C77E74D0DC1CF9ABD", body: body, keys: [key])
    }

    @Test func acceptsBase64RotationList() throws {
        let current = try makeKey(try SigningSecret.generate())
        let previous = try makeKey()
        let body = Array(emojiBody.utf8)
        let value = BodySignature.base64Signature(of: body, key: current) + " "
            + BodySignature.base64Signature(of: body, key: previous)
        try BodySignature.verifyBase64(value, body: body, keys: [previous])
        try BodySignature.verifyBase64(value, body: body, keys: [current])

        let stranger = try makeKey(try SigningSecret.generate())
        let error = signatureError { () throws(SignatureError) in
            try BodySignature.verifyBase64(value, body: body, keys: [stranger])
        }
        #expect(error?.code == .noMatchingSignature)
    }

    @Test func rejectsWrongBodySignature() throws {
        let key = try makeKey()
        let body = Array(emojiBody.utf8)
        let tampered = body.dropLast() + [UInt8(ascii: "]")]

        let base64Error = signatureError { () throws(SignatureError) in
            try BodySignature.verifyBase64("0x7NHiERY0jk1jMU0Of/Yri4aMHmH8Kcd+dNDcHPmr0=", body: tampered, keys: [key])
        }
        #expect(base64Error?.code == .noMatchingSignature)
        #expect(base64Error?.message.contains("X-Hookwire-Signature") == true)

        let gitHubError = signatureError { () throws(SignatureError) in
            try BodySignature.verifyGitHub(
                "sha256=d31ecd1e21116348e4d63314d0e7ff62b8b868c1e61fc29c77e74d0dc1cf9abd", body: tampered, keys: [key])
        }
        #expect(gitHubError?.code == .noMatchingSignature)
    }

    @Test(arguments: ["", "not base64!", "AAAA", "0x7NHiERY0jk1jMU0Of/Yri4aMHmH8Kcd+dNDcHPmr0"])
    func rejectsMalformedBase64Signature(value: String) throws {
        let key = try makeKey()
        let error = signatureError { () throws(SignatureError) in
            try BodySignature.verifyBase64(value, body: binaryBody, keys: [key])
        }
        #expect(error?.code == .invalidHeader)
    }

    @Test(arguments: [
        "d31ecd1e21116348e4d63314d0e7ff62b8b868c1e61fc29c77e74d0dc1cf9abd",
        "sha1=d31ecd1e21116348e4d63314d0e7ff62b8b868c1",
        "sha256=d31ecd1e2111634",
        "sha256=zz1ecd1e21116348e4d63314d0e7ff62b8b868c1e61fc29c77e74d0dc1cf9abd",
    ])
    func rejectsMalformedGitHubSignature(value: String) throws {
        let key = try makeKey()
        let error = signatureError { () throws(SignatureError) in
            try BodySignature.verifyGitHub(value, body: Array(emojiBody.utf8), keys: [key])
        }
        #expect(error?.code == .invalidHeader)
        #expect(error?.message.contains("X-Hub-Signature-256") == true)
    }

    @Test func macEqualityComparesAllBytes() throws {
        let first = try #require(MessageAuthenticationCode(bytes: [UInt8](repeating: 1, count: 32)))
        var lastDiffers = [UInt8](repeating: 1, count: 32)
        lastDiffers[31] = 2
        let second = try #require(MessageAuthenticationCode(bytes: lastDiffers))
        #expect(first != second)
        #expect(first == MessageAuthenticationCode(bytes: [UInt8](repeating: 1, count: 32)))
        #expect(MessageAuthenticationCode(bytes: [UInt8](repeating: 1, count: 31)) == nil)
    }
}
