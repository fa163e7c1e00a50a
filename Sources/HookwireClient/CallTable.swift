import HookwireCore
import HookwireProtocol

/// What the reader thread reports to a call.
enum CallEvent {
    /// A STREAM_ITEM payload. More may follow.
    case item(ArraySlice<UInt8>)
    /// The RESPONSE payload, or an empty payload after the last STREAM_ITEM: the call succeeded.
    case finished(ArraySlice<UInt8>)
    /// The call failed: an ERROR frame, a timeout, cancellation or the connection's loss.
    case failed(HookwireError)
}

/// Receives a call's events on the reader thread (or on the thread that fails the call). It must
/// return quickly: decode, resume a continuation, and nothing that blocks.
typealias CallHandler = @Sendable (CallEvent) -> Void

/// A call waiting for its final frame.
struct PendingCall {
    /// Monotonic nanoseconds after which the call fails with `timedOut`; `UInt64.max` for none.
    var deadline: UInt64
    /// Nil once the caller has stopped waiting (timeout, cancellation). The entry then stays
    /// until the server's final frame arrives, because the server counts the stream as open
    /// until it has sent that frame.
    var handler: CallHandler?
}

/// The calls of one connection by stream id, and the connection's lifecycle. Guarded by the
/// connection's mutex; every method here is pure bookkeeping.
struct CallTable {
    var calls: [UInt32: PendingCall] = [:]
    /// The next stream id to hand out. Ids are never reused on a connection.
    var nextStreamId: UInt32 = 1
    /// Why the connection can take no more calls, once it cannot.
    var failure: HookwireError?
    /// The server's limit on calls in flight, from WELCOME (the protocol default before).
    var maxConcurrentStreams = ProtocolLimits.defaultMaxConcurrentStreams
    /// The largest event the server publishes, in bytes, as its WELCOME announced it.
    var maxEventPayloadBytes: Int?
    /// Callers waiting for a stream slot because `maxConcurrentStreams` calls are in flight.
    var slotWaiters: [@Sendable (HookwireError?) -> Void] = []
    /// When the reader thread's `poll` times out (monotonic nanoseconds), `UInt64.max` while it
    /// waits without a timeout, or 0 while it is awake. A new call with an earlier deadline
    /// must wake it.
    var readerSleepsUntil: UInt64 = 0
    /// The earliest deadline of a call, or `UInt64.max`. It may be earlier than the real one
    /// after calls finished, which costs one extra sweep. It is reset when no call is left.
    var earliestDeadline = UInt64.max
    /// True once WELCOME with status OK arrived.
    var isWelcomed = false
    /// Monotonic nanoseconds by which WELCOME must arrive.
    var handshakeDeadline: UInt64

    init(handshakeDeadline: UInt64) {
        self.handshakeDeadline = handshakeDeadline
    }

    /// Stream slots promised to callers that have not started their call yet.
    var reservedSlots = 0

    /// True when a new call may start now without going over the server's limit.
    var hasFreeSlot: Bool { calls.count + reservedSlots < maxConcurrentStreams }

    /// Promises a stream slot to a caller, when one is free.
    mutating func reserveSlot() -> Bool {
        guard hasFreeSlot else { return false }
        reservedSlots += 1
        return true
    }

    /// Registers a call in a reserved slot and returns its stream id.
    mutating func add(deadline: UInt64, handler: @escaping CallHandler) -> UInt32 {
        reservedSlots -= 1
        let streamId = nextStreamId
        // Stream ids stay below 2^31 so that they never collide with ids a later protocol
        // version might reserve for the server. A connection that uses up the range is retired.
        nextStreamId += 1
        if nextStreamId >= 0x8000_0000 {
            failure = HookwireError(.unavailable, "the connection used up its stream ids; later calls reconnect")
        }
        calls[streamId] = PendingCall(deadline: deadline, handler: handler)
        earliestDeadline = min(earliestDeadline, deadline)
        return streamId
    }

    /// Removes a finished call and returns its handler, if its caller still waits.
    mutating func finish(_ streamId: UInt32) -> CallHandler?? {
        guard let call = calls.removeValue(forKey: streamId) else { return nil }
        if calls.isEmpty { earliestDeadline = UInt64.max }
        return .some(call.handler)
    }

    /// Takes the handler of a call whose caller stops waiting, keeping the entry until the
    /// server ends the stream.
    mutating func abandon(_ streamId: UInt32) -> CallHandler? {
        guard let handler = calls[streamId]?.handler else { return nil }
        calls[streamId]?.handler = nil
        return handler
    }

    /// Takes the handlers of every call whose deadline is at or before `now`, and recomputes the
    /// earliest deadline. The entries stay, as `abandon` leaves them.
    mutating func expire(now: UInt64) -> [(UInt32, CallHandler)] {
        var expired: [(UInt32, CallHandler)] = []
        var earliest = UInt64.max
        for (streamId, call) in calls {
            guard let handler = call.handler, call.deadline != UInt64.max else { continue }
            if call.deadline <= now {
                expired.append((streamId, handler))
            } else {
                earliest = min(earliest, call.deadline)
            }
        }
        for (streamId, _) in expired {
            calls[streamId]?.handler = nil
        }
        earliestDeadline = earliest
        return expired
    }

    /// Takes every handler and marks the connection failed.
    mutating func failAll(_ error: HookwireError) -> [CallHandler] {
        if failure == nil { failure = error }
        let handlers = calls.values.compactMap(\.handler)
        calls.removeAll()
        return handlers
    }

    /// Takes the waiters for stream slots, as many as there are free slots, or all of them once
    /// the connection failed.
    mutating func takeSlotWaiters() -> [@Sendable (HookwireError?) -> Void] {
        guard !slotWaiters.isEmpty else { return [] }
        let free = maxConcurrentStreams - calls.count - reservedSlots
        let count = failure != nil ? slotWaiters.count : min(slotWaiters.count, free)
        guard count > 0 else { return [] }
        let taken = Array(slotWaiters.prefix(count))
        slotWaiters.removeFirst(count)
        return taken
    }
}
