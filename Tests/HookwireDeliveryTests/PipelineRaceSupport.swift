import Foundation
import Hookwire
import HookwireSQLite
import Synchronization

/// A webhook store over a real SQLite file that runs an action at a chosen point of delivery
/// bookkeeping: right after it reads a stopped hook, or right after a counter update disables a
/// hook. So a race between bookkeeping and a concurrent save happens on every run.
final class InterleavingWebhookStore: WebhookStore, CachedWebhookLookup {
    let inner: SQLiteWebhookStore
    /// An action run once, after a read through `webhook(id:)` found a stopped hook.
    let action = Mutex<(@Sendable (Webhook) -> Void)?>(nil)
    /// An action run once, with the hook's id, after a counter update disabled the hook and
    /// before the registry reports the change.
    let afterDisable = Mutex<(@Sendable (Int64) -> Void)?>(nil)

    init(inner: SQLiteWebhookStore) { self.inner = inner }

    func webhook(id: Int64) throws -> Webhook? {
        let found = try inner.webhook(id: id)
        guard let found, found.state == .stopped else { return found }
        let run = action.withLock { armed -> (@Sendable (Webhook) -> Void)? in
            defer { armed = nil }
            return armed
        }
        run?(found)
        return found
    }

    /// Returns the hook read without the action. The sending thread checks queued deliveries
    /// through this lookup first, so only the bookkeeping thread's reads run the action.
    func cachedWebhook(id: Int64) -> Webhook? {
        try? inner.webhook(id: id)
    }

    func insert(_ webhook: Webhook) throws -> Webhook { try inner.insert(webhook) }

    func update(id: Int64, _ change: (Webhook) throws -> Webhook) throws -> (before: Webhook, after: Webhook)? {
        try inner.update(id: id, change)
    }

    func delete(id: Int64, _ check: (Webhook) throws -> Void) throws -> Webhook? { try inner.delete(id: id, check) }

    func webhooks(matching filter: WebhookFilter) throws -> [Webhook] { try inner.webhooks(matching: filter) }

    func usage(id: Int64) throws -> WebhookUsage? { try inner.usage(id: id) }

    func updateUsage(
        id: Int64, _ change: (WebhookState, WebhookUsage) throws -> (state: WebhookState, usage: WebhookUsage)
    ) throws -> (before: WebhookState, after: WebhookState)? {
        let states = try inner.updateUsage(id: id, change)
        guard let states, states.before != .tooManyErrors, states.after == .tooManyErrors else { return states }
        let run = afterDisable.withLock { armed -> (@Sendable (Int64) -> Void)? in
            defer { armed = nil }
            return armed
        }
        run?(id)
        return states
    }
}

/// The built-in storage, except that delivery reads hooks through an `InterleavingWebhookStore`.
final class InterleavingSystemPlugin: SystemWebhookPlugin {
    /// The store that delivery reads hooks through, once the engine opened its storage.
    let store = Mutex<InterleavingWebhookStore?>(nil)
    var name: String { "Interleaving" }
    var priority: Int { 0 }
    var broadcaster: (any WebhookPlugin)? { nil }

    func openStorage(databasePath: String) throws -> SystemStorage {
        let interleaving = InterleavingWebhookStore(
            inner: SQLiteWebhookStore(database: try SQLiteDatabase(path: databasePath)))
        store.withLock { $0 = interleaving }
        return SystemStorage(
            webhooks: SQLiteWebhookStore(database: try SQLiteDatabase(path: databasePath)),
            deliveryWebhooks: interleaving, deliveries: try SQLiteDeliveryStore(path: databasePath))
    }
}

/// A plugin that takes `seconds` per delivery and counts the deliveries of one message that
/// run at the same time.
final class SlowPlugin: WebhookPlugin {
    let typeName: String
    let seconds: Double
    /// Per message id: deliveries running now, and the largest number seen at once.
    let running = Mutex<[String: (current: Int, max: Int)]>([:])

    init(typeName: String, seconds: Double) {
        self.typeName = typeName
        self.seconds = seconds
    }

    func deliver(_ delivery: PluginDelivery) -> WebhookResult {
        running.withLock { counts in
            var entry = counts[delivery.messageId] ?? (current: 0, max: 0)
            entry.current += 1
            entry.max = Swift.max(entry.max, entry.current)
            counts[delivery.messageId] = entry
        }
        Thread.sleep(forTimeInterval: seconds)
        running.withLock { $0[delivery.messageId]?.current -= 1 }
        return .success
    }
}
