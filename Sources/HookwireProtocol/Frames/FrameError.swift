/// Why bytes from a peer are not a valid frame. Every case is a connection error: the reader
/// sends GOAWAY with `status` and closes, because the byte stream cannot be resynchronized.
public enum FrameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte 4 does not carry the magic 0xB in its high 4 bits.
    case badMagic(UInt8)
    /// The frame layout version in the low 4 bits of byte 4 is not one this code reads.
    case unsupportedVersion(UInt8)
    /// The length prefix is over the receiver's maximum frame size.
    case frameTooLarge(length: UInt32, limit: Int)
    /// The length prefix is below the 12 bytes of the fixed header.
    case frameTooShort(length: UInt32)
    /// The reserved byte 7 is not 0.
    case reservedNotZero(UInt8)
    /// Byte 5 is not a known frame type.
    case unknownFrameType(UInt8)
    /// The flags byte has a bit that the frame type does not allow.
    case badFlags(type: FrameType, flags: UInt8)
    /// A connection frame on a call's stream, or a call frame on stream 0.
    case badStreamId(type: FrameType, streamId: UInt32)
    /// The metadata length is over the receiver's maximum metadata size.
    case metadataTooLong(length: UInt16, limit: Int)
    /// The metadata length is larger than the frame's length leaves room for.
    case metadataBeyondFrame(metadataLength: UInt16, frameLength: UInt32)
    /// The payload length does not fit the frame type (PING and PONG carry exactly 8 bytes,
    /// CANCEL none).
    case badPayloadLength(type: FrameType, length: Int)
    /// The bytes end inside a frame.
    case truncated(expected: Int, available: Int)
    /// Bytes follow the frame where exactly one frame was expected.
    case trailingBytes(count: Int)

    /// The status a GOAWAY reporting this error carries.
    public var status: StatusCode {
        switch self {
        case .frameTooLarge, .metadataTooLong: .resourceExhausted
        case .unsupportedVersion: .unimplemented
        default: .invalidArgument
        }
    }

    public var description: String {
        switch self {
        case .badMagic(let byte):
            "not a Hookwire frame: byte 4 is 0x\(hex(byte)), expected 0xB1" + peerHint(byte)
        case .unsupportedVersion(let version):
            "unsupported frame layout version \(version): this peer reads version \(FrameHeader.version)"
        case .frameTooLarge(let length, let limit):
            "frame length \(length) is over the maximum frame size of \(limit) bytes"
        case .frameTooShort(let length):
            "frame length \(length) is shorter than the \(FrameHeader.minimumLength)-byte fixed header"
        case .reservedNotZero(let byte):
            "reserved header byte is 0x\(hex(byte)), expected 0"
        case .unknownFrameType(let type):
            "unknown frame type 0x\(hex(type))"
        case .badFlags(let type, let flags):
            "flags 0x\(hex(flags)) are not valid on a \(type) frame (allowed: 0x\(hex(type.allowedFlags.rawValue)))"
        case .badStreamId(let type, let streamId):
            type.isConnectionLevel
                ? "\(type) frame on stream \(streamId): it must use stream 0"
                : "\(type) frame on stream 0: it must use a call's stream id"
        case .metadataTooLong(let length, let limit):
            "metadata length \(length) is over the maximum metadata size of \(limit) bytes"
        case .metadataBeyondFrame(let metadataLength, let frameLength):
            "metadata length \(metadataLength) does not fit in frame length \(frameLength)"
        case .badPayloadLength(let type, let length):
            "\(type) payload of \(length) bytes: it must be \(type == .cancel ? 0 : 8) bytes"
        case .truncated(let expected, let available):
            "frame truncated: \(available) of \(expected) bytes arrived"
        case .trailingBytes(let count):
            "\(count) bytes follow the frame"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits = String(byte, radix: 16, uppercase: true)
    return digits.count == 1 ? "0" + digits : digits
}

/// Names the protocol a peer probably speaks when byte 4 of its stream is ASCII (HTTP, whose
/// request line puts the path's `/` or a space there) or the stream looks like TLS.
private func peerHint(_ byte: UInt8) -> String {
    byte >= 0x20 && byte < 0x7F ? " (is the peer speaking a text protocol such as HTTP?)" : ""
}
