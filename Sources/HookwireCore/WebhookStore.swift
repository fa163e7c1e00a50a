import Foundation

/// A storage backend for webhooks and their counters. SQLite is the built-in one.
///
/// The registry applies validation, ownership and state rules, and a store only stores. Each
/// store call is atomic. The closures passed to `update`, `delete` and `updateUsage` run inside
/// the store's transaction, with the row locked against other writers, so a check made in them
/// still holds when the write lands. Those closures must not call back into the store.
///
/// Implementations are thread-safe.
public protocol WebhookStore: AnyObject, Sendable {
    /// Inserts a hook, ignoring its `id`, with zeroed counters, and returns it with its new id.
    func insert(_ webhook: Webhook) throws -> Webhook

    /// Replaces every field of the hook `id` with what `change` returns for the stored hook.
    ///
    /// - Returns: the stored hook before and after the change, or nil when no hook has this id.
    /// - Throws: what `change` throws (nothing is written then), or a storage error.
    func update(id: Int64, _ change: (Webhook) throws -> Webhook) throws -> (before: Webhook, after: Webhook)?

    /// Deletes the hook `id` with its events and counters, after `check` accepts the stored hook.
    ///
    /// - Returns: the deleted hook, or nil when no hook has this id.
    /// - Throws: what `check` throws (nothing is deleted then), or a storage error.
    func delete(id: Int64, _ check: (Webhook) throws -> Void) throws -> Webhook?

    /// Returns the hook, or nil when no hook has this id.
    func webhook(id: Int64) throws -> Webhook?

    /// Returns the hooks matching every filter, ordered by id, at most `filter.limit` of them
    /// with ids greater than `filter.afterId`.
    func webhooks(matching filter: WebhookFilter) throws -> [Webhook]

    /// Returns the hook's counters, or nil when no hook has this id.
    func usage(id: Int64) throws -> WebhookUsage?

    /// Reads the hook's state and counters, passes them to `change`, and stores what it
    /// returns, as one atomic read-modify-write.
    ///
    /// - Returns: the state before and after, or nil when no hook has this id.
    func updateUsage(
        id: Int64, _ change: (WebhookState, WebhookUsage) throws -> (state: WebhookState, usage: WebhookUsage)
    ) throws -> (before: WebhookState, after: WebhookState)?
}
