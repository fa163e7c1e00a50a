import HookwireCore
import Foundation
import HookwireProtocol

/// Settings of a `HookwireServer`.
public struct ServerConfiguration: Sendable {
    /// The address to listen on: a numeric IPv4 or IPv6 address or a host name.
    public var host: String = "127.0.0.1"
    /// The TCP port to listen on. 0 picks a free port; `HookwireServer.start()` returns it.
    public var port: Int = 7600
    /// Event loop threads, each with its own epoll instance and listening socket. Defaults to
    /// one per active processor but one, and at least one, because the delivery threads in the
    /// same process need a processor too. On a 2-core machine a second loop raised get-by-id's
    /// p99 latency about threefold, since a loop waiting for a core delays all its connections
    /// (bench/README.md, "Protocol").
    public var eventLoopCount: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)
    /// Worker threads that run the calls bound by CPU and SQLite reads (get, list, stats and
    /// the other registry calls). More threads than processors only add lock contention.
    public var workerThreadCount: Int = max(2, ProcessInfo.processInfo.activeProcessorCount)
    /// Worker threads that run the calls which mostly wait: publish (for the group commit's
    /// fsync) and test (for the target's HTTP response). Each waiting call occupies one thread, so
    /// this bounds how many such calls make progress at once.
    public var waitingWorkerThreadCount: Int = 64
    /// The accepted tokens. When nil, the server accepts only clients connecting from a
    /// loopback address, as administrators.
    public var tokens: TokenTable?
    /// The largest frame accepted or sent, in bytes, header included. At most 16 MiB.
    public var maxFrameSize: Int = ProtocolLimits.defaultMaxFrameSize
    /// The largest metadata section accepted in a frame, in bytes.
    public var maxMetadataSize: Int = ProtocolLimits.defaultMaxMetadataSize
    /// Calls one connection may have running at once. A call beyond it gets
    /// RESOURCE_EXHAUSTED without being run.
    public var maxConcurrentStreams: Int = ProtocolLimits.defaultMaxConcurrentStreams
    /// Open client connections across all event loops. Connections beyond it are closed as
    /// soon as they are accepted.
    public var maxConnections: Int = 10_000
    /// Response bytes buffered for one connection, in bytes, before the server stops reading
    /// that connection's requests until the client reads. A watch stream that falls this far
    /// behind is ended with RESOURCE_EXHAUSTED.
    public var maxBufferedBytesPerConnection: Int = 4 << 20
    /// Seconds a new connection has to send its handshake before it is closed.
    public var handshakeTimeout: Double = 10
    /// Seconds a connection with no call running may stay silent before it is closed.
    public var idleTimeout: Double = 300
    /// Receives one line per notable event (a client's protocol error, a rejected handshake, an
    /// accept failure, a call failing with INTERNAL), without a trailing newline and never
    /// containing a token. It is called on event loop and worker threads and must not block for
    /// long. Nil logs nothing.
    public var log: (@Sendable (String) -> Void)?

    public init() {}

    /// Checks the settings. Throws `HookwireError.invalidArgument` naming the first value out
    /// of range.
    public func validate() throws {
        func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw HookwireError.invalidArgument(message()) }
        }
        try require((0...65535).contains(port), "port \(port) is not between 0 and 65535")
        try require(eventLoopCount >= 1, "event loop count \(eventLoopCount) must be at least 1")
        try require(workerThreadCount >= 1, "worker thread count \(workerThreadCount) must be at least 1")
        try require(
            waitingWorkerThreadCount >= 1, "waiting worker thread count \(waitingWorkerThreadCount) must be at least 1")
        _ = try ProtocolLimits(
            maxFrameSize: maxFrameSize, maxMetadataSize: maxMetadataSize, maxConcurrentStreams: maxConcurrentStreams)
        try require(maxConnections >= 1, "max connections \(maxConnections) must be at least 1")
        try require(
            maxBufferedBytesPerConnection >= maxFrameSize,
            "max buffered bytes per connection \(maxBufferedBytesPerConnection) must be at least the max frame size \(maxFrameSize)")
        try require(handshakeTimeout > 0, "handshake timeout \(handshakeTimeout) s must be positive")
        try require(idleTimeout > 0, "idle timeout \(idleTimeout) s must be positive")
    }
}
