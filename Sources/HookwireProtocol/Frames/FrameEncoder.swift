/// Appends frames to an output buffer, so that many frames go out in one `send`.
///
/// The metadata and payload are written straight into the buffer after a placeholder header,
/// and the header's length fields are filled in afterwards: no intermediate array is built.
public struct FrameEncoder: Sendable {
    /// The peer's maximum frame size, as its HELLO or WELCOME announced it. A frame over it is
    /// not written.
    public var maxFrameSize: Int

    public init(maxFrameSize: Int = ProtocolLimits.defaultMaxFrameSize) {
        self.maxFrameSize = maxFrameSize
    }

    /// Appends an already built frame.
    ///
    /// - Throws: `FrameError` when the frame breaks a rule that `Frame.decode` checks; the buffer
    ///   is then unchanged.
    public func append(_ frame: Frame, to buffer: inout [UInt8]) throws(FrameError) {
        try append(
            frame.type, flags: frame.flags, streamId: frame.streamId, code: frame.code, to: &buffer,
            metadata: { $0.append(contentsOf: frame.metadata) }, payload: { $0.append(contentsOf: frame.payload) })
    }

    /// Appends a frame whose metadata and payload the closures append to the buffer.
    ///
    /// - Parameters:
    ///   - metadata: Appends the metadata bytes (a `CallMetadata` message), or nothing.
    ///   - payload: Appends the payload bytes.
    /// - Throws: `FrameError.frameTooLarge` over `maxFrameSize`, `metadataTooLong` over 65,535
    ///   bytes, `badFlags`, `badStreamId` or `badPayloadLength` for a frame the decoder would
    ///   reject. The buffer is then unchanged.
    public func append(
        _ type: FrameType, flags: FrameFlags = [], streamId: UInt32, code: UInt16 = 0,
        to buffer: inout [UInt8],
        metadata: (inout [UInt8]) -> Void = { _ in },
        payload: (inout [UInt8]) -> Void
    ) throws(FrameError) {
        guard flags.isSubset(of: type.allowedFlags) else { throw .badFlags(type: type, flags: flags.rawValue) }
        guard (streamId == 0) == type.isConnectionLevel else { throw .badStreamId(type: type, streamId: streamId) }

        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: FrameHeader.byteCount))
        metadata(&buffer)
        let metadataLength = buffer.count - start - FrameHeader.byteCount
        payload(&buffer)
        let length = buffer.count - start - FrameHeader.lengthPrefixSize
        let payloadLength = length - FrameHeader.minimumLength - metadataLength

        if let error = violation(type, length: length, metadataLength: metadataLength, payloadLength: payloadLength) {
            buffer.removeSubrange(start...)
            throw error
        }
        buffer.withUnsafeMutableBufferPointer { bytes in
            writeUInt32(UInt32(length), to: bytes, at: start)
            bytes[start + 4] = FrameHeader.magic | FrameHeader.version
            bytes[start + 5] = type.rawValue
            bytes[start + 6] = flags.rawValue
            bytes[start + 7] = 0
            writeUInt32(streamId, to: bytes, at: start + 8)
            bytes[start + 12] = UInt8(truncatingIfNeeded: code >> 8)
            bytes[start + 13] = UInt8(truncatingIfNeeded: code)
            bytes[start + 14] = UInt8(truncatingIfNeeded: metadataLength >> 8)
            bytes[start + 15] = UInt8(truncatingIfNeeded: metadataLength)
        }
    }

    /// Appends a frame without metadata whose payload is already encoded, writing the header
    /// with one copy. It produces the same bytes as the closure-based `append` with no metadata.
    ///
    /// - Throws: The errors of the closure-based `append`. The buffer is then unchanged.
    public func append(
        _ type: FrameType, streamId: UInt32, code: UInt16 = 0, payload: [UInt8], to buffer: inout [UInt8]
    ) throws(FrameError) {
        guard (streamId == 0) == type.isConnectionLevel else { throw .badStreamId(type: type, streamId: streamId) }
        let length = FrameHeader.minimumLength + payload.count
        if let error = violation(type, length: length, metadataLength: 0, payloadLength: payload.count) {
            throw error
        }
        // Bytes 0...7 and 8...15 of the header as two big-endian words. The flags, the reserved
        // byte and the metadata length stay 0.
        let first = UInt64(length) << 32 | UInt64(FrameHeader.magic | FrameHeader.version) << 24 | UInt64(type.rawValue) << 16
        let second = UInt64(streamId) << 32 | UInt64(code) << 16
        let header = (first.bigEndian, second.bigEndian)
        withUnsafeBytes(of: header) { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: payload)
    }

    private func violation(_ type: FrameType, length: Int, metadataLength: Int, payloadLength: Int) -> FrameError? {
        if length > maxFrameSize {
            return .frameTooLarge(length: UInt32(clamping: length), limit: maxFrameSize)
        }
        if metadataLength > Int(UInt16.max) {
            return .metadataTooLong(length: UInt16.max, limit: Int(UInt16.max))
        }
        switch type {
        case .ping, .pong:
            return payloadLength == 8 ? nil : .badPayloadLength(type: type, length: payloadLength)
        case .cancel:
            return payloadLength == 0 ? nil : .badPayloadLength(type: type, length: payloadLength)
        default:
            return nil
        }
    }
}

@inline(__always)
private func writeUInt32(_ value: UInt32, to bytes: UnsafeMutableBufferPointer<UInt8>, at index: Int) {
    bytes[index] = UInt8(truncatingIfNeeded: value >> 24)
    bytes[index + 1] = UInt8(truncatingIfNeeded: value >> 16)
    bytes[index + 2] = UInt8(truncatingIfNeeded: value >> 8)
    bytes[index + 3] = UInt8(truncatingIfNeeded: value)
}
