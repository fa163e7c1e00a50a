/// One function per frame type, each writing the message the frame type carries.
extension FrameEncoder {
    /// Appends a frame whose payload is `message`, encoded in place.
    ///
    /// - Throws: `FrameError` as `append(_:flags:streamId:code:to:metadata:payload:)` does.
    public func append(
        _ type: FrameType, flags: FrameFlags = [], streamId: UInt32, code: UInt16 = 0,
        message: some ProtobufMessage, metadata: Wire.CallMetadata? = nil, to buffer: inout [UInt8]
    ) throws(FrameError) {
        try append(
            type, flags: flags, streamId: streamId, code: code, to: &buffer,
            metadata: { output in metadata?.encode(into: &output) },
            payload: { output in message.encode(into: &output) })
    }

    /// Appends the client's HELLO.
    public func appendHello(_ hello: Wire.Hello, to buffer: inout [UInt8]) throws(FrameError) {
        try append(.hello, streamId: 0, message: hello, to: &buffer)
    }

    /// Appends the server's WELCOME; a status other than OK tells the client the handshake failed.
    public func appendWelcome(
        _ welcome: Wire.Welcome, status: StatusCode = .ok, to buffer: inout [UInt8]
    ) throws(FrameError) {
        try append(.welcome, streamId: 0, code: status.rawValue, message: welcome, to: &buffer)
    }

    /// Appends a REQUEST calling `method` on `streamId`.
    public func appendRequest(
        _ method: Method, streamId: UInt32, _ request: some ProtobufMessage, metadata: Wire.CallMetadata? = nil,
        to buffer: inout [UInt8]
    ) throws(FrameError) {
        try append(.request, streamId: streamId, code: method.rawValue, message: request, metadata: metadata, to: &buffer)
    }

    /// Appends the RESPONSE that ends a call successfully.
    public func appendResponse(
        streamId: UInt32, _ response: some ProtobufMessage, to buffer: inout [UInt8]
    ) throws(FrameError) {
        try append(.response, streamId: streamId, message: response, to: &buffer)
    }

    /// Appends one STREAM_ITEM; `isLast` sets END_STREAM, which ends the call with OK.
    public func appendStreamItem(
        streamId: UInt32, _ item: some ProtobufMessage, isLast: Bool = false, to buffer: inout [UInt8]
    ) throws(FrameError) {
        try append(.streamItem, flags: isLast ? .endStream : [], streamId: streamId, message: item, to: &buffer)
    }

    /// Appends the ERROR that ends a call with `status`; the frame's code field is `status.code`.
    public func appendError(streamId: UInt32, _ status: Wire.Status, to buffer: inout [UInt8]) throws(FrameError) {
        try append(.error, streamId: streamId, code: status.code.rawValue, message: status, to: &buffer)
    }

    /// Appends a CANCEL of the call on `streamId`.
    public func appendCancel(streamId: UInt32, to buffer: inout [UInt8]) throws(FrameError) {
        try append(.cancel, streamId: streamId, to: &buffer) { _ in }
    }

    /// Appends a PING carrying `data` as 8 big-endian bytes.
    public func appendPing(_ data: UInt64, to buffer: inout [UInt8]) throws(FrameError) {
        try append(.ping, streamId: 0, to: &buffer) { $0.appendBigEndian(data) }
    }

    /// Appends the PONG that answers a PING carrying `data`.
    public func appendPong(_ data: UInt64, to buffer: inout [UInt8]) throws(FrameError) {
        try append(.pong, streamId: 0, to: &buffer) { $0.appendBigEndian(data) }
    }

    /// Appends a GOAWAY: OK for a graceful shutdown, or the status of the error that closes the
    /// connection.
    public func appendGoAway(
        status: StatusCode, lastStreamId: UInt32, message: String, to buffer: inout [UInt8]
    ) throws(FrameError) {
        try append(
            .goAway, streamId: 0, code: status.rawValue,
            message: Wire.GoAway(lastStreamId: lastStreamId, message: message), to: &buffer)
    }
}

extension Frame {
    /// Decodes the payload as the message `type`.
    ///
    /// - Throws: `ProtobufError` for a malformed payload.
    public func decodePayload<Message: ProtobufMessage>(
        as type: Message.Type = Message.self
    ) throws(ProtobufError) -> Message {
        try Message(decoding: payload)
    }

    /// Decodes the metadata; a frame without metadata gives the defaults.
    ///
    /// - Throws: `ProtobufError` for malformed metadata.
    public func decodeMetadata() throws(ProtobufError) -> Wire.CallMetadata {
        try Wire.CallMetadata(decoding: metadata)
    }

    /// The 8 bytes of a PING or PONG as a big-endian integer, or nil for another payload size.
    public var pingData: UInt64? {
        guard payload.count == 8 else { return nil }
        return payload.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
