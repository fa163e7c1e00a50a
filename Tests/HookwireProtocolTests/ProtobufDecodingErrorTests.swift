import HookwireCore
import Testing

@testable import HookwireProtocol

private func decodingError<Message: ProtobufMessage>(_ bytes: [UInt8], as type: Message.Type) -> ProtobufError? {
    do {
        _ = try Message(decoding: bytes[...])
        return nil
    } catch {
        return error
    }
}

@Suite struct ProtobufDecodingErrorTests {
    @Test func unknownFieldsOfEveryWireTypeSkipped() throws {
        let request = Wire.GetWebhookRequest(id: 42)
        var bytes = request.encoded()
        bytes += [0x10, 0x96, 0x01]  // field 2, varint 150
        bytes += [0x19] + [UInt8](repeating: 0xAB, count: 8)  // field 3, fixed64
        bytes += [0x22, 0x03, 0x61, 0x62, 0x63]  // field 4, length-delimited "abc"
        bytes += [0x2D, 0x01, 0x02, 0x03, 0x04]  // field 5, fixed32
        bytes += [0xF8, 0xFF, 0xFF, 0xFF, 0x0F, 0x00]  // field 536870911, varint 0
        #expect(try Wire.GetWebhookRequest(decoding: bytes) == request)
        // Unknown fields inside a nested message are skipped as well.
        var hook = Wire.Webhook()
        hook.id = 3
        var outer: [UInt8] = []
        outer.appendMessageField(1) { nested in
            hook.encode(into: &nested)
            nested += [0xA0, 0x06, 0x01]  // field 100, varint 1
        }
        #expect(try Wire.SaveWebhookRequest(decoding: outer).webhook == hook)
    }

    @Test func repeatedUInt32AcceptsPackedAndUnpacked() throws {
        // Field 1 unpacked twice, then packed [3, 4].
        let bytes: [UInt8] = [0x08, 0x01, 0x08, 0x02, 0x0A, 0x02, 0x03, 0x04]
        #expect(try Wire.Hello(decoding: bytes).versions == [1, 2, 3, 4])
    }

    @Test func varintOverTenBytesRejected() {
        let eleven: [UInt8] = [0x08] + [UInt8](repeating: 0x80, count: 10) + [0x01]
        #expect(decodingError(eleven, as: Wire.GetWebhookRequest.self) == .varintTooLong(offset: 1))
        // Ten bytes whose last carries more than the 64th bit.
        let overflow: [UInt8] = [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x02]
        #expect(decodingError(overflow, as: Wire.GetWebhookRequest.self) == .varintTooLong(offset: 1))
        let maximum: [UInt8] = [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01]
        #expect(decodingError(maximum, as: Wire.GetWebhookRequest.self) == nil)
    }

    @Test func lengthBeyondBufferRejected() {
        #expect(decodingError([0x12, 0x05, 0x61], as: Wire.Webhook.self) == .lengthBeyondBuffer(field: 2, length: 5, available: 1))
        let huge: [UInt8] = [0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]
        #expect(decodingError(huge, as: Wire.Webhook.self) == .lengthBeyondBuffer(field: 2, length: 0xFFFF_FFFF, available: 0))
        // An unknown field is bounds-checked the same way.
        #expect(decodingError([0xA2, 0x06, 0x09], as: Wire.Webhook.self) == .lengthBeyondBuffer(field: 100, length: 9, available: 0))
    }

    @Test func groupAndUndefinedWireTypesRejected() {
        for wireType: UInt8 in [3, 4, 6, 7] {
            #expect(
                decodingError([0x10 | wireType, 0x00], as: Wire.Empty.self)
                    == .unsupportedWireType(field: 2, wireType: wireType, offset: 0))
        }
    }

    @Test func fieldNumberZeroRejected() {
        #expect(decodingError([0x00, 0x00], as: Wire.Empty.self) == .invalidFieldNumber(0, offset: 0))
        #expect(decodingError([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], as: Wire.Empty.self) == .invalidFieldNumber(1 << 32, offset: 0))
    }

    @Test func wrongWireTypeForKnownFieldRejected() {
        #expect(decodingError([0x0A, 0x00], as: Wire.GetWebhookRequest.self) == .wireTypeMismatch(field: 1, expected: .varint, actual: .lengthDelimited))
        #expect(decodingError([0x10, 0x01], as: Wire.Webhook.self) == .wireTypeMismatch(field: 2, expected: .lengthDelimited, actual: .varint))
    }

    @Test func invalidUTF8Rejected() {
        let malformed: [[UInt8]] = [
            [0xC3, 0x28],  // a lead byte followed by ASCII
            [0xC0, 0x80],  // an overlong encoding of U+0000
            [0xED, 0xA0, 0x80],  // a UTF-16 surrogate
            [0xE2, 0x82],  // a sequence cut short at the end
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xEF, 0xBF, 0xBD, 0xFF],  // a valid U+FFFD, then a byte never valid
        ]
        for bytes in malformed {
            #expect(
                decodingError([0x12, UInt8(bytes.count)] + bytes, as: Wire.Webhook.self) == .invalidUTF8(field: 2),
                "\(bytes)")
        }
    }

    @Test func validUTF8Accepted() throws {
        for text in ["", "ascii", "✓ CRM", "Ærø 😀", "\u{FFFD}", String(repeating: "é", count: 100)] {
            var bytes: [UInt8] = [0x12]
            bytes.appendVarint(UInt64(text.utf8.count))
            bytes += Array(text.utf8)
            #expect(try Wire.Webhook(decoding: bytes).name == text)
        }
    }

    @Test func undefinedEnumValueRejected() {
        #expect(decodingError([0x38, 0x09], as: Wire.Webhook.self) == .invalidEnumValue(field: 7, value: 9))
        #expect(decodingError([0x30, 0x7F], as: Wire.Delivery.self) == .invalidEnumValue(field: 6, value: 127))
    }

    @Test func truncatedMessagesAtEveryCut() throws {
        let full = Wire.SaveWebhookRequest(webhook: Wire.Webhook(sampleWebhook)).encoded()
        var rejected = 0
        for cut in 0..<full.count {
            if decodingError(Array(full[..<cut]), as: Wire.SaveWebhookRequest.self) != nil { rejected += 1 }
        }
        // Field 1 is one length-delimited message: every cut past its tag leaves it short.
        #expect(rejected == full.count - 1)
    }

    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 42)
        var decoded = 0
        for _ in 0..<20_000 {
            let count = Int(generator.next() % 48)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            if decodingError(bytes, as: Wire.Webhook.self) == nil { decoded += 1 }
            _ = decodingError(bytes, as: Wire.PublishBatchRequest.self)
            _ = decodingError(bytes, as: Wire.DeliveryOutcome.self)
        }
        // Some short inputs are valid messages of unknown fields; most random inputs are not.
        #expect(decoded < 20_000)
        #expect(decoded > 0)
    }
}
