import Foundation
import HookwireCore

extension DeliveryBookkeeper {
    enum HookLookup {
        case found(PreparedWebhook)
        case deleted
        /// The registry could not be read; the delivery is tried again shortly.
        case unavailable
    }

    /// Reads the hook of each claimed delivery and builds the bodies of those to attempt.
    /// Deliveries of a stopped or disabled hook are held and those of a deleted hook cancelled,
    /// without an attempt.
    func prepare(_ claimed: [ClaimedDelivery], leaseUntil: Date, now: Date) -> [ReadyDelivery] {
        // Read before any hook, so that an invalidation during this round marks the round's
        // deliveries stale (see `ReadyDelivery.epoch`).
        let epoch = currentEpoch()
        var ready: [ReadyDelivery] = []
        ready.reserveCapacity(claimed.count)
        var releases: [AttemptRecord] = []
        var heldHooks: Set<Int64> = []
        var deletedHooks: Set<Int64> = []
        var hooks: [Int64: HookLookup] = [:]
        for delivery in claimed {
            let lookup = hooks[delivery.webhookId] ?? lookUpHook(delivery.webhookId, now: now)
            hooks[delivery.webhookId] = lookup
            switch lookup {
            case .deleted:
                releases.append(AttemptRecord(deliveryId: delivery.id, attempt: nil, disposition: .cancelled))
                deletedHooks.insert(delivery.webhookId)
            case .unavailable:
                releases.append(
                    AttemptRecord(deliveryId: delivery.id, attempt: nil, disposition: .retry(at: now.addingTimeInterval(1))))
            case .found(let prepared) where prepared.webhook.state != .active:
                releases.append(AttemptRecord(deliveryId: delivery.id, attempt: nil, disposition: .held))
                heldHooks.insert(delivery.webhookId)
            case .found(let prepared):
                ready.append(readyDelivery(delivery, hook: prepared, leaseUntil: leaseUntil, epoch: epoch))
                claimedOne(delivery.webhookId)
            }
        }

        release(releases, heldHooks: heldHooks, deletedHooks: deletedHooks, now: now)
        return ready
    }

    /// Builds the delivery's body for its hook and drops the event parts the body now holds.
    private func readyDelivery(_ delivery: ClaimedDelivery, hook: PreparedWebhook, leaseUntil: Date, epoch: UInt64)
        -> ReadyDelivery
    {
        let body = EventEnvelope.body(
            eventMembers: delivery.members, data: delivery.data, webhookName: hook.webhook.name,
            properties: hook.webhook.properties)
        var slim = delivery
        slim.members = []
        slim.data = nil
        return ReadyDelivery(claimed: slim, hook: hook, body: body, leaseUntil: leaseUntil, epoch: epoch)
    }

    /// Writes the releases of a claim round, then holds the deliveries of the stopped hooks and
    /// cancels those of the deleted ones.
    private func release(_ releases: [AttemptRecord], heldHooks: Set<Int64>, deletedHooks: Set<Int64>, now: Date) {
        // NOTE: a failed release leaves these deliveries claimed until their leases run out.
        if !releases.isEmpty { _ = try? store.record(releases, now: now) }
        for hookId in heldHooks { _ = try? store.holdDeliveries(webhookId: hookId) }
        // A save that set the hook Active after the claim round read it resumed its held deliveries
        // before they were put on hold here, so a hook that is Active now gets them back.
        for hookId in heldHooks where (try? registry.get(id: hookId))?.state == .active {
            _ = try? store.resumeDeliveries(webhookId: hookId, now: now)
        }
        for hookId in deletedHooks { _ = try? store.cancelDeliveries(webhookId: hookId) }
    }

    /// Reads the hook's current definition, once per claim round, so that a hook deleted or
    /// stopped before the round is never attempted. Its signing keys are reused while its
    /// secrets stay the same.
    func lookUpHook(_ id: Int64, now: Date) -> HookLookup {
        do {
            guard let webhook = try registry.get(id: id) else {
                keys[id] = nil
                withoutPreviousSecrets.remove(id)
                return .deleted
            }
            var previous: [String] = []
            if !withoutPreviousSecrets.contains(id) {
                previous = try store.previousSecrets(webhookId: id, now: now)
                if previous.isEmpty { withoutPreviousSecrets.insert(id) }
            }
            let secrets = [webhook.secret].compactMap { $0 } + previous
            if let cached = keys[id], cached.secrets == secrets {
                return .found(PreparedWebhook(webhook: webhook, keys: cached.keys, secretProblem: cached.secretProblem))
            }
            let prepared = PreparedWebhook(webhook: webhook, previousSecrets: previous)
            keys[id] = PreparedKeys(secrets: secrets, keys: prepared.keys, secretProblem: prepared.secretProblem)
            return .found(prepared)
        } catch {
            return .unavailable
        }
    }

    /// Returns the record of a finished attempt and, when `watched`, its outcome for watchers.
    func attemptRecord(_ finished: FinishedAttempt, now: Date, watched: Bool) -> (AttemptRecord, DeliveryOutcome?) {
        let claimed = finished.claimed
        let report = finished.report
        let attempt = DeliveryAttempt(
            deliveryId: claimed.id, number: claimed.attempts, startedAt: report.startedAt,
            durationMilliseconds: report.durationMilliseconds, status: report.status,
            errorKind: report.errorKind, error: report.error, responseHeaders: report.responseHeaders,
            responseBody: report.responseBody)
        let disposition = disposition(after: report.verdict, attempt: claimed.attempts, now: now)
        let record = AttemptRecord(deliveryId: claimed.id, attempt: attempt, disposition: disposition)
        guard watched else { return (record, nil) }
        return (record, DeliveryOutcome(delivery: delivery(claimed, disposition, report), attempt: attempt))
    }

    func disposition(after verdict: AttemptVerdict, attempt: Int32, now: Date) -> DeliveryDisposition {
        switch verdict {
        case .success:
            return .succeeded
        case .permanent:
            return .failed
        case .retryable(let retryAfter):
            guard
                let delay = settings.retrySchedule.delay(
                    afterAttempt: Int(attempt), retryAfter: retryAfter, random: random)
            else { return .failed }
            return .retry(at: now.addingTimeInterval(delay))
        }
    }

    private func delivery(_ claimed: ClaimedDelivery, _ disposition: DeliveryDisposition, _ report: AttemptReport)
        -> Delivery
    {
        var state = DeliveryState.pending
        var next: Date? = nil
        switch disposition {
        case .succeeded: state = .succeeded
        case .failed: state = .failed
        case .held: state = .held
        case .cancelled: state = .cancelled
        case .inFlight(let until):
            state = .inFlight
            next = until
        case .retry(let at):
            state = .pending
            next = at
        }
        return Delivery(
            id: claimed.id, messageId: claimed.messageId, webhookId: claimed.webhookId, eventId: claimed.eventId,
            event: claimed.event, state: state, attempts: claimed.attempts + 1, createdAt: claimed.createdAt,
            nextAttemptAt: next, lastStatus: report.status, lastError: report.error)
    }
}
