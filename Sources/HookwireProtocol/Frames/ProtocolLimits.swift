import HookwireCore

/// Sizes and counts one side of a connection accepts. Each side decodes with its own limits and
/// announces them in HELLO or WELCOME so that the peer never sends a frame over them.
public struct ProtocolLimits: Sendable, Hashable {
    /// 1 MiB: the default maximum frame size.
    public static let defaultMaxFrameSize = 1 << 20
    /// 16 MiB: no configuration may raise the maximum frame size above this.
    public static let absoluteMaxFrameSize = 16 << 20
    /// 1 KiB: the smallest maximum frame size, enough for any HELLO, WELCOME or GOAWAY.
    public static let minimumMaxFrameSize = 1 << 10
    /// 8 KiB: the default maximum metadata size.
    public static let defaultMaxMetadataSize = 8 << 10
    /// 100: the default number of calls one connection may have in flight.
    public static let defaultMaxConcurrentStreams = 100

    /// The maximum frame length in bytes, counted as the length prefix counts: the fixed header
    /// after the prefix, the metadata and the payload.
    public let maxFrameSize: Int
    /// The maximum metadata length in bytes. It is at most 65,535 because the header stores it
    /// in 16 bits.
    public let maxMetadataSize: Int
    /// The maximum number of calls in flight on one connection. A call over it ends with
    /// RESOURCE_EXHAUSTED without running.
    public let maxConcurrentStreams: Int

    /// The defaults: 1 MiB frames, 8 KiB metadata, 100 concurrent streams.
    public static let `default` = ProtocolLimits(
        uncheckedMaxFrameSize: defaultMaxFrameSize, maxMetadataSize: defaultMaxMetadataSize,
        maxConcurrentStreams: defaultMaxConcurrentStreams)

    /// Creates limits after checking each value.
    ///
    /// - Throws: `HookwireError` with code `invalidArgument` naming the value when the frame size
    ///   is outside 1 KiB...16 MiB, the metadata size is outside 0...65,535 or not below the frame
    ///   size, or the stream count is below 1.
    public init(
        maxFrameSize: Int = defaultMaxFrameSize, maxMetadataSize: Int = defaultMaxMetadataSize,
        maxConcurrentStreams: Int = defaultMaxConcurrentStreams
    ) throws(HookwireError) {
        guard maxFrameSize >= Self.minimumMaxFrameSize, maxFrameSize <= Self.absoluteMaxFrameSize else {
            throw .invalidArgument(
                "invalid max frame size \(maxFrameSize): it must be between \(Self.minimumMaxFrameSize) "
                    + "and \(Self.absoluteMaxFrameSize) bytes")
        }
        guard maxMetadataSize >= 0, maxMetadataSize <= Int(UInt16.max),
            maxMetadataSize <= maxFrameSize - FrameHeader.minimumLength
        else {
            throw .invalidArgument(
                "invalid max metadata size \(maxMetadataSize): it must be between 0 and 65535 bytes "
                    + "and leave room for the frame header")
        }
        guard maxConcurrentStreams >= 1 else {
            throw .invalidArgument("invalid max concurrent streams \(maxConcurrentStreams): it must be at least 1")
        }
        self.init(
            uncheckedMaxFrameSize: maxFrameSize, maxMetadataSize: maxMetadataSize,
            maxConcurrentStreams: maxConcurrentStreams)
    }

    private init(uncheckedMaxFrameSize: Int, maxMetadataSize: Int, maxConcurrentStreams: Int) {
        self.maxFrameSize = uncheckedMaxFrameSize
        self.maxMetadataSize = maxMetadataSize
        self.maxConcurrentStreams = maxConcurrentStreams
    }
}
