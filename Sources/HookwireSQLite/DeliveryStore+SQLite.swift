import CSQLite
import Foundation
import HookwireCore
import Synchronization

/// The SQLite delivery store: events, deliveries, attempts and previous secrets, in the same
/// database file as the webhooks.
///
/// It keeps two connections, each behind its own lock. Publishing uses one with
/// `synchronous=FULL`, so an acknowledged event survives power loss. Claims and attempt
/// records use the other with `synchronous=NORMAL`: a record lost to power loss only means an
/// attempt is made again, which at-least-once delivery allows. SQLite serialises the writers.
public final class SQLiteDeliveryStore: DeliveryStore, @unchecked Sendable {
    /// Used only under `publishingLock`.
    let publishing: DeliveryConnection
    /// Used only under `bookkeepingLock`.
    let bookkeeping: DeliveryConnection
    let publishingLock = NSLock()
    let bookkeepingLock = NSLock()

    /// Opens the store on `path` and creates its tables when missing. The webhook tables
    /// (`webhooks`, `webhook_events`) must be in the same file; publishing matches against them.
    public init(path: String) throws {
        publishing = try DeliveryConnection(path: path, synchronous: "FULL")
        bookkeeping = try DeliveryConnection(path: path, synchronous: "NORMAL")
        try publishing.transaction { try publishing.execute(SchemaV2Deliveries.sql) }
    }

    func withPublishing<T>(_ body: (DeliveryConnection) throws -> T) throws -> T {
        try publishingLock.withLock {
            defer { publishing.resetStatements() }
            return try body(publishing)
        }
    }

    func withBookkeeping<T>(_ body: (DeliveryConnection) throws -> T) throws -> T {
        try bookkeepingLock.withLock {
            defer { bookkeeping.resetStatements() }
            return try body(bookkeeping)
        }
    }

    // MARK: - Publishing

    /// Hooks listening to an event: its exact name, its entity's wildcard or `*`.
    static let insertMatchingDeliveries = """
        INSERT INTO deliveries (event_rowid, webhook_id, message_id, state, attempts, created_at, next_attempt_at)
        SELECT ?1, w.id, ?2 || w.id, 0, 0, ?3, ?3 FROM webhooks w
        WHERE w.state = 1 AND w.id IN (SELECT webhook_id FROM webhook_events WHERE event IN (?4, ?5, '*'))
        ORDER BY w.id
        """

    public func insertEvents(_ events: [EventRecord], now: Date) throws -> [Int] {
        try withPublishing { db in
            try db.transaction {
                var counts: [Int] = []
                counts.reserveCapacity(events.count)
                for event in events {
                    let rowid = try insertEvent(event, db: db)
                    let statement = try db.statement(Self.insertMatchingDeliveries)
                    statement.bind(1, rowid)
                    statement.bind(2, Self.messageIdPrefix(event.eventId))
                    statement.bind(3, now)
                    statement.bind(4, event.event)
                    let entity = event.event.split(separator: ".", maxSplits: 1).first.map(String.init) ?? event.event
                    statement.bind(5, entity + ".*")
                    try statement.step()
                    counts.append(db.changes)
                }
                return counts
            }
        }
    }

    public func insertEvent(_ event: EventRecord, webhookIds: [Int64], now: Date) throws {
        try withPublishing { db in
            try db.transaction {
                let rowid = try insertEvent(event, db: db)
                let prefix = Self.messageIdPrefix(event.eventId)
                for id in webhookIds {
                    let statement = try db.statement(
                        "INSERT INTO deliveries (event_rowid, webhook_id, message_id, state, attempts, created_at, "
                            + "next_attempt_at) VALUES (?1, ?2, ?3, 0, 0, ?4, ?4)")
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
        "msg_" + eventId.filter { $0 != "-" } + "_"
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
