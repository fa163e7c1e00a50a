import HookwireCore
import HookwireProtocol

/// The protocol rules of one server connection, without sockets: which frame may come when,
/// which calls are running, and what to send in reply.
///
/// The connection feeds it each decoded frame and each finished call. It returns one action at
/// a time, and the connection carries it out by encoding frames, queueing calls or closing.
struct ConnectionStateMachine {
    enum Phase: Equatable {
        /// Waiting for the client's HELLO.
        case awaitingHello
        /// Serving calls.
        case open
        /// GOAWAY was sent or received: running calls finish, new ones are refused.
        case draining
        /// The connection is closing; nothing more is processed.
        case closed
    }

    /// The kind of a call that has not ended yet.
    enum StreamKind: Equatable {
        /// A unary call running on a worker. `isCancelled` is set when the client cancelled it;
        /// its result is then replaced by CANCELLED.
        case unary(isCancelled: Bool)
        /// A server-streaming watch call, which runs until cancelled or shut down.
        case watch
    }

    /// The step the connection takes after a frame or an event.
    enum Action: Equatable {
        case none
        /// Reply to HELLO with an OK WELCOME for `version` and serve calls as `caller`, sending
        /// frames of at most `clientMaxFrameSize` bytes.
        case welcome(version: UInt32, caller: Caller, clientMaxFrameSize: Int)
        /// Reply to HELLO with a failed WELCOME carrying the status and message, then close.
        case rejectHandshake(StatusCode, String)
        /// Run a unary call. Its stream opens only with `startUnary(_:)`, which the connection
        /// calls before handing the call to a worker. A call that ends before the next frame is
        /// received, because it is served on the spot, needs no open stream.
        case dispatch(streamId: UInt32, method: Method)
        /// Start a watch stream.
        case startWatch(streamId: UInt32)
        /// Stop a watch stream and end it with CANCELLED.
        case stopWatch(streamId: UInt32)
        /// End a call with an ERROR frame without running it.
        case failStream(streamId: UInt32, StatusCode, String)
        /// Reply to a PING with a PONG carrying the same 8 bytes.
        case pong
        /// Send GOAWAY with the status, the message and the last processed stream id, then close
        /// once running calls end (for OK) or at once (for an error).
        case goAway(StatusCode, String)
        /// Close once running calls end and their responses are sent.
        case closeWhenIdle
    }

    let limits: ProtocolLimits
    /// The protocol versions this server speaks, highest preferred.
    let supportedVersions: [UInt32]
    private let authenticate: (_ token: [UInt8], _ isLoopback: Bool) -> Result<Caller, AuthenticationFailure>
    private let isLoopback: Bool

    private(set) var phase: Phase = .awaitingHello
    private(set) var caller: Caller?
    private(set) var streams: [UInt32: StreamKind] = [:]
    /// The highest stream id whose call was accepted for processing; GOAWAY carries it.
    private(set) var lastProcessedStreamId: UInt32 = 0

    init(
        limits: ProtocolLimits, supportedVersions: [UInt32], isLoopback: Bool,
        authenticate: @escaping (_ token: [UInt8], _ isLoopback: Bool) -> Result<Caller, AuthenticationFailure>
    ) {
        self.limits = limits
        self.supportedVersions = supportedVersions
        self.isLoopback = isLoopback
        self.authenticate = authenticate
    }

    /// True when calls are running, which keeps an otherwise idle connection open.
    var hasStreamsOpen: Bool { !streams.isEmpty }

    /// Applies one frame from the client.
    mutating func receive(_ frame: Frame) -> Action {
        switch phase {
        case .closed:
            return .none
        case .awaitingHello:
            guard frame.type == .hello else {
                return protocolError(.invalidArgument, "expected HELLO as the first frame, got \(frame.type)")
            }
            return receiveHello(frame)
        case .open, .draining:
            break
        }
        switch frame.type {
        case .request:
            return receiveRequest(frame)
        case .cancel:
            return receiveCancel(streamId: frame.streamId)
        case .ping:
            return .pong
        case .pong:
            return .none
        case .goAway:
            phase = .draining
            return .closeWhenIdle
        case .hello:
            return protocolError(.invalidArgument, "HELLO sent twice")
        case .welcome, .response, .streamItem, .error:
            return protocolError(.invalidArgument, "\(frame.type) frames are sent only by servers")
        }
    }

    private mutating func receiveHello(_ frame: Frame) -> Action {
        let hello: Wire.Hello
        do {
            hello = try Wire.Hello(decoding: frame.payload)
        } catch {
            return rejectHandshake(.invalidArgument, "malformed HELLO: \(error)")
        }
        guard let version = supportedVersions.first(where: { hello.versions.contains($0) }) else {
            let offered = hello.versions.map(String.init).joined(separator: ", ")
            let supported = supportedVersions.map(String.init).joined(separator: ", ")
            return rejectHandshake(
                .unimplemented,
                "no common protocol version: the client offered [\(offered)], the server supports [\(supported)]")
        }
        switch authenticate(Array(hello.token.utf8), isLoopback) {
        case .failure(let failure):
            return rejectHandshake(.unauthenticated, failure.message)
        case .success(let caller):
            self.caller = caller
            phase = .open
            let clientMaxFrameSize =
                hello.maxFrameSize == 0
                ? ProtocolLimits.defaultMaxFrameSize
                : min(max(Int(hello.maxFrameSize), ProtocolLimits.minimumMaxFrameSize), ProtocolLimits.absoluteMaxFrameSize)
            return .welcome(version: version, caller: caller, clientMaxFrameSize: clientMaxFrameSize)
        }
    }

    private mutating func rejectHandshake(_ status: StatusCode, _ message: String) -> Action {
        phase = .closed
        return .rejectHandshake(status, message)
    }

    private mutating func receiveRequest(_ frame: Frame) -> Action {
        let streamId = frame.streamId
        if streams[streamId] != nil {
            return protocolError(.invalidArgument, "stream id \(streamId) is already in use by a running call")
        }
        if phase == .draining {
            return .failStream(streamId: streamId, .unavailable, "the connection is closing; retry on a new connection")
        }
        guard let method = frame.method else {
            return .failStream(streamId: streamId, .unimplemented, "unknown method id \(frame.code)")
        }
        guard streams.count < limits.maxConcurrentStreams else {
            return .failStream(
                streamId: streamId, .resourceExhausted,
                "\(streams.count) calls are running on this connection, the maximum; wait for one to end")
        }
        lastProcessedStreamId = max(lastProcessedStreamId, streamId)
        if method.isServerStreaming {
            streams[streamId] = .watch
            return .startWatch(streamId: streamId)
        }
        return .dispatch(streamId: streamId, method: method)
    }

    /// Opens the stream of a call that `.dispatch` accepted, so that it counts against the
    /// concurrent stream limit until `endStream(_:)` and may be cancelled.
    mutating func startUnary(_ streamId: UInt32) {
        streams[streamId] = .unary(isCancelled: false)
    }

    private mutating func receiveCancel(streamId: UInt32) -> Action {
        switch streams[streamId] {
        case nil, .unary(isCancelled: true):
            // The call already ended, so the CANCEL crossed its last frame.
            return .none
        case .unary(isCancelled: false):
            streams[streamId] = .unary(isCancelled: true)
            return .none
        case .watch:
            streams[streamId] = nil
            return .stopWatch(streamId: streamId)
        }
    }

    /// Records that a call ended, because its last frame is about to be sent or the server
    /// ended a watch. Returns false when the client cancelled the call, so the caller sends
    /// CANCELLED in place of the result. Returns nil when the stream is unknown, so nothing is sent.
    mutating func endStream(_ streamId: UInt32) -> Bool? {
        guard let kind = streams.removeValue(forKey: streamId) else { return nil }
        return kind != .unary(isCancelled: true)
    }

    /// Returns whether frames for this stream may still be sent.
    func isStreamOpen(_ streamId: UInt32) -> Bool {
        if case .unary(isCancelled: true)? = streams[streamId] { return false }
        return streams[streamId] != nil
    }

    /// The ids of running watch streams.
    var watchStreamIds: [UInt32] { streams.compactMap { $0.value == .watch ? $0.key : nil } }

    /// Starts a graceful shutdown: no new calls, running calls finish. Returns the GOAWAY to
    /// send, or nil when the connection is already closing.
    mutating func beginShutdown() -> Action? {
        switch phase {
        case .awaitingHello:
            phase = .closed
            return .goAway(.unavailable, "the server is shutting down")
        case .open:
            phase = .draining
            return .goAway(.ok, "the server is shutting down")
        case .draining, .closed:
            return nil
        }
    }

    /// Gives up on the connection because of a timeout or a condition outside the frames.
    mutating func fail(_ status: StatusCode, _ message: String) -> Action {
        protocolError(status, message)
    }

    private mutating func protocolError(_ status: StatusCode, _ message: String) -> Action {
        phase = .closed
        return .goAway(status, message)
    }
}

/// The reason a handshake's token was rejected. The message never contains the token.
struct AuthenticationFailure: Error, Equatable {
    var message: String
}
