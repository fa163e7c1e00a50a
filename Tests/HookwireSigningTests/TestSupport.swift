import HookwireSigning

/// The Standard Webhooks specification's public test vector.
enum SpecificationVector {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    static let timestamp: Int64 = 1_614_265_330
    static let body = #"{"test": 2432232314}"#
    static let signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

    static var headers: [(name: String, value: String)] {
        [
            (name: "webhook-id", value: id),
            (name: "webhook-timestamp", value: String(timestamp)),
            (name: "webhook-signature", value: signature),
        ]
    }
}

/// A JSON body with two-, three- and four-byte UTF-8 sequences and an emoji with a skin-tone
/// modifier.
let emojiBody = #"{"text":"héllo 👋🏽 日本 🎉"}"#

/// Every byte value once, which is not valid UTF-8.
let binaryBody = [UInt8](0...255)

func makeKey(_ secret: String = SpecificationVector.secret) throws -> SigningKey {
    try SigningKey(secret: secret)
}

/// Returns the error a throwing call raised, or nil when it returned normally.
func signatureError(_ call: () throws(SignatureError) -> Void) -> SignatureError? {
    do {
        try call()
        return nil
    } catch {
        return error
    }
}
