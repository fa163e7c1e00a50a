/// One frame of the protocol, with its metadata and payload.
///
/// A decoded frame's `metadata` and `payload` are slices of the decoder's buffer, not copies.
/// They keep that buffer's storage alive, so decode a payload into its message before keeping a
/// frame for long.
public struct Frame: Sendable, Hashable {
    public var type: FrameType
    public var flags: FrameFlags
    /// 0 for connection frames, the call's id otherwise.
    public var streamId: UInt32
    /// The method id of a REQUEST, the status code of WELCOME, ERROR and GOAWAY, 0 otherwise.
    public var code: UInt16
    /// A serialized `CallMetadata` message, or empty.
    public var metadata: ArraySlice<UInt8>
    /// The serialized message the frame type defines, or 8 opaque bytes for PING and PONG.
    public var payload: ArraySlice<UInt8>

    public init(
        type: FrameType, flags: FrameFlags = [], streamId: UInt32 = 0, code: UInt16 = 0,
        metadata: ArraySlice<UInt8> = [], payload: ArraySlice<UInt8> = []
    ) {
        self.type = type
        self.flags = flags
        self.streamId = streamId
        self.code = code
        self.metadata = metadata
        self.payload = payload
    }

    /// The header that encodes this frame.
    public var header: FrameHeader {
        FrameHeader(
            length: UInt32(FrameHeader.minimumLength + metadata.count + payload.count), type: type,
            flags: flags, streamId: streamId, code: code, metadataLength: UInt16(truncatingIfNeeded: metadata.count))
    }

    /// The number of bytes the frame takes on the wire, length prefix included.
    public var encodedSize: Int { FrameHeader.byteCount + metadata.count + payload.count }

    /// The code field read as a status, for WELCOME, ERROR and GOAWAY frames.
    public var status: StatusCode { StatusCode(rawValue: code) }

    /// The code field read as a method, for REQUEST frames; nil for an unknown method id.
    public var method: Method? { Method(rawValue: code) }
}
