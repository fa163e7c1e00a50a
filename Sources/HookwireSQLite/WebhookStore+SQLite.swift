import Foundation
import HookwireCore

/// The SQLite webhook store: schema v1's `webhooks`, `webhook_events` and `webhook_usage`.
///
/// Every write runs in one transaction, so a failure (disk full, I/O error, a throwing
/// closure) leaves the previous state intact. Statements are prepared once per connection and
/// reused. Thread-safe: calls are serialised on the database's connection, except reads of a
/// hook by id that `WebhookCache` returns without SQLite. Every store on the same file in this
/// process shares that cache, and every write through them keeps it coherent.
public final class SQLiteWebhookStore: WebhookStore {
    /// The database the store reads and writes. Other stores (deliveries) may share it.
    public let database: SQLiteDatabase
    /// Hooks by id, shared with the other stores on the same file.
    let cache: WebhookCache

    /// Uses an open database.
    public init(database: SQLiteDatabase) {
        self.database = database
        self.cache = WebhookCache.shared(forPath: database.path)
    }

    /// Opens (creating and migrating when needed) the database file at `path`, `hookwire.db`
    /// in the working directory by default, or a private in-memory database for `:memory:`.
    /// - Throws: the errors of `SQLiteDatabase.init(path:options:)`.
    public convenience init(path: String = SQLiteDatabase.defaultPath, options: SQLiteDatabase.Options = .init()) throws {
        self.init(database: try SQLiteDatabase(path: path, options: options))
    }

    public func insert(_ webhook: Webhook) throws -> Webhook {
        try database.transaction { connection in
            try connection.run(WebhookSQL.insert) { statement in
                Self.bindColumns(of: webhook, to: statement)
            }
            let id = connection.lastInsertRowID
            try insertEvents(webhook.events, webhookId: id, connection: connection)
            try connection.run(WebhookSQL.insertUsage) { $0.bind(1, id) }
            guard let stored = try fetch(id: id, connection: connection) else {
                throw HookwireError(.internalError, "webhook \(id) was inserted but cannot be read back")
            }
            return stored
        }
    }

    public func update(id: Int64, _ change: (Webhook) throws -> Webhook) throws -> (before: Webhook, after: Webhook)? {
        try database.transaction { connection in
            guard let before = try fetch(id: id, connection: connection) else { return nil }
            var changed = try change(before)
            changed.id = id
            beginWrite(id: id)
            try connection.run(WebhookSQL.update) { statement in
                Self.bindColumns(of: changed, to: statement)
                statement.bind(14, id)
            }
            try connection.run(WebhookSQL.deleteEvents) { $0.bind(1, id) }
            try insertEvents(changed.events, webhookId: id, connection: connection)
            guard let after = try fetch(id: id, connection: connection) else {
                throw HookwireError(.internalError, "webhook \(id) was updated but cannot be read back")
            }
            return (before, after)
        }
    }

    public func delete(id: Int64, _ check: (Webhook) throws -> Void) throws -> Webhook? {
        try database.transaction { connection in
            guard let existing = try fetch(id: id, connection: connection) else { return nil }
            try check(existing)
            beginWrite(id: id)
            try connection.run(WebhookSQL.delete) { $0.bind(1, id) }
            return existing
        }
    }

    public func webhook(id: Int64) throws -> Webhook? {
        if let cached = cache.webhook(id: id) { return cached }
        let ticket = cache.ticket(id: id)
        let stored = try database.read { connection in
            try fetch(id: id, connection: connection)
        }
        if let stored, let ticket { cache.fill(stored, ticket: ticket) }
        return stored
    }

    public func webhooks(matching filter: WebhookFilter) throws -> [Webhook] {
        let sql = WebhookSQL.list(filter)
        return try database.read { connection in
            try connection.withStatement(sql) { statement in
                statement.bind(1, filter.afterId)
                statement.bind(2, filter.name)
                statement.bind(3, filter.applicationToken)
                statement.bind(4, Int64(filter.state.rawValue))
                if let event = filter.event {
                    let patterns = WebhookEventPattern.patterns(matching: event)
                    for index in 0..<3 {
                        statement.bind(Int32(5 + index), patterns[min(index, patterns.count - 1)])
                    }
                }
                statement.bind(8, Int64(filter.limit))
                var webhooks: [Webhook] = []
                while try statement.step() {
                    webhooks.append(try Self.decodeWebhook(statement, path: database.path))
                }
                return webhooks
            }
        }
    }

    public func usage(id: Int64) throws -> WebhookUsage? {
        try database.read { connection in
            try fetchUsage(id: id, connection: connection)?.usage
        }
    }

    public func updateUsage(
        id: Int64, _ change: (WebhookState, WebhookUsage) throws -> (state: WebhookState, usage: WebhookUsage)
    ) throws -> (before: WebhookState, after: WebhookState)? {
        try database.transaction { connection in
            guard let current = try fetchUsage(id: id, connection: connection) else { return nil }
            let next = try change(current.state, current.usage)
            if next.state != current.state {
                beginWrite(id: id)
                try connection.run(WebhookSQL.updateState) { statement in
                    statement.bind(1, Int64(next.state.rawValue))
                    statement.bind(2, id)
                }
            }
            try connection.run(WebhookSQL.replaceUsage) { statement in
                statement.bind(1, id)
                statement.bind(2, next.usage.totalCalls)
                statement.bind(3, next.usage.totalErrors)
                statement.bind(4, next.usage.consecutiveErrors)
                statement.bind(5, next.usage.lastError)
                statement.bind(6, next.usage.lastErrorTime.map(UnixMilliseconds.milliseconds))
            }
            return (current.state, next.state)
        }
    }

    // MARK: Helpers

    /// Takes the hook out of the cache until the transaction in progress ends. Call it before
    /// changing the hook's `webhooks` row. Counters are not cached, so changing only
    /// them needs no call.
    private func beginWrite(id: Int64) {
        cache.beginWrite(id: id)
        let cache = cache
        database.whenTransactionEnds { cache.endWrite(id: id) }
    }

    private func insertEvents(_ events: [String], webhookId: Int64, connection: SQLiteConnection) throws {
        for (position, event) in events.enumerated() {
            try connection.run(WebhookSQL.insertEvent) { statement in
                statement.bind(1, event)
                statement.bind(2, webhookId)
                statement.bind(3, Int64(position))
            }
        }
    }

    private func fetch(id: Int64, connection: SQLiteConnection) throws -> Webhook? {
        try connection.withStatement(WebhookSQL.selectById) { statement in
            statement.bind(1, id)
            guard try statement.step() else { return nil }
            return try Self.decodeWebhook(statement, path: connection.path)
        }
    }

    private func fetchUsage(id: Int64, connection: SQLiteConnection) throws -> (state: WebhookState, usage: WebhookUsage)? {
        try connection.withStatement(WebhookSQL.selectUsage) { statement in
            statement.bind(1, id)
            guard try statement.step() else { return nil }
            let state = WebhookState(rawValue: Int32(truncatingIfNeeded: statement.int64(0))) ?? .unknown
            let usage = WebhookUsage(
                totalCalls: statement.int64(1), totalErrors: statement.int64(2),
                consecutiveErrors: statement.int64(3), lastError: statement.optionalString(4),
                lastErrorTime: statement.optionalDate(5))
            return (state, usage)
        }
    }

    /// Binds parameters 1 to 13 in the column order of `WebhookSQL.insert` and `update`.
    private static func bindColumns(of webhook: Webhook, to statement: SQLiteStatement) {
        var headers: [UInt8] = []
        JSONValue.writeObject(webhook.headers, into: &headers)
        var properties: [UInt8] = []
        JSONValue.writeObject(webhook.properties, into: &properties)

        statement.bind(1, webhook.name)
        statement.bind(2, webhook.targetURL)
        statement.bind(3, webhook.type)
        statement.bind(4, webhook.secret)
        statement.bind(5, Int64(webhook.state.rawValue))
        statement.bind(6, String(decoding: headers, as: UTF8.self))
        statement.bind(7, String(decoding: properties, as: UTF8.self))
        statement.bind(8, webhook.applicationToken)
        statement.bind(9, webhook.description)
        statement.bind(10, UnixMilliseconds.milliseconds(webhook.registered))
        statement.bind(11, webhook.registeredAssociateId)
        statement.bind(12, UnixMilliseconds.milliseconds(webhook.updated))
        statement.bind(13, webhook.updatedAssociateId)
    }
}

extension SQLiteWebhookStore: CachedWebhookLookup {
    /// Returns the hook from the shared `WebhookCache`, or nil when it is not cached. Takes no
    /// SQLite connection.
    public func cachedWebhook(id: Int64) -> Webhook? {
        cache.webhook(id: id)
    }
}
