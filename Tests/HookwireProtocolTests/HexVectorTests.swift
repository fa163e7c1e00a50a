import HookwireCore
import Testing

@testable import HookwireProtocol

/// Parses the space-separated hex of the protocol document's test vectors.
func bytes(hex: String) -> [UInt8] {
    hex.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// The test vectors of docs/protocol.md. Python's protobuf package produced the payloads from
/// proto/hookwire.proto, so they also check that the hand-written encoder matches it.
enum Vectors {
    static let hello = bytes(hex: """
        00 00 00 1c b1 01 00 00 00 00 00 00 00 00 00 00 0a 01 01 12 06 73 33 63 72 65 74 1a 03 63 6c 69
        """)
    static let welcome = bytes(hex: """
        00 00 00 29 b1 02 00 00 00 00 00 00 00 00 00 00 08 01 12 01 01 18 80 80 40 20 80 40 28 64 30 e0 \
        a7 12 3a 09 68 6f 6f 6b 77 69 72 65 64
        """.replacingOccurrences(of: "\\\n", with: ""))
    static let getWebhookRequest = bytes(hex: """
        00 00 00 11 b1 03 00 00 00 00 00 01 00 02 00 03 08 e8 07 08 2a
        """)
    static let webhookResponse = bytes(hex: """
        00 00 00 40 b1 04 00 00 00 00 00 01 00 00 00 00 08 2a 12 03 63 72 6d 1a 0f 63 6f 6e 74 61 63 74 \
        2e 63 72 65 61 74 65 64 22 18 68 74 74 70 73 3a 2f 2f 65 78 61 6d 70 6c 65 2e 63 6f 6d 2f 68 6f \
        6f 6b 38 01
        """.replacingOccurrences(of: "\\\n", with: ""))
    static let notFoundError = bytes(hex: """
        00 00 00 26 b1 06 00 00 00 00 00 03 00 05 00 00 08 05 12 14 77 65 62 68 6f 6f 6b 20 34 32 20 6e \
        6f 74 20 66 6f 75 6e 64 18 02
        """.replacingOccurrences(of: "\\\n", with: ""))
    static let goAway = bytes(hex: """
        00 00 00 1d b1 0a 00 00 00 00 00 00 00 00 00 00 08 07 12 0d 73 68 75 74 74 69 6e 67 20 64 6f 77 \
        6e
        """.replacingOccurrences(of: "\\\n", with: ""))
}

@Suite struct HexVectorTests {
    let encoder = FrameEncoder()

    @Test func helloMatchesVector() throws {
        var buffer: [UInt8] = []
        try encoder.appendHello(Wire.Hello(versions: [1], token: "s3cret", clientName: "cli"), to: &buffer)
        #expect(buffer == Vectors.hello)
        let frame = try Frame(decodingExactly: Vectors.hello[...])
        #expect(frame.type == .hello)
        #expect(try frame.decodePayload(as: Wire.Hello.self) == Wire.Hello(versions: [1], token: "s3cret", clientName: "cli"))
    }

    @Test func welcomeMatchesVector() throws {
        var buffer: [UInt8] = []
        let welcome = Wire.Welcome(
            version: 1, limits: .default, idleTimeoutMilliseconds: 300_000, serverName: "hookwired", application: "")
        try encoder.appendWelcome(welcome, to: &buffer)
        #expect(buffer == Vectors.welcome)
        let frame = try Frame(decodingExactly: Vectors.welcome[...])
        #expect(frame.status == .ok)
        #expect(try frame.decodePayload(as: Wire.Welcome.self) == welcome)
    }

    @Test func getWebhookRequestMatchesVector() throws {
        var buffer: [UInt8] = []
        try encoder.appendRequest(
            .getWebhook, streamId: 1, Wire.GetWebhookRequest(id: 42),
            metadata: Wire.CallMetadata(timeoutMilliseconds: 1000), to: &buffer)
        #expect(buffer == Vectors.getWebhookRequest)
        let frame = try Frame(decodingExactly: Vectors.getWebhookRequest[...])
        #expect(frame.method == .getWebhook)
        #expect(frame.streamId == 1)
        #expect(try frame.decodeMetadata().timeoutMilliseconds == 1000)
        #expect(try frame.decodePayload(as: Wire.GetWebhookRequest.self).id == 42)
    }

    @Test func webhookResponseMatchesVector() throws {
        var webhook = Wire.Webhook()
        webhook.id = 42
        webhook.name = "crm"
        webhook.events = ["contact.created"]
        webhook.targetURL = "https://example.com/hook"
        webhook.state = .active
        var buffer: [UInt8] = []
        try encoder.appendResponse(streamId: 1, webhook, to: &buffer)
        #expect(buffer == Vectors.webhookResponse)
        let frame = try Frame(decodingExactly: Vectors.webhookResponse[...])
        #expect(frame.type == .response)
        #expect(try frame.decodePayload(as: Wire.Webhook.self) == webhook)
    }

    @Test func errorMatchesVector() throws {
        var buffer: [UInt8] = []
        try encoder.appendError(streamId: 3, Wire.Status(.notFound("webhook 42 not found")), to: &buffer)
        #expect(buffer == Vectors.notFoundError)
        let frame = try Frame(decodingExactly: Vectors.notFoundError[...])
        #expect(frame.status == .notFound)
        let error = HookwireError(wire: try frame.decodePayload(as: Wire.Status.self))
        #expect(error == .notFound("webhook 42 not found"))
    }

    @Test func goAwayMatchesVector() throws {
        var buffer: [UInt8] = []
        try encoder.appendGoAway(status: .ok, lastStreamId: 7, message: "shutting down", to: &buffer)
        #expect(buffer == Vectors.goAway)
        let frame = try Frame(decodingExactly: Vectors.goAway[...])
        #expect(frame.status == .ok)
        #expect(try frame.decodePayload(as: Wire.GoAway.self) == Wire.GoAway(lastStreamId: 7, message: "shutting down"))
    }

    @Test func callFrameHelpersSetTypeAndFlags() throws {
        var buffer: [UInt8] = []
        try encoder.appendStreamItem(streamId: 9, Wire.GoAway(lastStreamId: 1, message: "x"), to: &buffer)
        try encoder.appendStreamItem(streamId: 9, Wire.Empty(), isLast: true, to: &buffer)
        try encoder.appendCancel(streamId: 9, to: &buffer)
        try encoder.appendPong(42, to: &buffer)
        var decoder = FrameDecoder()
        decoder.append(buffer)
        let item = try #require(try decoder.nextFrame())
        #expect(item.type == .streamItem)
        #expect(item.flags.isEmpty)
        #expect(try item.decodePayload(as: Wire.GoAway.self).message == "x")
        let last = try #require(try decoder.nextFrame())
        #expect(last.flags == .endStream)
        #expect(last.payload.isEmpty)
        let cancel = try #require(try decoder.nextFrame())
        #expect(cancel.type == .cancel)
        #expect(cancel.streamId == 9)
        let pong = try #require(try decoder.nextFrame())
        #expect(pong.type == .pong)
        #expect(pong.pingData == 42)
        #expect(try decoder.nextFrame() == nil)
    }

    @Test func pingCarriesEightBytes() throws {
        var buffer: [UInt8] = []
        try encoder.appendPing(0x0102_0304_0506_0708, to: &buffer)
        #expect(buffer == bytes(hex: "00 00 00 14 b1 08 00 00 00 00 00 00 00 00 00 00 01 02 03 04 05 06 07 08"))
        #expect(try Frame(decodingExactly: buffer[...]).pingData == 0x0102_0304_0506_0708)
    }
}
