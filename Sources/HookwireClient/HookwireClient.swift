import Dispatch
import HookwireCore
import HookwireProtocol
import Synchronization

/// A client of a `hookwired` server.
///
/// One TCP connection carries every call, so many calls may run at once from any number of
/// tasks or threads, and their responses may arrive in any order. The connection is opened on
/// the first call. When it is lost, the calls in flight fail with `unavailable` and the next call
/// opens a new connection. The client never retries a call, because a retried publish could
/// deliver an event twice.
///
/// Every method has an async form. `performBlocking(_:timeout:)` runs any `HookwireCall` on
/// the calling thread, for callers that are not async (a C host's threads).
public final class HookwireClient: Sendable {
    public let configuration: Configuration

    private struct State {
        var connection: ClientConnection?
        var isClosed = false
    }

    /// The current connection. The lock is held while connecting, so concurrent first calls
    /// share one connection.
    private let state = Mutex<State>(State())

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// Creates a client of the server at `HOST:PORT`.
    /// - Throws: `HookwireError` with code `invalidArgument` for a malformed address.
    public convenience init(server: String = "127.0.0.1:7600", token: String? = nil) throws {
        self.init(configuration: try Configuration(server: server, token: token))
    }

    deinit {
        state.withLock { $0.connection?.close() }
    }

    /// Opens the connection now, unless one is open, and waits for the server to accept the
    /// handshake. Calls do not need this: they connect on first use. It blocks the calling
    /// thread for up to the handshake timeout.
    /// - Throws: `HookwireError`: `unavailable` when the server cannot be reached,
    ///   `unauthenticated` for a rejected token, `timedOut` when the handshake takes too long.
    public func connect() throws {
        try connection().waitForHandshake()
    }

    /// Opens the connection now, unless one is open, and returns the maximum frame size in bytes
    /// that the server's WELCOME announced. A request whose `requestFrameLength` is over it is
    /// not sent. Like `connect()`, this blocks the calling thread until the handshake ends.
    /// - Throws: what `connect()` throws.
    public func serverMaxFrameSize() throws -> Int {
        let connection = try connection()
        try connection.waitForHandshake()
        return connection.maxFrameSize
    }

    /// Returns the largest event the server publishes, in bytes of the event's serialised
    /// fields and data (`EventEnvelope.payloadSize(of:)`), or nil when its WELCOME announces
    /// no such limit. Like `connect()`, this blocks the calling thread until the handshake ends.
    /// - Throws: what `connect()` throws.
    public func serverMaxEventPayloadBytes() throws -> Int? {
        let connection = try connection()
        try connection.waitForHandshake()
        return connection.maxEventPayloadBytes
    }

    /// Closes the connection. Calls in flight fail with `cancelled`, and later calls fail too.
    public func close() {
        let connection = state.withLock { state in
            state.isClosed = true
            let connection = state.connection
            state.connection = nil
            return connection
        }
        connection?.close()
    }

    /// Returns the open connection, or opens one when there is none or the last one failed.
    func connection() throws(HookwireError) -> ClientConnection {
        try state.withLock { (state) throws(HookwireError) -> ClientConnection in
            if state.isClosed { throw HookwireError(.cancelled, "the client was closed") }
            if let connection = state.connection, connection.failure == nil { return connection }
            let connection = try ClientConnection(configuration: configuration)
            state.connection = connection
            return connection
        }
    }

    /// Returns the deadline of a call from its own timeout or the configured one.
    private func deadline(for timeout: Duration?) -> UInt64 {
        monotonicNanoseconds() &+ (timeout ?? configuration.callTimeout).nanoseconds
    }

    // MARK: - Running calls

    /// Runs a call and returns its decoded response.
    ///
    /// - Parameters:
    ///   - call: The method, its request and how to decode its response.
    ///   - timeout: The time the call may take, or nil for the configured `callTimeout`.
    /// - Throws: `HookwireError` with the server's status mapped to a code and its message,
    ///   `timedOut` when the deadline passed, `cancelled` when the task was cancelled, and
    ///   `unavailable` when the connection could not be opened or was lost during the call.
    public func perform<Response: Sendable>(_ call: HookwireCall<Response>, timeout: Duration? = nil) async throws
        -> Response
    {
        let deadline = deadline(for: timeout)
        let connection = try connection()
        while try !connection.reserveSlot() {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                connection.waitForSlot { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume() }
                }
            }
        }
        let cancellation = CallCancellation()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Response, Error>) in
                let handler: CallHandler = { event in
                    switch event {
                    case .item:
                        break
                    case .finished(let payload):
                        continuation.resume(with: Result { try call.decodeResponse(payload) })
                    case .failed(let error):
                        continuation.resume(throwing: error)
                    }
                }
                do {
                    let streamId = try connection.start(
                        method: call.method.rawValue, deadline: deadline, payload: call.encodeRequest, handler: handler)
                    if cancellation.started(streamId) {
                        connection.cancel(streamId: streamId, error: HookwireError(.cancelled, "the call was cancelled"))
                    }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if let streamId = cancellation.cancel() {
                connection.cancel(streamId: streamId, error: HookwireError(.cancelled, "the call was cancelled"))
            }
        }
    }

    /// Runs a call on the calling thread and returns its decoded response. It blocks the thread
    /// until the response, the deadline or the connection's loss, so never call it from a Swift
    /// concurrency task.
    ///
    /// - Throws: `HookwireError`, as `perform(_:timeout:)` does (without `cancelled`).
    public func performBlocking<Response: Sendable>(_ call: HookwireCall<Response>, timeout: Duration? = nil) throws
        -> Response
    {
        let deadline = deadline(for: timeout)
        let connection = try connection()
        let done = DispatchSemaphore(value: 0)
        while try !connection.reserveSlot() {
            let waitError = Mutex<HookwireError?>(nil)
            connection.waitForSlot { error in
                waitError.withLock { $0 = error }
                done.signal()
            }
            done.wait()
            if let error = waitError.withLock({ $0 }) { throw error }
        }
        let outcome = Mutex<Result<Response, Error>?>(nil)
        _ = try connection.start(
            method: call.method.rawValue, deadline: deadline, payload: call.encodeRequest,
            handler: { event in
                switch event {
                case .item:
                    return
                case .finished(let payload):
                    let result = Result { try call.decodeResponse(payload) }
                    outcome.withLock { $0 = result }
                case .failed(let error):
                    outcome.withLock { $0 = .failure(error) }
                }
                done.signal()
            })
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Runs a server-streaming call. The stream ends when the server ends the call, and
    /// throws when the call fails; ending the iteration early cancels the call.
    public func performStreaming<Item: Sendable>(_ call: HookwireStreamingCall<Item>) -> AsyncThrowingStream<Item, Error> {
        AsyncThrowingStream { continuation in
            let connection: ClientConnection
            do {
                connection = try self.connection()
                // NOTE: a stream fails at once instead of waiting when every stream slot of the
                // connection is taken, because this builder cannot suspend.
                guard try connection.reserveSlot() else {
                    throw HookwireError(
                        .tooLarge, "too many calls in flight on the connection to \(connection.address) to start a stream")
                }
            } catch {
                continuation.finish(throwing: error)
                return
            }
            let handler: CallHandler = { event in
                switch event {
                case .item(let payload):
                    do {
                        continuation.yield(try call.decodeItem(payload))
                    } catch {
                        continuation.finish(throwing: error)
                    }
                case .finished:
                    continuation.finish()
                case .failed(let error):
                    continuation.finish(throwing: error)
                }
            }
            do {
                let streamId = try connection.start(
                    method: call.method.rawValue, deadline: UInt64.max, payload: call.encodeRequest, handler: handler)
                continuation.onTermination = { termination in
                    if case .cancelled = termination {
                        connection.cancel(streamId: streamId, error: HookwireError(.cancelled, "the stream was cancelled"))
                    }
                }
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }
}

/// Links a call's stream id and its task's cancellation, which may come in either order.
private final class CallCancellation: Sendable {
    private let state = Mutex<(streamId: UInt32?, isCancelled: Bool)>((nil, false))

    /// Records the stream id. Returns true when the task was cancelled already.
    func started(_ streamId: UInt32) -> Bool {
        state.withLock { state in
            state.streamId = streamId
            return state.isCancelled
        }
    }

    /// Records cancellation. Returns the stream id when the call started already.
    func cancel() -> UInt32? {
        state.withLock { state in
            state.isCancelled = true
            return state.streamId
        }
    }
}
