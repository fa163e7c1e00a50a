import CSQLite
import Foundation
import HookwireCore

extension SQLiteDeliveryStore {
    static let deliveryColumns = """
        SELECT d.id, d.message_id, d.webhook_id, e.event_id, e.event, d.state, d.attempts, d.created_at,
               d.next_attempt_at, d.last_status, d.last_error
        FROM deliveries d JOIN events e ON e.id = d.event_rowid
        """

    private static func readDelivery(_ row: DeliveryConnection.Statement) -> Delivery {
        let state = DeliveryState(rawValue: Int32(row.int64(5))) ?? .pending
        return Delivery(
            id: row.int64(0), messageId: row.text(1), webhookId: row.int64(2), eventId: row.text(3),
            event: row.text(4), state: state, attempts: Int32(row.int64(6)), createdAt: row.date(7),
            nextAttemptAt: state == .pending ? row.optionalDate(8) : nil, lastStatus: Int32(row.int64(9)),
            lastError: row.optionalText(10))
    }

    public func delivery(id: Int64) throws -> Delivery? {
        try withBookkeeping { db in
            let statement = try db.statement(Self.deliveryColumns + " WHERE d.id = ?1")
            statement.bind(1, id)
            guard try statement.step() else { return nil }
            let delivery = Self.readDelivery(statement)
            sqlite3_reset(statement.handle)
            return delivery
        }
    }

    public func deliveries(_ filter: DeliveryFilter) throws -> [Delivery] {
        var sql = Self.deliveryColumns + " WHERE d.id > ?1"
        if filter.webhookId != nil { sql += " AND d.webhook_id = ?2" }
        if filter.state != nil { sql += " AND d.state = ?3" }
        sql += " ORDER BY d.id LIMIT ?4"
        return try withBookkeeping { db in
            let statement = try db.statement(sql)
            statement.bind(1, filter.afterId)
            if let webhookId = filter.webhookId { statement.bind(2, webhookId) }
            if let state = filter.state { statement.bind(3, Int64(state.rawValue)) }
            statement.bind(4, max(0, filter.limit))
            var rows: [Delivery] = []
            while try statement.step() { rows.append(Self.readDelivery(statement)) }
            return rows
        }
    }

    public func attempts(deliveryId: Int64) throws -> [DeliveryAttempt] {
        try withBookkeeping { db in
            let statement = try db.statement(
                """
                SELECT delivery_id, number, started_at, duration_ms, status, error_kind, error, response_headers,
                       response_body
                FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY id
                """)
            statement.bind(1, deliveryId)
            var rows: [DeliveryAttempt] = []
            while try statement.step() {
                rows.append(
                    DeliveryAttempt(
                        deliveryId: statement.int64(0), number: Int32(statement.int64(1)),
                        startedAt: statement.date(2), durationMilliseconds: statement.int64(3),
                        status: Int32(statement.int64(4)),
                        errorKind: DeliveryErrorKind(rawValue: statement.text(5)) ?? .network,
                        error: statement.optionalText(6), responseHeaders: statement.text(7),
                        responseBody: statement.text(8)))
            }
            return rows
        }
    }

    public func prune(finishedBefore: Date) throws -> Int {
        try withBookkeeping { db in
            try db.transaction {
                let finished = "SELECT id FROM deliveries WHERE finished_at < ?1 AND state IN (2, 3, 5)"
                let attempts = try db.statement("DELETE FROM delivery_attempts WHERE delivery_id IN (\(finished))")
                attempts.bind(1, finishedBefore)
                try attempts.step()
                let deliveries = try db.statement(
                    "DELETE FROM deliveries WHERE finished_at < ?1 AND state IN (2, 3, 5)")
                deliveries.bind(1, finishedBefore)
                try deliveries.step()
                let count = db.changes
                let events = try db.statement(
                    "DELETE FROM events WHERE created_at < ?1 "
                        + "AND NOT EXISTS (SELECT 1 FROM deliveries WHERE event_rowid = events.id)")
                events.bind(1, finishedBefore)
                try events.step()
                let secrets = try db.statement("DELETE FROM webhook_previous_secrets WHERE valid_until <= ?1")
                secrets.bind(1, Date())
                try secrets.step()
                return count
            }
        }
    }

    public func counts() throws -> DeliveryCounts {
        try withBookkeeping { db in
            var counts = DeliveryCounts()
            let states = try db.statement("SELECT state, COUNT(*) FROM deliveries GROUP BY state")
            while try states.step() {
                let count = states.int64(1)
                switch DeliveryState(rawValue: Int32(states.int64(0))) {
                case .pending: counts.pending = count
                case .inFlight: counts.inFlight = count
                case .succeeded: counts.succeeded = count
                case .failed: counts.failed = count
                case .held: counts.held = count
                case .cancelled: counts.cancelled = count
                case nil: break
                }
            }
            counts.events = try scalar("SELECT COUNT(*) FROM events", db: db)
            counts.attempts = try scalar("SELECT COUNT(*) FROM delivery_attempts", db: db)
            counts.webhooks = try scalar("SELECT COUNT(*) FROM webhooks", db: db)
            counts.activeWebhooks = try scalar("SELECT COUNT(*) FROM webhooks WHERE state = 1", db: db)
            return counts
        }
    }

    private func scalar(_ sql: String, db: DeliveryConnection) throws -> Int64 {
        let statement = try db.statement(sql)
        guard try statement.step() else { return 0 }
        let value = statement.int64(0)
        sqlite3_reset(statement.handle)
        return value
    }
}
