/// The storage a system plugin provides: where hooks live and where deliveries are queued.
public struct SystemStorage: Sendable {
    /// The store behind the engine's public registry.
    public var webhooks: any WebhookStore
    /// The store the delivery thread reads hooks from and records results in. It may be a
    /// second connection with cheaper commits, because a lost result only repeats an attempt.
    public var deliveryWebhooks: any WebhookStore
    public var deliveries: any DeliveryStore

    public init(webhooks: any WebhookStore, deliveryWebhooks: (any WebhookStore)? = nil, deliveries: any DeliveryStore) {
        self.webhooks = webhooks
        self.deliveryWebhooks = deliveryWebhooks ?? webhooks
        self.deliveries = deliveries
    }
}

/// The plugin that stores webhook definitions and broadcasts `webhook` (HTTP) hooks.
///
/// An engine has exactly one active system plugin. Among the candidates it is given, the engine
/// selects the one with the lowest `priority`; the built-in plugin (SQLite storage and the
/// libcurl HTTP transport) has priority `Int.max`, so any other candidate replaces it. Other
/// delivery types are `WebhookPlugin`s registered by type name next to it.
public protocol SystemWebhookPlugin: Sendable {
    /// A name for logs and statistics, such as `Default`.
    var name: String { get }
    /// The selection rank: the lowest number wins.
    var priority: Int { get }
    /// Opens (creating when needed) the storage at `databasePath`.
    func openStorage(databasePath: String) throws -> SystemStorage
    /// The deliverer of `webhook` hooks, or nil to use the engine's HTTP transport.
    var broadcaster: (any WebhookPlugin)? { get }
}
