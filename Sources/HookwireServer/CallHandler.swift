import HookwireCore
import HookwireProtocol

/// The end of a call: the response message (or its serialized bytes), or a status with a
/// message.
enum CallResult: Sendable {
    case message(any ProtobufMessage)
    case success([UInt8])
    case failure(StatusCode, String, HookwireError.Code?)

    /// Converts an error thrown by the engine or by a message decoder into a failure.
    static func failure(_ error: any Error) -> CallResult {
        let failure = CallFailure(error)
        return .failure(failure.status, failure.message, failure.code)
    }
}

/// An open watch stream on the engine. Cancelling stops further items; it may be called from
/// any thread and more than once.
protocol WatchSubscription: AnyObject, Sendable {
    func cancel()
}

/// Runs the methods of the protocol. The server calls `handle` and `watch` on worker threads,
/// never on an event loop thread, so they may block. Only `handleWithoutBlocking` runs on the
/// loop.
///
/// Handlers are classes, so that the loop's per-call use of one costs a single retain.
protocol CallHandler: AnyObject, Sendable {
    /// Runs one unary call: decodes the request, calls the engine and encodes the response.
    func handle(_ method: Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult

    /// Runs one unary call on the event loop thread when it can finish without blocking, or
    /// returns nil, and the call then goes to `handle` on a worker. Must never block.
    func handleWithoutBlocking(_ method: Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult?

    /// Starts a watch stream. `emit` sends one `Wire.DeliveryOutcome` item; items
    /// emitted after `cancel()` are dropped. Returns the subscription, or the failure that ends the
    /// call at once.
    func watch(
        request: ArraySlice<UInt8>, caller: Caller,
        emit: @escaping @Sendable (any ProtobufMessage) -> Void
    ) -> Result<any WatchSubscription, CallFailure>

    /// The largest event the handler publishes, in bytes, announced in WELCOME so that
    /// clients can check events before sending them; 0 when it has no limit to announce.
    var maximumEventPayloadBytes: Int { get }
}

extension CallHandler {
    /// Serves nothing on the event loop: every call goes to a worker.
    func handleWithoutBlocking(_ method: Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult? { nil }

    /// Announces no event size limit.
    var maximumEventPayloadBytes: Int { 0 }
}

/// A status and message that end a call.
struct CallFailure: Error, Sendable {
    var status: StatusCode
    var message: String
    var code: HookwireError.Code?

    init(status: StatusCode, message: String, code: HookwireError.Code?) {
        self.status = status
        self.message = message
        self.code = code
    }

    /// Converts an error thrown by the engine or by a message decoder: a `HookwireError` keeps
    /// its code, and any other error is an internal one.
    init(_ error: any Error) {
        if let error = error as? HookwireError {
            self.init(status: StatusCode(error.code), message: error.message, code: error.code)
        } else {
            self.init(status: .internal, message: "\(error)", code: .internalError)
        }
    }
}
