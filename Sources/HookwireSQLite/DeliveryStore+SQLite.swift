import CSQLite
import Foundation
import HookwireCore
import Synchronization

/// The SQLite delivery store: events, deliveries, attempts and previous secrets, in the same
/// database file as the webhooks.
///
/// It writes through one connection behind one lock. Publishing commits with
/// `synchronous=FULL`, so an acknowledged event survives power loss. Claims and attempt
/// records commit with `synchronous=NORMAL`: a record lost to power loss only means an attempt
/// is made again, which at-least-once delivery allows. One connection, rather than one per
/// kind of work, keeps its page cache warm: SQLite drops a connection's cache whenever
/// another connection has written the file.
public final class SQLiteDeliveryStore: DeliveryStore, @unchecked Sendable {
    /// Used only under `lock`.
    let connection: DeliveryConnection
    let lock = NSLock()
    /// The database file, as given to `init`.
    public let path: String
    /// The webhook cache of the file, shared with the webhook stores, which a hook state change
    /// made by `recordAndClaim` must keep coherent.
    let cache: WebhookCache
    /// Keeps other processes from running stores on the same file while this one is open.
    let fileLock: DatabaseFileLock?

    /// Opens the store on `path` and creates its tables when missing. The webhook tables
    /// (`webhooks`, `webhook_events`) must be in the same file; publishing matches against them.
    ///
    /// - Throws: `unavailable` when another process has taken the file's `DatabaseFileLock`,
    ///   and the storage errors of opening the file.
    public init(path: String) throws {
        self.path = path
        fileLock = try DatabaseFileLock.acquire(forDatabase: path)
        connection = try DeliveryConnection(path: path, synchronous: "NORMAL")
        cache = WebhookCache.shared(forPath: path)
        try connection.transaction { try connection.execute(SchemaV2Deliveries.sql) }
    }

    /// Runs `body` on the connection with commits synced to disk (`synchronous=FULL`).
    func withPublishing<T>(_ body: (DeliveryConnection) throws -> T) throws -> T {
        try lock.withLock {
            try connection.execute("PRAGMA synchronous=FULL")
            defer {
                connection.resetStatements()
                // NOTE: should this fail, later bookkeeping commits also sync, which is only slower.
                try? connection.execute("PRAGMA synchronous=NORMAL")
            }
            return try body(connection)
        }
    }

    /// Runs `body` on the connection with commits not synced (`synchronous=NORMAL`).
    func withBookkeeping<T>(_ body: (DeliveryConnection) throws -> T) throws -> T {
        try lock.withLock {
            defer { connection.resetStatements() }
            return try body(connection)
        }
    }

    // MARK: - Publishing

    /// Active hooks listening to an event: to its exact name, its entity's wildcard or `*`.
    static let matchingWebhooks = """
        SELECT w.id FROM webhooks w
        WHERE w.state = 1 AND w.id IN (SELECT webhook_id FROM webhook_events WHERE event IN (?1, ?2, '*'))
        ORDER BY w.id
        """

    static let insertDelivery = """
        INSERT INTO deliveries (event_rowid, webhook_id, message_id, state, attempts, created_at, next_attempt_at)
        VALUES (?1, ?2, ?3, 0, 0, ?4, ?4)
        """

    public func insertEvents(_ events: [EventRecord], now: Date) throws -> [Int] {
        try withPublishing { db in
            try db.transaction {
                // Hooks cannot change during the transaction, so each event name is matched once.
                var matches: [String: [Int64]] = [:]
                var counts: [Int] = []
                counts.reserveCapacity(events.count)
                let insert = try db.statement(Self.insertDelivery)
                for event in events {
                    let rowid = try insertEvent(event, db: db)
                    let hooks = try matches[event.event] ?? matchingWebhooks(event.event, db: db)
                    matches[event.event] = hooks
                    let prefix = Self.messageIdPrefix(event.eventId)
                    for hookId in hooks {
                        insert.bind(1, rowid)
                        insert.bind(2, hookId)
                        insert.bind(3, prefix + String(hookId))
                        insert.bind(4, now)
                        try insert.step()
                        sqlite3_reset(insert.handle)
                    }
                    counts.append(hooks.count)
                }
                return counts
            }
        }
    }

    private func matchingWebhooks(_ event: String, db: DeliveryConnection) throws -> [Int64] {
        let statement = try db.statement(Self.matchingWebhooks)
        statement.bind(1, event)
        let entity = event.split(separator: ".", maxSplits: 1).first.map(String.init) ?? event
        statement.bind(2, entity + ".*")
        var hooks: [Int64] = []
        while try statement.step() { hooks.append(statement.int64(0)) }
        sqlite3_reset(statement.handle)
        return hooks
    }

    public func insertEvent(_ event: EventRecord, webhookIds: [Int64], now: Date) throws {
        try withPublishing { db in
            try db.transaction {
                let rowid = try insertEvent(event, db: db)
                let prefix = Self.messageIdPrefix(event.eventId)
                for id in webhookIds {
                    let statement = try db.statement(Self.insertDelivery)
                    statement.bind(1, rowid)
                    statement.bind(2, id)
                    statement.bind(3, prefix + String(id))
                    statement.bind(4, now)
                    try statement.step()
                }
            }
        }
    }

    private func insertEvent(_ event: EventRecord, db: DeliveryConnection) throws -> Int64 {
        let statement = try db.statement(
            "INSERT INTO events (event_id, event, created_at, members, data) VALUES (?1, ?2, ?3, ?4, ?5)")
        statement.bind(1, event.eventId)
        statement.bind(2, event.event)
        statement.bind(3, event.createdAt)
        statement.bind(4, event.members)
        statement.bind(5, event.data)
        try statement.step()
        return sqlite3_last_insert_rowid(db.handle)
    }

    /// Returns the start of the message ids of an event's deliveries. A delivery's `webhook-id`
    /// is `msg_<event uuid without dashes>_<hook id>`, unique per (event, hook) and the same on
    /// every attempt and redelivery.
    static func messageIdPrefix(_ eventId: String) -> String {
        var bytes: [UInt8] = Array("msg_".utf8)
        bytes.reserveCapacity(eventId.utf8.count + 5)
        for byte in eventId.utf8 where byte != UInt8(ascii: "-") { bytes.append(byte) }
        bytes.append(UInt8(ascii: "_"))
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Previous secrets

    public func addPreviousSecret(webhookId: Int64, secret: String, validUntil: Date) throws {
        try withBookkeeping { db in
            let statement = try db.statement(
                "INSERT INTO webhook_previous_secrets (webhook_id, secret, valid_until) VALUES (?1, ?2, ?3)")
            statement.bind(1, webhookId)
            statement.bind(2, secret)
            statement.bind(3, validUntil)
            try statement.step()
        }
    }

    public func previousSecrets(webhookId: Int64, now: Date) throws -> [String] {
        try withBookkeeping { db in
            let statement = try db.statement(
                "SELECT secret FROM webhook_previous_secrets WHERE webhook_id = ?1 AND valid_until > ?2 "
                    + "ORDER BY valid_until DESC")
            statement.bind(1, webhookId)
            statement.bind(2, now)
            var secrets: [String] = []
            while try statement.step() { secrets.append(statement.text(0)) }
            return secrets
        }
    }
}
