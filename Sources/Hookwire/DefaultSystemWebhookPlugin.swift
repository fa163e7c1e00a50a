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

    /// Opens three connections to the file: the registry's with `synchronous=FULL`, one with
    /// `synchronous=NORMAL` through which delivery reads hooks, and the delivery store's own,
    /// which also writes the hooks' counters.
    ///
    /// - Throws: `invalidArgument` for `:memory:`, because each connection would get its own
    ///   empty database; the storage's error when the file cannot be opened or migrated.
    public func openStorage(databasePath: String) throws -> SystemStorage {
        guard databasePath != ":memory:", !databasePath.isEmpty else {
            throw HookwireError.invalidArgument(
                "invalid databasePath \"\(databasePath)\": the engine needs a database file, because its "
                    + "connections would each see a different in-memory database")
        }
        // Taken before anything opens the file, so that a second process changes nothing in it.
        // The delivery store keeps the lock for as long as it is open.
        let lock = try DatabaseFileLock.acquire(forDatabase: databasePath)
        defer { withExtendedLifetime(lock) {} }
        let database = try SQLiteDatabase(path: databasePath)
        var options = SQLiteDatabase.Options()
        options.synchronous = "NORMAL"
        let bookkeeping = try SQLiteDatabase(path: databasePath, options: options)
        try bookkeeping.execute("PRAGMA mmap_size=268435456")
        return SystemStorage(
            webhooks: SQLiteWebhookStore(database: database),
            deliveryWebhooks: SQLiteWebhookStore(database: bookkeeping),
            deliveries: try SQLiteDeliveryStore(path: databasePath))
    }
}
