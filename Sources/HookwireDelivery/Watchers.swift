import HookwireCore
import Synchronization

/// Callbacks that receive values such as recorded attempts' outcomes, each under a token that removes it.
public final class Watchers<Value: Sendable>: Sendable {
    private struct State {
        var nextToken: UInt64 = 1
        var handlers: [UInt64: @Sendable (Value) -> Void] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a handler and returns the token that removes it.
    public func add(_ handler: @escaping @Sendable (Value) -> Void) -> UInt64 {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            state.handlers[token] = handler
            return token
        }
    }

    /// Removes a handler. An unknown token is ignored.
    public func remove(_ token: UInt64) {
        _ = state.withLock { $0.handlers.removeValue(forKey: token) }
    }

    var isEmpty: Bool { state.withLock { $0.handlers.isEmpty } }

    /// Calls every handler with each value, in order, on the calling thread.
    public func notify(_ values: [Value]) {
        guard !values.isEmpty else { return }
        let handlers = state.withLock { Array($0.handlers.values) }
        for handler in handlers {
            for value in values { handler(value) }
        }
    }
}

/// The handlers of delivery outcomes.
public typealias OutcomeWatchers = Watchers<DeliveryOutcome>
