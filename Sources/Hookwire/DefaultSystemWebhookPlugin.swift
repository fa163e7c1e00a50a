import HookwireCore
import HookwireSQLite

/// The built-in system plugin: hooks, events and deliveries in one SQLite file, and `webhook`
/// hooks sent by the engine's libcurl transport. Its priority is `Int.max`, so any other
/// system plugin given to the engine replaces it.
public struct DefaultSystemWebhookPlugin: SystemWebhookPlugin {
    public var name: String { "Default" }
    public var priority: Int { Int.max }
    public var broadcaster: (any WebhookPlugin)? { nil }

    public init() {}

    public func openStorage(databasePath: String) throws -> SystemStorage {
        // TODO: open the SQLite webhook store here once it exists.
        throw HookwireError(.internalError, "the SQLite webhook store is not available yet")
    }
}
