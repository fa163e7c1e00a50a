import HookwireCore
import HookwireProtocol

/// One unary call: a method, its encoded request and how to decode its response.
///
/// The static factories in `HookwireCall+Methods.swift` build one for every method; pass them to
/// `HookwireClient.perform(_:timeout:)` or `performBlocking(_:timeout:)`.
public struct HookwireCall<Response: Sendable>: Sendable {
    public let method: Method
    let encodeRequest: @Sendable (inout [UInt8]) -> Void
    private let decode: @Sendable (ArraySlice<UInt8>) throws -> Response

    /// Creates a call from a request message and a function that converts the response message.
    public init<Request: ProtobufMessage, Reply: ProtobufMessage>(
        method: Method, request: Request, response: Reply.Type,
        convert: @escaping @Sendable (Reply) throws(HookwireError) -> Response
    ) {
        self.method = method
        encodeRequest = { request.encode(into: &$0) }
        decode = replyDecoder(method, part: "response", convert: convert)
    }

    /// The length of the REQUEST frame this call sends, as the frame's length prefix counts it:
    /// the header after the prefix, the longest call metadata the client writes and the encoded
    /// request. The call is sent only when this is at most the server's maximum frame size.
    public var requestFrameLength: Int {
        var payload: [UInt8] = []
        encodeRequest(&payload)
        return FrameHeader.minimumLength + ConnectionMessages.maximumCallMetadataLength + payload.count
    }

    /// Decodes the RESPONSE payload.
    /// - Throws: `HookwireError` with code `internalError` for a malformed message, or what the
    ///   conversion throws.
    func decodeResponse(_ payload: ArraySlice<UInt8>) throws -> Response {
        try decode(payload)
    }
}

/// One server-streaming call: a method, its encoded request and how to decode each item.
public struct HookwireStreamingCall<Item: Sendable>: Sendable {
    public let method: Method
    let encodeRequest: @Sendable (inout [UInt8]) -> Void
    private let decode: @Sendable (ArraySlice<UInt8>) throws -> Item

    /// Creates a streaming call from a request message and a function that converts each item.
    public init<Request: ProtobufMessage, Reply: ProtobufMessage>(
        method: Method, request: Request, item: Reply.Type,
        convert: @escaping @Sendable (Reply) throws(HookwireError) -> Item
    ) {
        self.method = method
        encodeRequest = { request.encode(into: &$0) }
        decode = replyDecoder(method, part: "item", convert: convert)
    }

    func decodeItem(_ payload: ArraySlice<UInt8>) throws -> Item {
        try decode(payload)
    }
}

/// Returns a function that decodes a payload as `Reply` and converts it. A malformed message
/// throws `internalError`, naming the method and `part` ("response" or "item").
private func replyDecoder<Reply: ProtobufMessage, Value>(
    _ method: Method, part: String, convert: @escaping @Sendable (Reply) throws(HookwireError) -> Value
) -> @Sendable (ArraySlice<UInt8>) throws -> Value {
    { payload in
        let reply: Reply
        do {
            reply = try Reply(decoding: payload)
        } catch {
            throw HookwireError(.internalError, "malformed \(method) \(part) from the server: \(error)")
        }
        return try convert(reply)
    }
}
