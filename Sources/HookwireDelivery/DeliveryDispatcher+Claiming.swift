import Foundation
import HookwireCore

extension DeliveryDispatcher {
    enum HookLookup {
        case found(PreparedWebhook)
        case deleted
        /// The registry could not be read; the delivery is tried again shortly.
        case unavailable
    }

    /// Claims due deliveries up to the free slots and starts them. Deliveries of a stopped or
    /// disabled hook are held and those of a deleted hook cancelled, without an attempt.
    func claim(now: Date) {
        lastClaim = now
        let cap = settings.maximumInFlightPerWebhook
        var remaining: [Int64: Int] = [:]
        for (hookId, count) in inFlightPerHook { remaining[hookId] = max(0, cap - count) }
        let limit = settings.maximumInFlight - inFlight.count
        let claimed: [ClaimedDelivery]
        do {
            claimed = try store.claimDue(
                now: now, leaseUntil: now.addingTimeInterval(settings.leaseDuration),
                limit: limit, perWebhookRemaining: remaining,
                defaultPerWebhookLimit: cap)
        } catch {
            // NOTE: a storage error here is retried one second later; it is not reported anywhere.
            nextDue = now.addingTimeInterval(1)
            return
        }

        var releases: [AttemptRecord] = []
        var heldHooks: Set<Int64> = []
        var deletedHooks: Set<Int64> = []
        var hooks: [Int64: HookLookup] = [:]
        for delivery in claimed where inFlight[delivery.id] == nil {
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
                startAttempt(delivery, hook: prepared)
            }
        }
        if !releases.isEmpty { _ = try? store.record(releases, now: now) }
        for hookId in heldHooks { _ = try? store.holdDeliveries(webhookId: hookId) }
        for hookId in deletedHooks { _ = try? store.cancelDeliveries(webhookId: hookId) }
        // A claim that filled every free slot leaves more due work behind, so the next due time
        // is now and needs no query.
        if claimed.count >= limit {
            nextDue = now
        } else {
            nextDue = (try? store.nextDueTime()) ?? nil
        }
    }

    /// Reads the hook's current definition, once per claim round, so that a hook deleted or
    /// stopped before the round is never attempted. Its signing keys are reused while its
    /// secrets stay the same.
    func lookUpHook(_ id: Int64, now: Date) -> HookLookup {
        do {
            guard let webhook = try registry.get(id: id) else {
                cache[id] = nil
                return .deleted
            }
            let secrets = [webhook.secret].compactMap { $0 } + (try store.previousSecrets(webhookId: id, now: now))
            if let cached = cache[id], cached.secrets == secrets {
                return .found(PreparedWebhook(webhook: webhook, keys: cached.keys))
            }
            let prepared = PreparedWebhook(webhook: webhook, previousSecrets: Array(secrets.dropFirst(webhook.secret == nil ? 0 : 1)))
            cache[id] = CachedKeys(secrets: secrets, keys: prepared.keys)
            return .found(prepared)
        } catch {
            return .unavailable
        }
    }

    /// Builds the body once and starts the attempt on the transport or a plugin worker.
    func startAttempt(_ delivery: ClaimedDelivery, hook: PreparedWebhook) {
        let webhook = hook.webhook
        let body = EventEnvelope.body(
            eventMembers: delivery.members, data: delivery.data, webhookName: webhook.name,
            properties: webhook.properties)
        var slim = delivery
        slim.members = []
        slim.data = nil
        inFlight[delivery.id] = InFlight(claimed: slim, hook: webhook)
        inFlightPerHook[delivery.webhookId, default: 0] += 1

        let isHTTP = webhook.type.lowercased() == Webhook.httpType
        if isHTTP, broadcaster == nil {
            let request = DeliveryRequest.make(
                hook: hook, body: body, messageId: delivery.messageId, event: delivery.event,
                eventId: delivery.eventId, attempt: delivery.attempts,
                timestamp: Int64(Date().timeIntervalSince1970), isTest: false)
            transport.start(request, token: delivery.id)
            return
        }
        let pluginDelivery = PluginDelivery(
            webhook: webhook, body: body, event: delivery.event, eventId: delivery.eventId,
            messageId: delivery.messageId, attempt: delivery.attempts, isTest: false)
        if let plugin = isHTTP ? broadcaster : plugins.plugin(forType: webhook.type), let pool = workerPool {
            pool.submit(PluginWorkerPool.Job(token: delivery.id, plugin: plugin, delivery: pluginDelivery))
            return
        }
        let missing = WebhookResult(
            succeeded: false,
            message: "no delivery plugin is registered for type \"\(webhook.type)\" of webhook \(webhook.id)")
        inbox.withLock {
            $0.pluginCompletions.append(
                PluginCompletion(token: delivery.id, result: missing, startedAt: Date(), durationMilliseconds: 0))
        }
    }
}
