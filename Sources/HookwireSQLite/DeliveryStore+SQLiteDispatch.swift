import CSQLite
import Foundation
import HookwireCore

extension SQLiteDeliveryStore {
    public func claimDue(
        now: Date, leaseUntil: Date, limit: Int, perWebhookRemaining: [Int64: Int], defaultPerWebhookLimit: Int
    ) throws -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        let request = ClaimRequest(
            now: now, leaseUntil: leaseUntil, limit: limit, perWebhookRemaining: perWebhookRemaining,
            defaultPerWebhookLimit: defaultPerWebhookLimit)
        return try withBookkeeping { db in
            try db.transaction { try claim(request, db: db) }
        }
    }

    public func nextDueTime() throws -> Date? {
        try withBookkeeping { db in try earliestDue(db: db) }
    }

    public func record(_ records: [AttemptRecord], now: Date) throws {
        guard !records.isEmpty else { return }
        try withBookkeeping { db in
            try db.transaction { try apply(records, now: now, db: db) }
        }
    }

    public func recordAndClaim(
        _ records: [AttemptRecord], results: WebhookResults?, now: Date, claim request: ClaimRequest?
    ) throws -> ClaimBatch {
        var writing: [Int64] = []
        // The cached hooks whose state changes stay out of the cache until the commit is over.
        defer { for id in writing { cache.endWrite(id: id) } }
        return try withBookkeeping { db in
            try db.transaction {
                try apply(records, now: now, db: db)
                var changes: [WebhookStateChange] = []
                if let results { changes = try apply(results, writing: &writing, db: db) }
                var deliveries: [ClaimedDelivery] = []
                if let request, request.limit > 0 { deliveries = try claim(request, db: db) }
                return ClaimBatch(
                    deliveries: deliveries, nextDue: try earliestDue(db: db), resultsApplied: results != nil,
                    stateChanges: changes)
            }
        }
    }

    /// Applies results to the hooks' counters and states by `WebhookStateRule`, in the
    /// transaction in progress, and returns the state changes. Each hook whose state changes is
    /// added to `writing` after `cache.beginWrite`, for the caller to end after the commit.
    private func apply(
        _ results: WebhookResults, writing: inout [Int64], db: DeliveryConnection
    ) throws -> [WebhookStateChange] {
        var order: [Int64] = []
        var byHook: [Int64: [WebhookResult]] = [:]
        for (id, result) in results.results {
            if byHook[id] == nil { order.append(id) }
            byHook[id, default: []].append(result)
        }
        let time = UnixMilliseconds.rounded(results.time)
        let select = try db.statement(WebhookSQL.selectUsage)
        let replace = try db.statement(WebhookSQL.replaceUsage)
        var changes: [WebhookStateChange] = []
        for id in order {
            select.bind(1, id)
            // A hook deleted since its attempt started has no counters left to update.
            guard try select.step() else {
                sqlite3_reset(select.handle)
                continue
            }
            let before = WebhookState(rawValue: Int32(truncatingIfNeeded: select.int64(0))) ?? .unknown
            var state = before
            var usage = WebhookUsage(
                totalCalls: select.int64(1), totalErrors: select.int64(2), consecutiveErrors: select.int64(3),
                lastError: select.optionalText(4),
                lastErrorTime: select.isNull(5) ? nil : UnixMilliseconds.date(select.int64(5)))
            sqlite3_reset(select.handle)

            var reason: String?
            for result in byHook[id] ?? [] {
                let outcome = WebhookStateRule.apply(
                    result, state: state, usage: usage, limit: results.consecutiveErrorLimit, at: time)
                if outcome.reason != nil { reason = outcome.reason }
                state = outcome.state
                usage = outcome.usage
            }
            if state != before {
                cache.beginWrite(id: id)
                writing.append(id)
                let update = try db.statement(WebhookSQL.updateState)
                update.bind(1, Int64(state.rawValue))
                update.bind(2, id)
                try update.step()
                changes.append(WebhookStateChange(webhookId: id, from: before, to: state, reason: reason ?? ""))
            }
            replace.bind(1, id)
            replace.bind(2, usage.totalCalls)
            replace.bind(3, usage.totalErrors)
            replace.bind(4, usage.consecutiveErrors)
            replace.bind(5, usage.lastError)
            if let errorTime = usage.lastErrorTime {
                replace.bind(6, UnixMilliseconds.milliseconds(errorTime))
            } else {
                sqlite3_bind_null(replace.handle, 6)
            }
            try replace.step()
            sqlite3_reset(replace.handle)
        }
        return changes
    }

    private func claim(_ request: ClaimRequest, db: DeliveryConnection) throws -> [ClaimedDelivery] {
        // A lease that ran out belongs to an attempt whose process died, so it is due again now.
        let expire = try db.statement("UPDATE deliveries SET state = 0 WHERE state = 1 AND next_attempt_at <= ?1")
        expire.bind(1, request.now)
        try expire.step()

        var taken: [Int64: Int] = [:]
        var chosen: [Int64] = []
        func allowed(_ hookId: Int64) -> Int {
            (request.perWebhookRemaining[hookId] ?? request.defaultPerWebhookLimit) - taken[hookId, default: 0]
        }

        // The hook's index orders its pending deliveries by creation, which for a backlog of
        // first attempts is also their due order. Without INDEXED BY, SQLite may pick the due
        // index instead and read every due delivery of every hook. Only the oldest rows, a few
        // times the wanted count, are read, so a hook with many retries scheduled for later
        // costs little. A due delivery past that window waits for the scan of all hooks.
        if !request.webhooksFirst.isEmpty {
            let own = try db.statement(
                """
                SELECT id FROM (
                    SELECT id, next_attempt_at, created_at FROM deliveries INDEXED BY deliveries_webhook
                    WHERE webhook_id = ?1 AND state = 0 ORDER BY created_at LIMIT ?4)
                WHERE next_attempt_at <= ?2 ORDER BY created_at LIMIT ?3
                """)
            for hookId in request.webhooksFirst where chosen.count < request.limit {
                let count = min(allowed(hookId), request.limit - chosen.count)
                guard count > 0 else { continue }
                own.bind(1, hookId)
                own.bind(2, request.now)
                own.bind(3, count)
                own.bind(4, count * 4 + 64)
                while try own.step() {
                    chosen.append(own.int64(0))
                    taken[hookId, default: 0] += 1
                }
                sqlite3_reset(own.handle)
            }
        }
        // The scan below must not choose these again, and they are still pending until marked.
        var claimed = try mark(chosen, leaseUntil: request.leaseUntil, db: db)
        guard request.scansAllWebhooks, chosen.count < request.limit else { return claimed }

        // Most scanned rows belong to hooks at their cap, so the choice reads only the index
        // (it covers state, due time and hook). Then the chosen rows are read.
        let limit = request.limit - chosen.count
        var excluded: [String] = []
        for (hookId, remaining) in request.perWebhookRemaining where remaining - taken[hookId, default: 0] <= 0 {
            excluded.append(String(hookId))
        }
        for (hookId, count) in taken where request.perWebhookRemaining[hookId] == nil
            && count >= request.defaultPerWebhookLimit
        {
            excluded.append(String(hookId))
        }
        let candidates = try db.statement(
            """
            SELECT id, webhook_id FROM deliveries
            WHERE state = 0 AND next_attempt_at <= ?1
              AND webhook_id NOT IN (SELECT value FROM json_each(?2))
            ORDER BY next_attempt_at LIMIT ?3
            """)
        candidates.bind(1, request.now)
        candidates.bind(2, "[" + excluded.joined(separator: ",") + "]")
        candidates.bind(3, limit + limit / 2 + request.defaultPerWebhookLimit)
        var scanned: [Int64] = []
        while scanned.count < limit, try candidates.step() {
            let hookId = candidates.int64(1)
            guard allowed(hookId) > 0 else { continue }
            taken[hookId, default: 0] += 1
            scanned.append(candidates.int64(0))
        }
        sqlite3_reset(candidates.handle)
        claimed += try mark(scanned, leaseUntil: request.leaseUntil, db: db)
        return claimed
    }

    /// Marks the deliveries in flight until `leaseUntil` and returns them with their events.
    private func mark(_ ids: [Int64], leaseUntil: Date, db: DeliveryConnection) throws -> [ClaimedDelivery] {
        guard !ids.isEmpty else { return [] }
        var claimed: [ClaimedDelivery] = []
        claimed.reserveCapacity(ids.count)
        let row = try db.statement(
            """
            SELECT d.id, d.message_id, d.webhook_id, e.event_id, e.event, d.attempts, d.created_at,
                   e.members, e.data
            FROM deliveries d JOIN events e ON e.id = d.event_rowid WHERE d.id = ?1
            """)
        let update = try db.statement("UPDATE deliveries SET state = 1, next_attempt_at = ?1 WHERE id = ?2")
        for id in ids {
            row.bind(1, id)
            guard try row.step() else {
                sqlite3_reset(row.handle)
                continue
            }
            claimed.append(
                ClaimedDelivery(
                    id: row.int64(0), messageId: row.text(1), webhookId: row.int64(2), eventId: row.text(3),
                    event: row.text(4), attempts: Int32(row.int64(5)), createdAt: row.date(6),
                    members: row.blob(7), data: row.optionalBlob(8)))
            sqlite3_reset(row.handle)

            update.bind(1, leaseUntil)
            update.bind(2, id)
            try update.step()
            sqlite3_reset(update.handle)
        }
        return claimed
    }

    private func earliestDue(db: DeliveryConnection) throws -> Date? {
        var earliest: Date?
        let statement = try db.statement("SELECT MIN(next_attempt_at) FROM deliveries WHERE state = ?1")
        for state in [DeliveryState.pending, .inFlight] {
            statement.bind(1, Int64(state.rawValue))
            if try statement.step(), !statement.isNull(0) {
                let due = statement.date(0)
                earliest = min(earliest ?? due, due)
            }
            sqlite3_reset(statement.handle)
        }
        return earliest
    }

    private func apply(_ records: [AttemptRecord], now: Date, db: DeliveryConnection) throws {
        guard !records.isEmpty else { return }
        // A delivery cancelled while claimed (its hook was deleted) stays cancelled unless its
        // attempt succeeded: the attempt is still counted, but the delivery is not made pending
        // or held again. Every SET expression reads the row as it was before the update.
        let update = try db.statement(
            """
            UPDATE deliveries SET state = CASE WHEN state = 5 AND ?1 != 2 THEN 5 ELSE ?1 END,
                attempts = attempts + ?2,
                next_attempt_at = CASE WHEN state = 5 AND ?1 != 2 THEN NULL ELSE ?3 END,
                finished_at = CASE WHEN state = 5 AND ?1 != 2 THEN finished_at ELSE ?4 END,
                last_status = CASE WHEN ?2 = 1 THEN ?5 ELSE last_status END,
                last_error = COALESCE(?6, last_error)
            WHERE id = ?7
            """)
        let renew = try db.statement("UPDATE deliveries SET next_attempt_at = ?1 WHERE id = ?2 AND state = 1")
        for record in records {
            if case .inFlight(let until) = record.disposition {
                renew.bind(1, until)
                renew.bind(2, record.deliveryId)
                try renew.step()
                sqlite3_reset(renew.handle)
                continue
            }
            if let attempt = record.attempt { try insertAttempt(attempt, db: db) }
            let (state, next, finished) = Self.columns(of: record.disposition, now: now)
            update.bind(1, Int64(state.rawValue))
            update.bind(2, Int64(record.attempt == nil ? 0 : 1))
            update.bind(3, next)
            update.bind(4, finished)
            update.bind(5, Int64(record.attempt?.status ?? 0))
            update.bind(6, record.attempt?.error)
            update.bind(7, record.deliveryId)
            try update.step()
            sqlite3_reset(update.handle)
        }
    }

    static func columns(of disposition: DeliveryDisposition, now: Date) -> (DeliveryState, Date?, Date?) {
        switch disposition {
        case .succeeded: (.succeeded, nil, now)
        case .retry(let at): (.pending, at, nil)
        case .failed: (.failed, nil, now)
        case .held: (.held, nil, nil)
        case .cancelled: (.cancelled, nil, now)
        case .inFlight(let until): (.inFlight, until, nil)
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
