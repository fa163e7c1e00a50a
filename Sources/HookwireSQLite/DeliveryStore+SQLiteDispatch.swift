import CSQLite
import Foundation
import HookwireCore

extension SQLiteDeliveryStore {
    public func claimDue(
        now: Date, leaseUntil: Date, limit: Int, perWebhookRemaining: [Int64: Int], defaultPerWebhookLimit: Int
    ) throws -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        let excluded = perWebhookRemaining.filter { $0.value <= 0 }.map { String($0.key) }
        return try withBookkeeping { db in
            try db.transaction {
                // A lease that ran out belongs to an attempt whose process died, so it is due again now.
                let expire = try db.statement(
                    "UPDATE deliveries SET state = 0 WHERE state = 1 AND next_attempt_at <= ?1")
                expire.bind(1, now)
                try expire.step()

                // Most scanned rows belong to hooks at their cap, so the choice reads only the
                // index (it covers state, due time and hook). Then the chosen rows are read.
                let candidates = try db.statement(
                    """
                    SELECT id, webhook_id FROM deliveries
                    WHERE state = 0 AND next_attempt_at <= ?1
                      AND webhook_id NOT IN (SELECT value FROM json_each(?2))
                    ORDER BY next_attempt_at LIMIT ?3
                    """)
                candidates.bind(1, now)
                candidates.bind(2, "[" + excluded.joined(separator: ",") + "]")
                candidates.bind(3, limit + limit / 2 + defaultPerWebhookLimit)
                var taken: [Int64: Int] = [:]
                var chosen: [Int64] = []
                while chosen.count < limit, try candidates.step() {
                    let hookId = candidates.int64(1)
                    let allowed = perWebhookRemaining[hookId] ?? defaultPerWebhookLimit
                    guard taken[hookId, default: 0] < allowed else { continue }
                    taken[hookId, default: 0] += 1
                    chosen.append(candidates.int64(0))
                }
                sqlite3_reset(candidates.handle)

                var claimed: [ClaimedDelivery] = []
                claimed.reserveCapacity(chosen.count)
                for id in chosen {
                    let row = try db.statement(
                        """
                        SELECT d.id, d.message_id, d.webhook_id, e.event_id, e.event, d.attempts, d.created_at,
                               e.members, e.data
                        FROM deliveries d JOIN events e ON e.id = d.event_rowid WHERE d.id = ?1
                        """)
                    row.bind(1, id)
                    guard try row.step() else { continue }
                    claimed.append(
                        ClaimedDelivery(
                            id: row.int64(0), messageId: row.text(1), webhookId: row.int64(2), eventId: row.text(3),
                            event: row.text(4), attempts: Int32(row.int64(5)), createdAt: row.date(6),
                            members: row.blob(7), data: row.optionalBlob(8)))
                    sqlite3_reset(row.handle)
                }
                for delivery in claimed {
                    let mark = try db.statement("UPDATE deliveries SET state = 1, next_attempt_at = ?1 WHERE id = ?2")
                    mark.bind(1, leaseUntil)
                    mark.bind(2, delivery.id)
                    try mark.step()
                }
                return claimed
            }
        }
    }

    public func nextDueTime() throws -> Date? {
        try withBookkeeping { db in
            var earliest: Date?
            for state in [DeliveryState.pending, .inFlight] {
                let statement = try db.statement("SELECT MIN(next_attempt_at) FROM deliveries WHERE state = ?1")
                statement.bind(1, Int64(state.rawValue))
                if try statement.step(), !statement.isNull(0) {
                    let due = statement.date(0)
                    earliest = min(earliest ?? due, due)
                }
            }
            return earliest
        }
    }

    public func record(_ records: [AttemptRecord], now: Date) throws {
        guard !records.isEmpty else { return }
        try withBookkeeping { db in
            try db.transaction {
                for record in records {
                    if let attempt = record.attempt { try insertAttempt(attempt, db: db) }
                    let (state, next, finished) = Self.columns(of: record.disposition, now: now)
                    let update = try db.statement(
                        """
                        UPDATE deliveries SET state = ?1, attempts = attempts + ?2, next_attempt_at = ?3,
                            finished_at = ?4,
                            last_status = CASE WHEN ?2 = 1 THEN ?5 ELSE last_status END,
                            last_error = COALESCE(?6, last_error)
                        WHERE id = ?7
                        """)
                    update.bind(1, Int64(state.rawValue))
                    update.bind(2, Int64(record.attempt == nil ? 0 : 1))
                    update.bind(3, next)
                    update.bind(4, finished)
                    update.bind(5, Int64(record.attempt?.status ?? 0))
                    update.bind(6, record.attempt?.error)
                    update.bind(7, record.deliveryId)
                    try update.step()
                }
            }
        }
    }

    static func columns(of disposition: DeliveryDisposition, now: Date) -> (DeliveryState, Date?, Date?) {
        switch disposition {
        case .succeeded: (.succeeded, nil, now)
        case .retry(let at): (.pending, at, nil)
        case .failed: (.failed, nil, now)
        case .held: (.held, nil, nil)
        case .cancelled: (.cancelled, nil, now)
        }
    }

    private func insertAttempt(_ attempt: DeliveryAttempt, db: DeliveryConnection) throws {
        let statement = try db.statement(
            """
            INSERT INTO delivery_attempts (delivery_id, number, started_at, duration_ms, status, error_kind, error,
                response_headers, response_body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            """)
        statement.bind(1, attempt.deliveryId)
        statement.bind(2, Int64(attempt.number))
        statement.bind(3, attempt.startedAt)
        statement.bind(4, attempt.durationMilliseconds)
        statement.bind(5, Int64(attempt.status))
        statement.bind(6, attempt.errorKind.rawValue)
        statement.bind(7, attempt.error)
        statement.bind(8, attempt.responseHeaders)
        statement.bind(9, attempt.responseBody)
        try statement.step()
    }

    @discardableResult
    public func holdDeliveries(webhookId: Int64) throws -> Int {
        try updateHook("UPDATE deliveries SET state = 4, next_attempt_at = NULL WHERE webhook_id = ?1 AND state = 0",
                       webhookId: webhookId, now: nil)
    }

    @discardableResult
    public func resumeDeliveries(webhookId: Int64, now: Date) throws -> Int {
        try updateHook("UPDATE deliveries SET state = 0, next_attempt_at = ?2 WHERE webhook_id = ?1 AND state = 4",
                       webhookId: webhookId, now: now)
    }

    @discardableResult
    public func cancelDeliveries(webhookId: Int64) throws -> Int {
        try updateHook(
            "UPDATE deliveries SET state = 5, next_attempt_at = NULL, finished_at = ?2 "
                + "WHERE webhook_id = ?1 AND state IN (0, 1, 4)",
            webhookId: webhookId, now: Date())
    }

    private func updateHook(_ sql: String, webhookId: Int64, now: Date?) throws -> Int {
        try withBookkeeping { db in
            let statement = try db.statement(sql)
            statement.bind(1, webhookId)
            if let now { statement.bind(2, now) }
            try statement.step()
            return db.changes
        }
    }

    public func redeliver(deliveryId: Int64, now: Date) throws {
        try withBookkeeping { db in
            try db.transaction {
                let read = try db.statement("SELECT state FROM deliveries WHERE id = ?1")
                read.bind(1, deliveryId)
                guard try read.step() else { throw HookwireError.notFound("delivery \(deliveryId) not found") }
                let state = DeliveryState(rawValue: Int32(read.int64(0))) ?? .pending
                sqlite3_reset(read.handle)
                switch state {
                case .cancelled:
                    throw HookwireError(
                        .failedPrecondition, "delivery \(deliveryId) was cancelled because its webhook was deleted")
                case .pending, .inFlight:
                    return
                case .succeeded, .failed, .held:
                    let update = try db.statement(
                        "UPDATE deliveries SET state = 0, next_attempt_at = ?2, finished_at = NULL WHERE id = ?1")
                    update.bind(1, deliveryId)
                    update.bind(2, now)
                    try update.step()
                }
            }
        }
    }

    public func redeliverFailed(webhookId: Int64, since: Date, now: Date) throws -> Int {
        try withBookkeeping { db in
            let statement = try db.statement(
                "UPDATE deliveries SET state = 0, next_attempt_at = ?3, finished_at = NULL "
                    + "WHERE webhook_id = ?1 AND state = 3 AND created_at >= ?2")
            statement.bind(1, webhookId)
            statement.bind(2, since)
            statement.bind(3, now)
            try statement.step()
            return db.changes
        }
    }
}
