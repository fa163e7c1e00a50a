import CLinuxShim
import Foundation
import HookwireCore
import HookwireProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One TCP connection to a server, multiplexing many calls by stream id.
///
/// Callers write frames through `start(...)`: each appends its frame to a shared output buffer
/// under `output`'s lock, and a caller that finds no other thread sending sends
/// everything buffered, so concurrent calls leave in one `send`. One reader thread decodes the server's
/// frames and completes calls by stream id; it also fails calls whose deadline passed.
///
/// The socket is closed only in `deinit`, after the reader thread and every writer have let go
/// of the connection, so a descriptor number is never reused while a thread still uses it. A
/// failed connection is shut down at once, which wakes the reader.
final class ClientConnection: Sendable {
    let address: ServerAddress
    /// Sent in every call's metadata as the associate who registers or updates hooks.
    private let associateId: Int64
    private let socket: Int32
    /// Wakes the reader thread out of `poll` (a new deadline, or `close()`).
    private let wakeEvent: Int32
    /// Call bookkeeping and the connection's lifecycle.
    private let table: Mutex<CallTable>
    /// Bytes waiting to be sent, and whether a thread is sending.
    private let output = Mutex<OutputQueue>(OutputQueue())
    /// Set once WELCOME arrives or the handshake fails; `waitForHandshake` waits on it.
    private let handshakeDone = DispatchSemaphore(value: 0)

    private struct OutputQueue {
        var pending: [UInt8] = []
        var spare: [UInt8] = []
        var isSending = false
        var encoder = FrameEncoder()
    }

    /// Connects, sends HELLO with the token and starts the reader thread. Calls may start at
    /// once: the server reads them after the handshake.
    /// - Throws: `HookwireError` with code `unavailable` naming the address and the system error.
    init(configuration: HookwireClient.Configuration) throws(HookwireError) {
        address = configuration.address
        associateId = configuration.associateId
        // NOTE: hw_tcp_connect blocks until the kernel's connect timeout for an unreachable
        // address; the handshake timeout starts only once the socket is connected.
        let descriptor = hw_tcp_connect(address.host, Int32(address.port))
        if descriptor == -2 {
            throw HookwireError(.unavailable, "cannot resolve server host \"\(address.host)\"")
        }
        guard descriptor >= 0 else {
            throw HookwireError(.unavailable, "cannot connect to \(address): \(String(cString: strerror(errno)))")
        }
        socket = descriptor
        let event = hw_eventfd_create()
        guard event >= 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw HookwireError(.unavailable, "cannot create an eventfd for the connection to \(address): \(reason)")
        }
        wakeEvent = event
        table = Mutex(CallTable(handshakeDeadline: monotonicNanoseconds() &+ configuration.handshakeTimeout.nanoseconds))

        var hello: [UInt8] = []
        do {
            try FrameEncoder().append(.hello, streamId: 0, to: &hello) { buffer in
                ConnectionMessages.encodeHello(token: configuration.token, into: &buffer)
            }
        } catch {
            Glibc.close(descriptor)
            Glibc.close(event)
            throw HookwireError(.invalidArgument, "cannot encode the handshake: \(error)")
        }
        guard sendAll(hello) else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            Glibc.close(event)
            throw HookwireError(.unavailable, "cannot send the handshake to \(address): \(reason)")
        }

        Thread.named("hw-client-read") { [self] in readLoop() }.start()
    }

    deinit {
        Glibc.close(socket)
        Glibc.close(wakeEvent)
    }

    /// The server's maximum frame size in bytes: the 1 MiB default until its WELCOME arrives,
    /// then the limit that WELCOME announced.
    var maxFrameSize: Int { output.withLock { $0.encoder.maxFrameSize } }

    /// The largest event the server publishes, in bytes, as its WELCOME announced it; nil
    /// before WELCOME, or when WELCOME announces no such limit.
    var maxEventPayloadBytes: Int? { table.withLock { $0.maxEventPayloadBytes } }

    /// Why the connection takes no more calls, or nil while it does.
    var failure: HookwireError? { table.withLock { $0.failure } }

    /// Waits until the server accepted or rejected the handshake.
    /// - Throws: the handshake's error, such as `unauthenticated` for a wrong token.
    func waitForHandshake() throws {
        handshakeDone.wait()
        handshakeDone.signal()
        let state = table.withLock { ($0.isWelcomed, $0.failure) }
        if !state.0, let failure = state.1 { throw failure }
    }

    /// Reserves a stream slot for a call that `start` then begins.
    /// - Returns: true when a slot was free; false when `waitForSlot` must be used first.
    /// - Throws: the connection's failure.
    func reserveSlot() throws(HookwireError) -> Bool {
        try table.withLock { (table) throws(HookwireError) -> Bool in
            if let failure = table.failure { throw failure }
            return table.reserveSlot()
        }
    }

    /// Gives back a slot that `reserveSlot` promised and no call used.
    func releaseReservedSlot() {
        table.withLock { $0.reservedSlots -= 1 }
        releaseSlots()
    }

    /// Calls `resume` once a stream slot may be free (with nil; then `reserveSlot` again) or
    /// the connection failed (with its error). `resume` may run on the reader thread.
    func waitForSlot(_ resume: @escaping @Sendable (HookwireError?) -> Void) {
        let immediate: HookwireError?? = table.withLock { table in
            if let failure = table.failure { return .some(failure) }
            if table.hasFreeSlot { return .some(nil) }
            table.slotWaiters.append(resume)
            return .none
        }
        if let immediate { resume(immediate) }
    }

    /// Starts a call in a slot that `reserveSlot` promised.
    ///
    /// - Parameters:
    ///   - method: The method id for the REQUEST frame's code field.
    ///   - deadline: Monotonic nanoseconds, or `UInt64.max` for no deadline.
    ///   - payload: Appends the request message.
    ///   - handler: Receives the call's events. It is not called when `start` throws.
    /// - Returns: The stream id.
    /// - Throws: The connection's failure, or `invalidArgument` for a request over the server's
    ///   maximum frame size. The reserved slot is given back.
    func start(
        method: UInt16, deadline: UInt64, payload: (inout [UInt8]) -> Void, handler: @escaping CallHandler
    ) throws(HookwireError) -> UInt32 {
        let (streamId, wakeReader) = try table.withLock { (table) throws(HookwireError) -> (UInt32, Bool) in
            if let failure = table.failure {
                table.reservedSlots -= 1
                throw failure
            }
            let streamId = table.add(deadline: deadline, handler: handler)
            var wake = false
            if deadline < table.readerSleepsUntil {
                table.readerSleepsUntil = 0
                wake = true
            }
            return (streamId, wake)
        }
        if wakeReader {
            _ = hw_eventfd_signal(wakeEvent)
        }
        do {
            let timeoutMilliseconds: UInt32 =
                deadline == UInt64.max ? 0 : UInt32(clamping: (deadline &- monotonicNanoseconds()) / 1_000_000 + 1)
            let associateId = associateId
            try send { encoder, buffer throws(FrameError) in
                try encoder.append(
                    .request, streamId: streamId, code: method, to: &buffer,
                    metadata: { metadata in
                        ConnectionMessages.encodeCallMetadata(
                            timeoutMilliseconds: timeoutMilliseconds, associateId: associateId, into: &metadata)
                    },
                    payload: payload)
            }
        } catch {
            // When the connection failed meanwhile, `fail` already removed the call and gave its
            // handler the error, so it must not hear of it twice.
            let isStillPending = table.withLock { $0.finish(streamId) } != nil
            releaseSlots()
            if isStillPending { throw error }
        }
        return streamId
    }

    /// Stops waiting for a call: its handler gets `error` at once and the server gets CANCEL.
    func cancel(streamId: UInt32, error: HookwireError) {
        guard let handler = table.withLock({ $0.abandon(streamId) }) else { return }
        handler(.failed(error))
        try? send { encoder, buffer throws(FrameError) in
            try encoder.append(.cancel, streamId: streamId, to: &buffer) { _ in }
        }
    }

    /// Fails every call and shuts the socket down. Later calls on this connection fail at once.
    func close(reason: HookwireError = HookwireError(.cancelled, "the client was closed")) {
        fail(reason)
    }

    // MARK: - Sending

    /// Appends a frame to the output queue and sends the queue unless another thread is sending.
    /// - Throws: `invalidArgument` for a frame the encoder rejects (too large for the server),
    ///   the connection's failure when sending failed.
    private func send(_ encode: (FrameEncoder, inout [UInt8]) throws(FrameError) -> Void) throws(HookwireError) {
        let mustSend = try output.withLock { (queue) throws(HookwireError) -> Bool in
            do {
                try encode(queue.encoder, &queue.pending)
            } catch {
                throw HookwireError(.invalidArgument, "request not sent: \(error)")
            }
            if queue.isSending { return false }
            queue.isSending = true
            return true
        }
        guard mustSend else { return }
        drainOutput()
        if let failure = table.withLock({ $0.failure }) { throw failure }
    }

    /// Sends queued bytes until the queue is empty. Only one thread runs this at a time.
    private func drainOutput() {
        var chunk: [UInt8] = []
        while true {
            let hasBytes = output.withLock { queue -> Bool in
                if !chunk.isEmpty || chunk.capacity > 0 {
                    chunk.removeAll(keepingCapacity: true)
                    if queue.spare.capacity < chunk.capacity { swap(&queue.spare, &chunk) }
                }
                guard !queue.pending.isEmpty else {
                    queue.isSending = false
                    return false
                }
                chunk = queue.pending
                queue.pending = queue.spare
                queue.spare = []
                return true
            }
            guard hasBytes else { return }
            if !sendAll(chunk) {
                fail(HookwireError(.unavailable, "connection to \(address) lost: send failed: \(String(cString: strerror(errno)))"))
                output.withLock { queue in
                    queue.pending.removeAll()
                    queue.isSending = false
                }
                return
            }
        }
    }

    /// Sends every byte, retrying after a signal. Returns false with errno set on failure.
    private func sendAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let sent = hw_send_nosignal(socket, buffer.baseAddress! + offset, UInt(buffer.count - offset))
                if sent < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    // MARK: - Failing

    /// Marks the connection failed, fails every waiting call with `error` and shuts the socket
    /// down so that the reader thread ends. Only the first failure is kept.
    private func fail(_ error: HookwireError) {
        let (handlers, waiters, wasFirst) = table.withLock { table in
            let wasFirst = table.failure == nil
            let handlers = table.failAll(error)
            return (handlers, table.takeSlotWaiters(), wasFirst)
        }
        if wasFirst {
            shutdown(socket, Int32(SHUT_RDWR))
            _ = hw_eventfd_signal(wakeEvent)
            handshakeDone.signal()
        }
        let reported = table.withLock { $0.failure } ?? error
        for handler in handlers { handler(.failed(reported)) }
        for waiter in waiters { waiter(reported) }
    }
}

extension ClientConnection {
    // MARK: - Reading

    /// Receives, decodes and dispatches frames and expires deadlines until the connection fails.
    /// It runs on the reader thread.
    private func readLoop() {
        var decoder = FrameDecoder()
        let sweepInterval: UInt64 = 5_000_000
        var nextSweep = monotonicNanoseconds() &+ sweepInterval
        while true {
            let received = decoder.receive(maxCount: 64 << 10) { buffer in
                recv(socket, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            }
            if received > 0 {
                do {
                    while let frame = try decoder.nextFrame() {
                        handle(frame)
                    }
                } catch {
                    fail(HookwireError(.unavailable, "connection to \(address) failed: invalid frame from the server: \(error)"))
                    return
                }
                let now = monotonicNanoseconds()
                if now >= nextSweep {
                    expireDeadlines(now: now)
                    nextSweep = now &+ sweepInterval
                }
                continue
            }
            if received == 0 {
                fail(HookwireError(.unavailable, "connection to \(address) closed by the server"))
                return
            }
            let error = errno
            if error == EINTR { continue }
            guard error == EAGAIN || error == EWOULDBLOCK else {
                fail(HookwireError(.unavailable, "connection to \(address) lost: \(String(cString: strerror(error)))"))
                return
            }
            let now = monotonicNanoseconds()
            expireDeadlines(now: now)
            nextSweep = now &+ sweepInterval
            waitForInput(now: now)
        }
    }

    /// Waits in `poll` for bytes, a wake-up, or the earliest deadline. An idle connection
    /// sleeps until something arrives, and a new call with an earlier deadline wakes it.
    private func waitForInput(now: UInt64) {
        let timeoutMilliseconds: Int32 = table.withLock { table in
            let earliest = table.isWelcomed ? table.earliestDeadline : min(table.earliestDeadline, table.handshakeDeadline)
            table.readerSleepsUntil = earliest
            if earliest == UInt64.max { return -1 }
            let remaining = earliest > now ? (earliest - now) / 1_000_000 + 1 : 0
            return Int32(clamping: remaining)
        }
        var descriptors = [
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeEvent, events: Int16(POLLIN), revents: 0),
        ]
        _ = poll(&descriptors, 2, timeoutMilliseconds)
        if descriptors[1].revents != 0 {
            _ = hw_eventfd_drain(wakeEvent)
        }
        table.withLock { $0.readerSleepsUntil = 0 }
    }

    /// Fails calls whose deadline passed, and the connection when WELCOME is overdue.
    private func expireDeadlines(now: UInt64) {
        let (expired, handshakeOverdue) = table.withLock { table in
            let overdue = !table.isWelcomed && now >= table.handshakeDeadline
            guard table.earliestDeadline <= now else { return ([(UInt32, CallHandler)](), overdue) }
            return (table.expire(now: now), overdue)
        }
        if handshakeOverdue {
            fail(HookwireError(.timedOut, "the server at \(address) did not respond to the handshake in time"))
            return
        }
        for (streamId, handler) in expired {
            handler(.failed(HookwireError(.timedOut, "call on stream \(streamId) to \(address) timed out")))
            try? send { encoder, buffer throws(FrameError) in
                try encoder.append(.cancel, streamId: streamId, to: &buffer) { _ in }
            }
        }
    }

    /// Dispatches one frame from the server.
    private func handle(_ frame: Frame) {
        switch frame.type {
        case .response:
            complete(frame.streamId, with: .finished(frame.payload))
        case .error:
            complete(frame.streamId, with: .failed(ConnectionMessages.decodeStatus(frame)))
        case .streamItem:
            if frame.flags.contains(.endStream) {
                let handler = table.withLock { $0.finish(frame.streamId) }
                if let handler = handler ?? nil {
                    handler(.item(frame.payload))
                    handler(.finished([]))
                }
                releaseSlots()
            } else if let handler = table.withLock({ $0.calls[frame.streamId]?.handler }) {
                handler(.item(frame.payload))
            }
        case .welcome:
            handleWelcome(frame)
        case .ping:
            try? send { encoder, buffer throws(FrameError) in
                try encoder.append(.pong, streamId: 0, to: &buffer) { $0.append(contentsOf: frame.payload) }
            }
        case .goAway:
            handleGoAway(frame)
        case .pong, .hello, .request, .cancel:
            // NOTE: a server sends none of these; they are ignored rather than treated as errors.
            break
        }
    }

    /// Ends a call with its final event. One lock both removes the call and takes the waiters
    /// for the slot it frees, because this runs once per response.
    private func complete(_ streamId: UInt32, with event: CallEvent) {
        let (handler, waiters, isDone) = table.withLock { table in
            let handler = table.finish(streamId)
            return (handler, table.takeSlotWaiters(), table.failure != nil && table.calls.isEmpty)
        }
        if let handler = handler ?? nil {
            handler(event)
        }
        for waiter in waiters { waiter(nil) }
        if isDone {
            shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    /// Wakes callers waiting for a stream slot, if any, and shuts a retired connection down
    /// once its last call ended.
    fileprivate func releaseSlots() {
        let (waiters, isDone) = table.withLock { ($0.takeSlotWaiters(), $0.failure != nil && $0.calls.isEmpty) }
        for waiter in waiters { waiter(nil) }
        if isDone {
            shutdown(socket, Int32(SHUT_RDWR))
        }
    }

    private func handleWelcome(_ frame: Frame) {
        switch ConnectionMessages.decodeWelcome(frame) {
        case .success(let limits):
            table.withLock { table in
                table.isWelcomed = true
                table.maxConcurrentStreams = limits.maxConcurrentStreams
                table.maxEventPayloadBytes = limits.maxEventPayloadBytes
            }
            output.withLock { $0.encoder.maxFrameSize = limits.maxFrameSize }
            handshakeDone.signal()
            releaseSlots()
        case .failure(let error):
            fail(error)
        }
    }

    /// Fails calls the server will not process and retires the connection. Calls up to the
    /// last stream id still get their responses.
    private func handleGoAway(_ frame: Frame) {
        let goAway = ConnectionMessages.decodeGoAway(frame)
        let error = HookwireError(
            .unavailable,
            "the server at \(address) is closing the connection (\(goAway.status)\(goAway.message.isEmpty ? "" : ": " + goAway.message)); the call was not processed, and a retry reconnects"
        )
        let (handlers, waiters) = table.withLock { table in
            if table.failure == nil { table.failure = error }
            var handlers: [CallHandler] = []
            for (streamId, call) in table.calls where streamId > goAway.lastStreamId {
                table.calls[streamId] = nil
                if let handler = call.handler { handlers.append(handler) }
            }
            return (handlers, table.takeSlotWaiters())
        }
        for handler in handlers { handler(.failed(error)) }
        for waiter in waiters { waiter(error) }
        if table.withLock({ $0.calls.isEmpty }) {
            shutdown(socket, Int32(SHUT_RDWR))
        }
    }
}

/// Nanoseconds of the monotonic clock, which never jumps with wall-clock changes.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, saturating and never negative.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? UInt64.max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
