import Foundation
import HookwireCore
import HookwireSQLite

/// Applies a batch of attempt results to the hooks' counters and states in one SQLite
/// transaction, by the same rule as `WebhookRegistry.recordResult` (`WebhookStateRule`), and
/// reports each state change to the registry's observer after the commit.
struct BatchedResultRecorder: Sendable {
    let store: SQLiteWebhookStore
    let configuration: RegistryConfiguration

    func record(_ results: [(webhookId: Int64, result: WebhookResult)]) {
        guard !results.isEmpty else { return }
        var order: [Int64] = []
        var byHook: [Int64: [WebhookResult]] = [:]
        for (id, result) in results {
            if byHook[id] == nil { order.append(id) }
            byHook[id, default: []].append(result)
        }
        let now = UnixMilliseconds.rounded(configuration.now())
        var changes: [WebhookStateChange] = []
        do {
            try store.database.transaction { _ in
                for id in order {
                    var reason: String?
                    let states = try store.updateUsage(id: id) { state, usage in
                        var state = state
                        var usage = usage
                        for result in byHook[id] ?? [] {
                            let outcome = WebhookStateRule.apply(
                                result, state: state, usage: usage, limit: configuration.consecutiveErrorLimit, at: now)
                            if outcome.reason != nil { reason = outcome.reason }
                            state = outcome.state
                            usage = outcome.usage
                        }
                        return (state, usage)
                    }
                    if let states, states.before != states.after {
                        changes.append(
                            WebhookStateChange(webhookId: id, from: states.before, to: states.after, reason: reason ?? ""))
                    }
                }
            }
        } catch {
            // NOTE: the counters of this batch are lost when the transaction fails; the attempts
            // themselves are already recorded with the deliveries.
            return
        }
        for change in changes { configuration.onStateChange(change) }
    }
}
