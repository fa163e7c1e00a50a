import HookwireCore
import Synchronization

/// Callbacks that receive every recorded attempt's outcome.
public final class OutcomeWatchers: Sendable {
    private struct State {
        var nextToken: UInt64 = 1
        var handlers: [UInt64: @Sendable (DeliveryOutcome) -> Void] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a handler and returns the token that removes it.
    public func add(_ handler: @escaping @Sendable (DeliveryOutcome) -> Void) -> UInt64 {
        state.withLock { state in
            let token = state.nextToken
            state.nextToken += 1
            state.handlers[token] = handler
            return token
        }
    }

    /// Removes a handler; an unknown token is ignored.
    public func remove(_ token: UInt64) {
        _ = state.withLock { $0.handlers.removeValue(forKey: token) }
    }

    var isEmpty: Bool { state.withLock { $0.handlers.isEmpty } }

    func notify(_ outcomes: [DeliveryOutcome]) {
        guard !outcomes.isEmpty else { return }
        let handlers = state.withLock { Array($0.handlers.values) }
        for handler in handlers {
            for outcome in outcomes { handler(outcome) }
        }
    }
}
