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

    /// Starts queued deliveries while slots are free, taking hooks in turn so that one hook's
    /// backlog does not take every global slot.
    func startQueued(now: Date, released: inout [ClaimedDelivery]) {
        guard queuedCount > 0, inFlight.count < settings.maximumInFlight else { return }
        let cap = settings.maximumInFlightPerWebhook
        // An attempt may take the whole request timeout, and must end before its lease does, or
        // a claim could take the delivery again while it runs. The margin covers recording.
        let timeout = settings.transport.requestTimeout
        let margin = min(1, (settings.leaseDuration - timeout) / 2)
        let latestLeaseStart = now.addingTimeInterval(timeout + max(0, margin))
        var emptied: Set<Int64> = []
        let order = queuedHooks
        // Rotating the order makes another hook go first next time.
        if order.count > 1 { queuedHooks.append(queuedHooks.removeFirst()) }
        for hookId in order {
            guard inFlight.count < settings.maximumInFlight else { break }
            var running = inFlightPerHook[hookId] ?? 0
            guard running < cap, var waiting = queued[hookId] else { continue }
            var taken = 0
            while taken < waiting.count, running < cap, inFlight.count < settings.maximumInFlight {
                let ready = waiting[taken]
                taken += 1
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
                queued[hookId] = nil
                emptied.insert(hookId)
            } else {
                queued[hookId] = waiting
            }
        }
        if !emptied.isEmpty { queuedHooks.removeAll { emptied.contains($0) } }
    }

    /// Returns whether the hook is still active and unchanged since its delivery was prepared.
    /// A hook deleted or saved through the registry alone sends no invalidation, so a queued
    /// delivery checks before it starts. The registry's cache answers without blocking; only
    /// a hook missing from it is read from the store.
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
        inFlight[delivery.id] = delivery
        inFlightPerHook[delivery.webhookId, default: 0] += 1

        let isHTTP = webhook.type.lowercased() == Webhook.httpType
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
        mailbox.inbox.withLock {
            $0.pluginCompletions.append(
                PluginCompletion(token: delivery.id, result: missing, startedAt: Date(), durationMilliseconds: 0))
        }
        transport.wakeup()
    }
}
