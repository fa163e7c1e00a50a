/// The 16 bytes that start every frame: a 4-byte length prefix and a 12-byte fixed header.
///
/// ```
/// offset  size  field
///      0     4  length: bytes after this field (12 + metadata + payload), big-endian
///      4     1  magic (high 4 bits, 0xB) and frame layout version (low 4 bits, 1)
///      5     1  frame type
///      6     1  flags
///      7     1  reserved, 0
///      8     4  stream id, big-endian
///     12     2  code: the method id of a REQUEST, the status of WELCOME/ERROR/GOAWAY, else 0
///     14     2  metadata length, big-endian
/// ```
public struct FrameHeader: Sendable, Hashable {
    /// The length prefix plus the fixed header.
    public static let byteCount = 16
    /// The size of the length prefix.
    public static let lengthPrefixSize = 4
    /// The smallest length prefix value: a frame with neither metadata nor payload.
    public static let minimumLength = 12
    /// The high 4 bits of byte 4 in every frame.
    public static let magic: UInt8 = 0xB0
    /// The frame layout version this code reads and writes, in the low 4 bits of byte 4.
    public static let version: UInt8 = 1

    /// The length prefix: the fixed header after the prefix, the metadata and the payload.
    public var length: UInt32
    public var version: UInt8
    public var type: FrameType
    public var flags: FrameFlags
    /// 0 for connection frames, the call's id otherwise.
    public var streamId: UInt32
    /// The method id of a REQUEST, the status code of WELCOME, ERROR and GOAWAY, 0 otherwise.
    public var code: UInt16
    public var metadataLength: UInt16

    /// Creates a header with the current layout version.
    public init(
        length: UInt32, type: FrameType, flags: FrameFlags = [], streamId: UInt32, code: UInt16 = 0,
        metadataLength: UInt16 = 0, version: UInt8 = FrameHeader.version
    ) {
        self.length = length
        self.version = version
        self.type = type
        self.flags = flags
        self.streamId = streamId
        self.code = code
        self.metadataLength = metadataLength
    }

    /// The payload length the header implies.
    public var payloadLength: Int { Int(length) - Self.minimumLength - Int(metadataLength) }
}
