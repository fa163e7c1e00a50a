import CLinuxShim
import Foundation
import Glibc
import HookwireCore
import HookwireProtocol

/// One client connection on an event loop: its buffers, its protocol state and its running
/// calls. Only the owning loop's thread touches it.
final class Connection {
    unowned let loop: EventLoop
    /// The loop's shared state, held directly because every call reads it.
    private let core: ServerCore
    let fd: Int32
    let serial: UInt64
    /// The peer's `host:port`, for logs.
    let peer: String
    var key: ConnectionKey { ConnectionKey(fd: fd, serial: serial) }

    // The three properties that every call modifies skip the runtime's exclusivity check,
    // which took about 5% of the loop's time at -P 16 in perf profiles. Only the loop thread
    // touches them, and no method modifies one of them while another access to it is running.
    // NOTE: a new overlapping access would not trap, so keep these accesses sequential.
    @exclusivity(unchecked) var decoder: FrameDecoder
    @exclusivity(unchecked) var machine: ConnectionStateMachine
    /// Encodes frames of at most the client's maximum frame size, once its HELLO announced it.
    var encoder: FrameEncoder

    /// Encoded frames waiting to be sent; bytes before `outputSent` are already sent.
    @exclusivity(unchecked) var output: [UInt8] = []
    var outputSent = 0
    /// The epoll events currently registered.
    var interest: UInt32 = HW_EPOLLIN
    var isDirty = false
    var isClosed = false
    /// True while too much output is buffered; reading resumes once the client catches up.
    var isReadingPaused = false
    /// True once the peer closed its sending side.
    var isInputClosed = false
    /// True when the connection closes as soon as its output is sent.
    var closeAfterFlush = false
    /// True after the server shut down its sending side and waits for the peer to close.
    var isLingering = false
    /// When a closing connection is closed even if the client neither reads nor closes.
    var lingerDeadline: UInt64 = 0
    let handshakeDeadline: UInt64
    var lastActivity: UInt64
    private var watches: [UInt32: any WatchSubscription] = [:]
    /// The number of each running watch call by stream id; numbers start at 1 and never repeat.
    private var watchNumbers: [UInt32: UInt64] = [:]
    private var nextWatchNumber: UInt64 = 1

    init(loop: EventLoop, fd: Int32, serial: UInt64, now: UInt64) {
        self.loop = loop
        self.fd = fd
        self.serial = serial
        peer = Self.peerAddress(fd)
        let core = loop.core
        self.core = core
        decoder = FrameDecoder(limits: core.limits)
        encoder = FrameEncoder(maxFrameSize: core.limits.maxFrameSize)
        machine = ConnectionStateMachine(
            limits: core.limits, supportedVersions: ServerCore.supportedVersions,
            isLoopback: hw_peer_is_loopback(fd) == 1,
            authenticate: { [unowned core] token, isLoopback in core.authenticate(token: token, isLoopback: isLoopback) })
        handshakeDeadline = now + UInt64(core.configuration.handshakeTimeout * 1e9)
        lastActivity = now
    }

    private static func peerAddress(_ fd: Int32) -> String {
        var address = [CChar](repeating: 0, count: 64)
        guard hw_peer_address(fd, &address, UInt(address.count)) == 0 else { return "fd \(fd)" }
        return String(decoding: address.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var isAuthenticated: Bool { machine.caller != nil }
    var hasStreamsOpen: Bool { machine.hasStreamsOpen }

    // MARK: - Input

    /// Decodes and handles every complete frame in newly read bytes.
    func receive(_ bytes: UnsafeRawBufferPointer) {
        decoder.append(bytes)
        while !isClosed && !closeAfterFlush {
            let frame: Frame?
            do {
                frame = try decoder.nextFrame()
            } catch {
                perform(machine.fail(error.status, "\(error)"))
                return
            }
            guard let frame else { return }
            handle(frame)
        }
    }

    /// Carries out what the state machine decides for a received frame. The actions that need
    /// the frame's bytes are handled here, so the frame is never copied into an optional.
    private func handle(_ frame: Frame) {
        let action = machine.receive(frame)
        switch action {
        case .dispatch(let streamId, let method):
            guard let caller = machine.caller else { return }
            dispatch(streamId: streamId, method: method, frame: frame, caller: caller)
        case .startWatch(let streamId):
            guard let caller = machine.caller else { return }
            startWatch(streamId: streamId, request: Array(frame.payload), caller: caller)
        case .pong:
            appendFrame(.pong, streamId: 0, code: 0) { $0.append(contentsOf: frame.payload) }
        default:
            perform(action)
        }
    }

    /// Handles the end of the client's byte stream: running calls still get their responses, then the
    /// connection closes.
    func peerClosedInput() {
        isInputClosed = true
        if isLingering {
            loop.closeConnection(self, reason: nil)
            return
        }
        if decoder.bufferedByteCount > 0 {
            core.log("connection \(peer): closed by the client inside a frame (\(decoder.bufferedByteCount) bytes buffered)")
        }
        if isAuthenticated && machine.hasStreamsOpen {
            loop.updateInterest(self)
            return
        }
        if output.count > outputSent {
            finishAfterFlush()
            loop.updateInterest(self)
            return
        }
        loop.closeConnection(self, reason: nil)
    }

    /// Carries out an action that needs no frame's bytes.
    private func perform(_ action: ConnectionStateMachine.Action) {
        switch action {
        case .none:
            break
        case .welcome(let version, let caller, let clientMaxFrameSize):
            encoder.maxFrameSize = clientMaxFrameSize
            let core = self.core
            appendFrame(.welcome, streamId: 0, code: StatusCode.ok.rawValue) { buffer in
                ServerMessages.appendWelcome(
                    version: version, limits: core.limits, idleTimeout: core.configuration.idleTimeout, caller: caller,
                    maxEventPayloadBytes: core.handler.maximumEventPayloadBytes, to: &buffer)
            }
        case .rejectHandshake(let status, let message):
            core.log("connection \(peer): handshake rejected with \(status): \(message)")
            appendFrame(.welcome, streamId: 0, code: status.rawValue) { buffer in
                ServerMessages.appendRejectedWelcome(message: message, to: &buffer)
            }
            finishAfterFlush()
        case .dispatch, .startWatch, .pong:
            // Only a received frame leads to these, and `handle(_:)` carries them out.
            break
        case .stopWatch(let streamId):
            watchNumbers[streamId] = nil
            watches.removeValue(forKey: streamId).map { subscription in
                subscription.cancel()
                core.untrack(subscription)
            }
            appendError(streamId: streamId, .cancelled, "cancelled by the client", code: .cancelled)
            checkDrained()
        case .failStream(let streamId, let status, let message):
            appendError(streamId: streamId, status, message, code: nil)
        case .goAway(let status, let message):
            sendGoAway(status, message)
        case .closeWhenIdle:
            checkDrained()
        }
    }

    // MARK: - Calls

    /// Runs a unary call: on this thread when the handler can finish it without blocking,
    /// otherwise on a worker, with copies of the request's bytes.
    private func dispatch(streamId: UInt32, method: Method, frame: Frame, caller: Caller) {
        if !ServerCore.mostlyWaits(method), let result = resultWithoutBlocking(method, frame: frame, caller: caller) {
            // A call that cannot block (a get served from memory) skips the hop to a worker,
            // and its response goes straight into the output buffer.
            finishWithoutBlocking(streamId: streamId, result: result)
            return
        }
        machine.startUnary(streamId)
        let request = Array(frame.payload)
        let metadata = frame.metadata.isEmpty ? nil : Array(frame.metadata)
        let loop = self.loop
        let key = self.key
        let core = self.core
        let peer = self.peer
        let handler = core.handler
        let encoder = self.encoder
        let queuedAt = loop.now()
        let job: @Sendable () -> Void = {
            let result: CallResult
            switch CallContext.make(metadata: metadata, caller: caller, queuedAt: queuedAt) {
            case .success(let caller):
                result = handler.handle(method, request: request[...], caller: caller)
            case .failure(let failure):
                result = .failure(failure.status, failure.message, failure.code)
            }
            if case .failure(let status, let message, _) = result, status == .internal || status == .dataLoss {
                core.log("connection \(peer): \(method) on stream \(streamId) failed with \(status): \(message)")
            }
            let bytes = ServerMessages.encodeResult(result, streamId: streamId, encoder: encoder)
            loop.post(.frames(key, streamId: streamId, bytes: bytes, endsStream: true, watch: 0))
        }
        if ServerCore.mostlyWaits(method) {
            loop.pendingWaitingJobs.append(job)
        } else {
            loop.pendingJobs.append(job)
        }
    }

    /// Returns the handler's result when it can run the call without blocking, else nil. Calls
    /// with metadata that does not decode are left to the worker path, which reports the error.
    private func resultWithoutBlocking(_ method: Method, frame: Frame, caller: Caller) -> CallResult? {
        if frame.metadata.isEmpty {
            return core.handler.handleWithoutBlocking(method, request: frame.payload, caller: caller)
        }
        guard case .success(let caller) = CallContext.make(metadata: Array(frame.metadata), caller: caller, queuedAt: loop.now())
        else { return nil }
        return core.handler.handleWithoutBlocking(method, request: frame.payload, caller: caller)
    }

    /// Ends a call that was just accepted with its result, written straight to the output. No
    /// frame was received since the call was accepted, so it cannot have been cancelled, and
    /// its stream was never opened.
    private func finishWithoutBlocking(streamId: UInt32, result: CallResult) {
        ServerMessages.appendResult(result, streamId: streamId, encoder: encoder, to: &output)
        if !isDirty { loop.markDirty(self) }
        checkDrained()
    }

    private func startWatch(streamId: UInt32, request: [UInt8], caller: Caller) {
        let loop = self.loop
        let key = self.key
        let core = self.core
        let encoder = self.encoder
        let watch = nextWatchNumber
        nextWatchNumber += 1
        watchNumbers[streamId] = watch
        // Subscribing may touch storage, so it runs on a worker too.
        loop.pendingJobs.append {
            let result = core.handler.watch(request: request[...], caller: caller) { item in
                // NOTE: an item over the client's frame size is dropped from the stream.
                guard let bytes = ServerMessages.encodeStreamItem(item, streamId: streamId, encoder: encoder) else { return }
                loop.post(.frames(key, streamId: streamId, bytes: bytes, endsStream: false, watch: watch))
            }
            switch result {
            case .success(let subscription):
                core.track(subscription)
                loop.post(.watchStarted(key, streamId: streamId, watch: watch, subscription: subscription))
            case .failure(let failure):
                let bytes = ServerMessages.encodeResult(
                    .failure(failure.status, failure.message, failure.code), streamId: streamId, encoder: encoder)
                loop.post(.frames(key, streamId: streamId, bytes: bytes, endsStream: true, watch: watch))
            }
        }
    }

    /// Keeps a watch subscription once it started, or cancels it when the stream ended first.
    func watchStarted(streamId: UInt32, watch: UInt64, subscription: any WatchSubscription) {
        guard watchNumbers[streamId] == watch, machine.isStreamOpen(streamId), !isClosed else {
            subscription.cancel()
            core.untrack(subscription)
            return
        }
        watches[streamId] = subscription
    }

    /// Takes frames a worker or a watch produced for one stream.
    func deliver(streamId: UInt32, bytes: [UInt8], endsStream: Bool, watch: UInt64) {
        guard !isClosed else { return }
        if watch != 0 && watchNumbers[streamId] != watch { return }
        if endsStream {
            watchNumbers[streamId] = nil
            switch machine.endStream(streamId) {
            case nil:
                return
            case false?:
                appendError(streamId: streamId, .cancelled, "cancelled by the client", code: .cancelled)
            case true?:
                output.append(contentsOf: bytes)
                loop.markDirty(self)
            }
            if let subscription = watches.removeValue(forKey: streamId) {
                subscription.cancel()
                core.untrack(subscription)
            }
            checkDrained()
            return
        }
        guard machine.isStreamOpen(streamId) else { return }
        if output.count - outputSent >= core.configuration.maxBufferedBytesPerConnection {
            endWatch(streamId, .resourceExhausted, "the client reads watch items too slowly; \(output.count - outputSent) bytes are waiting")
            return
        }
        output.append(contentsOf: bytes)
        loop.markDirty(self)
    }

    private func endWatch(_ streamId: UInt32, _ status: StatusCode, _ message: String) {
        guard machine.endStream(streamId) != nil else { return }
        watchNumbers[streamId] = nil
        if let subscription = watches.removeValue(forKey: streamId) {
            subscription.cancel()
            core.untrack(subscription)
        }
        appendError(streamId: streamId, status, message, code: nil)
        checkDrained()
    }

    // MARK: - Shutdown and timeouts

    /// Sends GOAWAY and lets running calls finish; watch streams end with UNAVAILABLE.
    func beginDrain() {
        guard let action = machine.beginShutdown() else { return }
        perform(action)
        for streamId in machine.watchStreamIds {
            endWatch(streamId, .unavailable, "the server is shutting down")
        }
        checkDrained()
    }

    func handshakeTimedOut() {
        let seconds = core.configuration.handshakeTimeout
        core.log("connection \(peer): no HELLO within \(seconds) s; closing it")
        perform(machine.fail(.deadlineExceeded, "no HELLO arrived within \(seconds) s"))
    }

    func idleTimedOut() {
        perform(machine.fail(.ok, "idle for \(core.configuration.idleTimeout) s"))
    }

    /// Releases watch subscriptions; called once when the socket closes.
    func didClose() {
        for subscription in watches.values {
            subscription.cancel()
            core.untrack(subscription)
        }
        watches.removeAll()
    }

    /// Closes once a draining connection has no running calls.
    private func checkDrained() {
        guard !closeAfterFlush, !machine.hasStreamsOpen else { return }
        switch machine.phase {
        case .draining, .closed:
            finishAfterFlush()
        case .open where isInputClosed:
            finishAfterFlush()
        default:
            break
        }
    }

    private func sendGoAway(_ status: StatusCode, _ message: String) {
        if status != .ok {
            core.log("connection \(peer): protocol error, sending GOAWAY \(status): \(message)")
        }
        let lastStreamId = machine.lastProcessedStreamId
        appendFrame(.goAway, streamId: 0, code: status.rawValue) { buffer in
            ServerMessages.appendGoAway(lastStreamId: lastStreamId, message: message, to: &buffer)
        }
        if machine.phase == .closed { finishAfterFlush() }
    }

    /// Closes the connection once its output is sent, or after the linger time when the client
    /// does not read it.
    private func finishAfterFlush() {
        guard !closeAfterFlush else { return }
        closeAfterFlush = true
        lingerDeadline = loop.now() + EventLoop.lingerNanoseconds
        loop.markDirty(self)
    }

    // MARK: - Output

    private func appendFrame(_ type: FrameType, streamId: UInt32, code: UInt16, payload: (inout [UInt8]) -> Void) {
        do {
            try encoder.append(type, streamId: streamId, code: code, to: &output, payload: payload)
        } catch {
            core.log("connection \(peer): cannot encode a \(type) frame: \(error)")
        }
        loop.markDirty(self)
    }

    private func appendError(streamId: UInt32, _ status: StatusCode, _ message: String, code: HookwireError.Code?) {
        ServerMessages.appendError(streamId: streamId, status, message, code: code, encoder: encoder, to: &output)
        loop.markDirty(self)
    }
}
