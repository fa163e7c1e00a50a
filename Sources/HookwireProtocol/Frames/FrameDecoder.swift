/// An incremental frame decoder over a connection's receive buffer.
///
/// Append bytes as they arrive (`receive(maxCount:_:)` lets `recv` write straight into the
/// buffer), then call `nextFrame()` until it returns nil. Frames come out as slices of the
/// buffer, without copying their payload. Header fields are checked as soon as their bytes are
/// buffered, so an oversized length prefix is rejected before the buffer grows to hold it. When
/// `nextFrame()` runs after every read, the buffer contains at most one maximum-size frame plus
/// one read.
///
/// After a `FrameError` the byte stream cannot be resynchronized: close the connection.
public struct FrameDecoder: Sendable {
    /// The limits incoming frames are checked against.
    public var limits: ProtocolLimits

    /// Received bytes live in `storage[readIndex..<writeIndex]`. The bytes past `writeIndex`
    /// are spare space that `receive` lends to `read`, so a read never zero-fills the buffer.
    private var storage: [UInt8] = []
    private var readIndex = 0
    private var writeIndex = 0

    public init(limits: ProtocolLimits = .default) {
        self.limits = limits
    }

    /// The number of bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { writeIndex - readIndex }

    /// The size of the storage, received bytes and spare space together.
    var storageSize: Int { storage.count }

    /// Appends received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        reserveSpace(bytes.count)
        let start = writeIndex
        storage.withUnsafeMutableBytes { space in
            UnsafeMutableRawBufferPointer(rebasing: space[start..<(start + bytes.count)]).copyMemory(from: bytes)
        }
        writeIndex += bytes.count
    }

    /// Appends received bytes.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        let count = bytes.count
        guard count > 0 else { return }
        reserveSpace(count)
        storage.replaceSubrange(writeIndex..<(writeIndex + count), with: bytes)
        writeIndex += count
    }

    /// Lets `read` write up to `maxCount` bytes at the end of the buffer and keeps the number it
    /// returns, so a socket read lands in the buffer without a copy.
    ///
    /// - Parameters:
    ///   - maxCount: The space offered to `read`, in bytes.
    ///   - read: Writes into the space and returns how many bytes it wrote (0...maxCount), or a
    ///     negative value, which keeps nothing.
    /// - Returns: What `read` returned.
    public mutating func receive(
        maxCount: Int, _ read: (UnsafeMutableRawBufferPointer) throws -> Int
    ) rethrows -> Int {
        precondition(maxCount >= 0, "negative receive size \(maxCount)")
        reserveSpace(maxCount)
        let start = writeIndex
        let result = try storage.withUnsafeMutableBytes { space in
            try read(UnsafeMutableRawBufferPointer(rebasing: space[start..<(start + maxCount)]))
        }
        writeIndex += min(max(result, 0), maxCount)
        return result
    }

    /// Returns the next complete frame, or nil when more bytes are needed.
    ///
    /// The frame's slices share the buffer's storage. Let them go before the next `append` or
    /// `receive`, or that call copies the whole buffer to keep them intact.
    ///
    /// - Throws: `FrameError` for bytes that are not a valid frame under `limits`.
    public mutating func nextFrame() throws(FrameError) -> Frame? {
        guard let (frame, size) = try Frame.decode(storage[readIndex..<writeIndex], limits: limits) else {
            return nil
        }
        readIndex += size
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
        return frame
    }

    /// Checks that the peer's stream ended on a frame boundary.
    ///
    /// - Throws: `FrameError.truncated` when bytes of an incomplete frame are buffered.
    public func finish() throws(FrameError) {
        guard bufferedByteCount > 0 else { return }
        let rest = storage[readIndex..<writeIndex]
        var expected = FrameHeader.lengthPrefixSize
        if rest.count >= FrameHeader.lengthPrefixSize {
            expected += Int(readUInt32(rest, at: rest.startIndex))
        }
        throw .truncated(expected: expected, available: rest.count)
    }

    /// Makes room for `count` more bytes after `writeIndex`: first by moving the unread bytes to
    /// the front, then by growing the storage. Only grown bytes are zero-filled.
    private mutating func reserveSpace(_ count: Int) {
        guard storage.count - writeIndex < count else { return }
        if readIndex > 0 {
            storage.removeSubrange(0..<readIndex)
            writeIndex -= readIndex
            readIndex = 0
        }
        let missing = writeIndex + count - storage.count
        if missing > 0 {
            storage.append(contentsOf: repeatElement(0, count: missing))
        }
    }
}

extension Frame {
    /// Decodes the frame at the start of `bytes`.
    ///
    /// Checks run in wire order as soon as their bytes are present. First come the magic and
    /// version (byte 4), then the length prefix against `limits` and the header size. Next come
    /// type, reserved byte, flags, stream id and metadata length (bytes 5...15), and last the
    /// payload length of PING, PONG and CANCEL. With only the 4 prefix bytes, the length is
    /// checked alone.
    ///
    /// - Returns: The frame, whose metadata and payload are slices of `bytes`, and the number of
    ///   bytes it took; or nil when `bytes` ends before the frame does.
    /// - Throws: `FrameError` for the first check that fails.
    public static func decode(
        _ bytes: ArraySlice<UInt8>, limits: ProtocolLimits = .default
    ) throws(FrameError) -> (frame: Frame, size: Int)? {
        let start = bytes.startIndex
        guard bytes.count >= FrameHeader.lengthPrefixSize else { return nil }
        if bytes.count > 4 {
            let magicAndVersion = bytes[start + 4]
            guard magicAndVersion & 0xF0 == FrameHeader.magic else { throw .badMagic(magicAndVersion) }
            guard magicAndVersion & 0x0F == FrameHeader.version else {
                throw .unsupportedVersion(magicAndVersion & 0x0F)
            }
        }
        let length = readUInt32(bytes, at: start)
        guard Int(length) <= limits.maxFrameSize else {
            throw .frameTooLarge(length: length, limit: limits.maxFrameSize)
        }
        guard Int(length) >= FrameHeader.minimumLength else { throw .frameTooShort(length: length) }
        guard bytes.count >= FrameHeader.byteCount else { return nil }

        let rawType = bytes[start + 5]
        guard let type = FrameType(rawValue: rawType) else { throw .unknownFrameType(rawType) }
        let rawFlags = bytes[start + 6]
        guard rawFlags & ~type.allowedFlags.rawValue == 0 else { throw .badFlags(type: type, flags: rawFlags) }
        let reserved = bytes[start + 7]
        guard reserved == 0 else { throw .reservedNotZero(reserved) }
        let streamId = readUInt32(bytes, at: start + 8)
        guard (streamId == 0) == type.isConnectionLevel else { throw .badStreamId(type: type, streamId: streamId) }
        let code = readUInt16(bytes, at: start + 12)
        let metadataLength = readUInt16(bytes, at: start + 14)
        guard Int(metadataLength) <= limits.maxMetadataSize else {
            throw .metadataTooLong(length: metadataLength, limit: limits.maxMetadataSize)
        }
        let payloadLength = Int(length) - FrameHeader.minimumLength - Int(metadataLength)
        guard payloadLength >= 0 else {
            throw .metadataBeyondFrame(metadataLength: metadataLength, frameLength: length)
        }
        switch type {
        case .ping, .pong:
            guard payloadLength == 8 else { throw .badPayloadLength(type: type, length: payloadLength) }
        case .cancel:
            guard payloadLength == 0 else { throw .badPayloadLength(type: type, length: payloadLength) }
        default:
            break
        }

        let size = FrameHeader.lengthPrefixSize + Int(length)
        guard bytes.count >= size else { return nil }
        let metadataStart = start + FrameHeader.byteCount
        let payloadStart = metadataStart + Int(metadataLength)
        let frame = Frame(
            type: type, flags: FrameFlags(rawValue: rawFlags), streamId: streamId, code: code,
            metadata: bytes[metadataStart..<payloadStart], payload: bytes[payloadStart..<(start + size)])
        return (frame, size)
    }

    /// Decodes a buffer that contains exactly one frame.
    ///
    /// - Throws: `FrameError.truncated` when the frame is incomplete, `trailingBytes` when bytes
    ///   follow it, or the error `decode(_:limits:)` finds.
    public init(decodingExactly bytes: ArraySlice<UInt8>, limits: ProtocolLimits = .default) throws(FrameError) {
        guard let (frame, size) = try Frame.decode(bytes, limits: limits) else {
            let expected =
                bytes.count >= FrameHeader.lengthPrefixSize
                ? FrameHeader.lengthPrefixSize + Int(readUInt32(bytes, at: bytes.startIndex))
                : FrameHeader.byteCount
            throw .truncated(expected: expected, available: bytes.count)
        }
        guard size == bytes.count else { throw .trailingBytes(count: bytes.count - size) }
        self = frame
    }
}

@inline(__always)
func readUInt32(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
    UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8
        | UInt32(bytes[index + 3])
}

@inline(__always)
func readUInt16(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt16 {
    UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
}
