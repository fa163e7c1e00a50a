import Foundation
import HookwireCore

extension DeliveryDispatcher {
    func enqueue(_ ready: ReadyDelivery) {
        let hookId = ready.claimed.webhookId
        if queued[hookId] == nil { queuedHooks.append(hookId) }
        queued[hookId, default: []].append(ready)
        queuedCount += 1
    }

    /// Gives back the hook's deliveries that wait for a slot, so that they are claimed again
    /// with the hook's new definition.
    func releaseQueued(webhookId: Int64, into released: inout [ClaimedDelivery]) {
        guard let waiting = queued.removeValue(forKey: webhookId) else { return }
        released.append(contentsOf: waiting.map(\.claimed))
        queuedCount -= waiting.count
        queuedHooks.removeAll { $0 == webhookId }
    }

    func releaseAllQueued(into released: inout [ClaimedDelivery]) {
        for waiting in queued.values { released.append(contentsOf: waiting.map(\.claimed)) }
        queued.removeAll()
        queuedHooks.removeAll()
        queuedCount = 0
    }

    /// Returns the earliest lease end that still lets an attempt start at `now`. An attempt may take
    /// the whole request timeout and must end before its lease does, or a claim could take the
    /// delivery again while it runs. The margin leaves time to record the attempt.
    func earliestStartableLease(now: Date) -> Date {
        let timeout = settings.transport.requestTimeout
        let margin = min(1, (settings.leaseDuration - timeout) / 2)
        return now.addingTimeInterval(timeout + max(0, margin))
    }

    /// Gives back queued deliveries whose leases are too short to start, even while no slot
    /// frees to look at them, so that they never stay queued past their lease. Each queue starts
    /// with its oldest claims, and so with its shortest leases.
    func releaseExpiring(now: Date, into released: inout [ClaimedDelivery]) {
        let earliest = earliestStartableLease(now: now)
        for hookId in queuedHooks {
            guard let first = queued[hookId]?.first, first.leaseUntil < earliest,
                var waiting = queued.removeValue(forKey: hookId)
            else { continue }
            let expiring = waiting.prefix { $0.leaseUntil < earliest }.count
            released.append(contentsOf: waiting[..<expiring].map(\.claimed))
            waiting.removeFirst(expiring)
            queuedCount -= expiring
            queued[hookId] = waiting.isEmpty ? nil : waiting
        }
        queuedHooks.removeAll { queued[$0] == nil }
    }

    /// Extends the leases of attempts that have run for half a lease, so that a slow plugin,
    /// which no timeout bounds, is never claimed a second time while it runs. Returns their
    /// delivery ids for the bookkeeping thread to write.
    func renewExpiringLeases(now: Date) -> [Int64] {
        let renewBefore = now.addingTimeInterval(settings.leaseDuration / 2)
        let renewed = inFlight.compactMap { $0.value.leaseUntil < renewBefore ? $0.key : nil }
        for id in renewed { inFlight[id]?.leaseUntil = now.addingTimeInterval(settings.leaseDuration) }
        return renewed
    }

    /// Starts queued deliveries while slots are free, taking hooks in turn so that one hook's
    /// backlog does not take every global slot.
    func startQueued(now: Date, released: inout [ClaimedDelivery]) {
        guard queuedCount > 0, inFlight.count < settings.maximumInFlight else { return }
        let cap = settings.maximumInFlightPerWebhook
        let latestLeaseStart = earliestStartableLease(now: now)
        var emptied: Set<Int64> = []
        let order = queuedHooks
        // Rotating the order makes another hook go first next time.
        if order.count > 1 { queuedHooks.append(queuedHooks.removeFirst()) }
        for hookId in order {
            guard inFlight.count < settings.maximumInFlight else { break }
            var running = inFlightPerHook[hookId] ?? 0
            // Taken out of the dictionary, the queue is the array's only reference and is
            // trimmed in place instead of copied.
            guard running < cap, var waiting = queued.removeValue(forKey: hookId) else { continue }
            var taken = 0
            while taken < waiting.count, running < cap, inFlight.count < settings.maximumInFlight {
                let ready = waiting[taken]
                taken += 1
                if inFlight[ready.claimed.id] != nil {
                    // Claimed again while its attempt runs (a lease renewal came too late): the
                    // running attempt's record settles the delivery.
                    duplicates.append(ready.claimed)
                    continue
                }
                if ready.leaseUntil < latestLeaseStart || !isCurrent(ready.hook.webhook) {
                    released.append(ready.claimed)
                    continue
                }
                startAttempt(ready)
                running += 1
            }
            waiting.removeFirst(taken)
            queuedCount -= taken
            if waiting.isEmpty {
                emptied.insert(hookId)
            } else {
                queued[hookId] = waiting
            }
        }
        if !emptied.isEmpty { queuedHooks.removeAll { emptied.contains($0) } }
    }

    /// Returns whether the hook is still active and unchanged since its delivery was prepared.
    /// A hook deleted or saved through the registry alone sends no invalidation, so a queued
    /// delivery checks before it starts. The registry's cache returns the hook without
    /// blocking, and only a hook missing from it is read from the store.
    func isCurrent(_ prepared: Webhook) -> Bool {
        guard let current = registry.cachedWebhook(id: prepared.id) ?? (try? registry.get(id: prepared.id)) else {
            return false
        }
        return current.state == .active && current.updated == prepared.updated
            && current.targetURL == prepared.targetURL && current.secret == prepared.secret
    }

    /// Starts one attempt on the transport or a plugin worker.
    func startAttempt(_ ready: ReadyDelivery) {
        let delivery = ready.claimed
        let webhook = ready.hook.webhook
        inFlight[delivery.id] = InFlightAttempt(claimed: delivery, leaseUntil: ready.leaseUntil)
        inFlightPerHook[delivery.webhookId, default: 0] += 1

        let isHTTP = webhook.type.lowercased() == Webhook.httpType
        if isHTTP, broadcaster == nil, let problem = ready.hook.secretProblem {
            // A permanent failure: this delivery ends failed and stays redeliverable, and the
            // hook goes to TooManyErrors, which holds its other deliveries until it is Active again.
            let unsigned = WebhookResult(
                succeeded: false, permanentFailure: true,
                message: "\(problem); no request was sent. Save a new secret and set the webhook Active to resume")
            complete(PluginCompletion(
                token: delivery.id, result: unsigned, startedAt: Date(), durationMilliseconds: 0, failureKind: .signing))
            return
        }
        if isHTTP, broadcaster == nil {
            let request = DeliveryRequest.make(
                hook: ready.hook, body: ready.body, messageId: delivery.messageId, event: delivery.event,
                eventId: delivery.eventId, attempt: delivery.attempts,
                timestamp: Int64(Date().timeIntervalSince1970), isTest: false)
            transport.start(request, token: delivery.id)
            return
        }
        let pluginDelivery = PluginDelivery(
            webhook: webhook, body: ready.body, event: delivery.event, eventId: delivery.eventId,
            messageId: delivery.messageId, attempt: delivery.attempts, isTest: false)
        if let plugin = isHTTP ? broadcaster : plugins.plugin(forType: webhook.type), let pool = workerPool {
            pool.submit(PluginWorkerPool.Job(token: delivery.id, plugin: plugin, delivery: pluginDelivery))
            return
        }
        let missing = WebhookResult(
            succeeded: false,
            message: "no delivery plugin is registered for type \"\(webhook.type)\" of webhook \(webhook.id)")
        complete(PluginCompletion(token: delivery.id, result: missing, startedAt: Date(), durationMilliseconds: 0))
    }

    /// Ends an attempt that sent nothing, through the path of plugin results.
    private func complete(_ completion: PluginCompletion) {
        mailbox.inbox.withLock { $0.pluginCompletions.append(completion) }
        transport.wakeup()
    }
}
