@_exported import HookwireCore

// NOTE: interface stub written first so that the server and the C ABI can compile against it;
// the delivery work replaces every body.

/// The whole engine: registry, durable publishing and delivery, on one database.
///
/// All methods are synchronous and thread-safe; they may block on SQLite or, for `test`, on
/// the network. The server and the C ABI call them from worker threads.
public final class HookwireEngine: Sendable {
    public struct Configuration: Sendable {
        /// The SQLite database file, or `:memory:`.
        public var databasePath: String = "hookwire.db"
        public init() {}
    }

    public let registry: WebhookRegistry

    public static func open(_ configuration: Configuration) throws -> HookwireEngine {
        fatalError("not implemented")
    }

    init(registry: WebhookRegistry) { self.registry = registry }

    public func publish(_ event: EventPublication, caller: Caller = .administrator) throws -> PublishResult {
        fatalError("not implemented")
    }

    public func publish(batch: [EventPublication], caller: Caller = .administrator) throws -> [PublishResult] {
        fatalError("not implemented")
    }

    /// Sends the test (PING) event to the hook at once, without retries.
    public func test(webhookId: Int64, caller: Caller = .administrator) throws -> WebhookResult {
        fatalError("not implemented")
    }

    public func deliveries(_ filter: DeliveryFilter) throws -> [Delivery] { fatalError("not implemented") }
    public func attempts(deliveryId: Int64) throws -> [DeliveryAttempt] { fatalError("not implemented") }
    public func redeliver(deliveryId: Int64, caller: Caller = .administrator) throws { fatalError("not implemented") }
    public func rotateSecret(webhookId: Int64, caller: Caller = .administrator) throws -> String {
        fatalError("not implemented")
    }
    public func stats() throws -> EngineStats { fatalError("not implemented") }
    public func register(plugin: any WebhookPlugin) throws { fatalError("not implemented") }
    /// Stops taking new work and waits up to `timeout` seconds for requests in flight.
    public func shutdown(timeout: Double = 10) { fatalError("not implemented") }
}
