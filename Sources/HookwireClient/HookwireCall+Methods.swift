import Foundation
import HookwireCore
import HookwireProtocol

// One factory per method of the protocol. Each converts the model types to their wire messages
// and back, so that async and blocking callers share the same code.

extension HookwireCall where Response == Webhook {
    /// Creates the hook when its id is 0, otherwise replaces the stored hook's fields. The reply
    /// carries the secret only when the hook was created.
    public static func save(_ webhook: Webhook) -> Self {
        HookwireCall(
            method: .saveWebhook, request: Wire.SaveWebhookRequest(webhook: Wire.Webhook(webhook)),
            response: Wire.Webhook.self, convert: { wire throws(HookwireError) in try Webhook(wire: wire) })
    }

    /// Reads one hook, without its secret. Fails with `notFound` for an unknown id.
    public static func get(id: Int64) -> Self {
        HookwireCall(
            method: .getWebhook, request: Wire.GetWebhookRequest(id: id), response: Wire.Webhook.self,
            convert: { wire throws(HookwireError) in try Webhook(wire: wire) })
    }
}

extension HookwireCall where Response == WebhookPage {
    /// Lists one page of hooks matching the filter, ordered by id.
    public static func list(_ filter: WebhookFilter) -> Self {
        HookwireCall(
            method: .listWebhooks, request: Wire.ListWebhooksRequest(filter), response: Wire.ListWebhooksResponse.self,
            convert: { wire throws(HookwireError) in
                var webhooks: [Webhook] = []
                webhooks.reserveCapacity(wire.webhooks.count)
                for webhook in wire.webhooks { webhooks.append(try Webhook(wire: webhook)) }
                return WebhookPage(webhooks: webhooks, nextAfterId: wire.nextAfterId == 0 ? nil : wire.nextAfterId)
            })
    }
}

extension HookwireCall where Response == Void {
    /// Deletes a hook. Fails with `notFound` for an unknown id.
    public static func delete(id: Int64) -> Self {
        HookwireCall(
            method: .deleteWebhook, request: Wire.DeleteWebhookRequest(id: id), response: Wire.Empty.self,
            convert: { _ throws(HookwireError) in })
    }
}

extension HookwireCall where Response == String? {
    /// Reads the text of a hook's latest failed call, nil when none failed.
    public static func lastError(id: Int64) -> Self {
        HookwireCall(
            method: .lastError, request: Wire.LastErrorRequest(id: id), response: Wire.LastErrorResponse.self,
            convert: { wire throws(HookwireError) in wire.lastError })
    }
}

extension HookwireCall where Response == WebhookUsage {
    /// Reads a hook's delivery counters.
    public static func usage(id: Int64) -> Self {
        HookwireCall(
            method: .getUsage, request: Wire.GetUsageRequest(id: id), response: Wire.WebhookUsage.self,
            convert: { wire throws(HookwireError) in WebhookUsage(wire: wire) })
    }
}

extension HookwireCall where Response == WebhookStateChange? {
    /// Records one call's result for a hook and returns the state change it caused, if any.
    public static func recordResult(id: Int64, result: WebhookResult) -> Self {
        HookwireCall(
            method: .recordResult,
            request: Wire.RecordResultRequest(id: id, result: Wire.WebhookResult(result)),
            response: Wire.RecordResultResponse.self,
            convert: { wire throws(HookwireError) in wire.stateChange.map { WebhookStateChange(wire: $0) } })
    }
}

extension HookwireCall where Response == WebhookResult {
    /// Sends the test event to a hook at once, without retries, and returns the outcome.
    public static func test(id: Int64) -> Self {
        HookwireCall(
            method: .testWebhook, request: Wire.TestWebhookRequest(id: id), response: Wire.WebhookResult.self,
            convert: { wire throws(HookwireError) in WebhookResult(wire: wire) })
    }
}

extension HookwireCall where Response == PublishResult {
    /// Publishes one event. The reply comes once the event and its deliveries are durable.
    public static func publish(_ event: EventPublication) -> Self {
        HookwireCall(
            method: .publish, request: Wire.PublishRequest(event: Wire.Event(event)), response: Wire.PublishResult.self,
            convert: { wire throws(HookwireError) in PublishResult(wire: wire) })
    }
}

extension HookwireCall where Response == [PublishResult] {
    /// Publishes many events in one call; the results are in request order.
    public static func publishBatch(_ events: [EventPublication]) -> Self {
        HookwireCall(
            method: .publishBatch, request: Wire.PublishBatchRequest(events: events.map { Wire.Event($0) }),
            response: Wire.PublishBatchResponse.self,
            convert: { wire throws(HookwireError) in wire.results.map(PublishResult.init(wire:)) })
    }
}

extension HookwireCall where Response == DeliveryPage {
    /// Lists one page of deliveries matching the filter, ordered by id.
    public static func deliveries(_ filter: DeliveryFilter) -> Self {
        HookwireCall(
            method: .listDeliveries, request: Wire.ListDeliveriesRequest(filter),
            response: Wire.ListDeliveriesResponse.self,
            convert: { wire throws(HookwireError) in
                DeliveryPage(
                    deliveries: wire.deliveries.map(Delivery.init(wire:)),
                    nextAfterId: wire.nextAfterId == 0 ? nil : wire.nextAfterId)
            })
    }
}

extension HookwireCall where Response == [DeliveryAttempt] {
    /// Lists the attempts of one delivery, first attempt first.
    public static func attempts(deliveryId: Int64) -> Self {
        HookwireCall(
            method: .listAttempts, request: Wire.ListAttemptsRequest(deliveryId: deliveryId),
            response: Wire.ListAttemptsResponse.self,
            convert: { wire throws(HookwireError) in
                var attempts: [DeliveryAttempt] = []
                attempts.reserveCapacity(wire.attempts.count)
                for attempt in wire.attempts { attempts.append(try DeliveryAttempt(wire: attempt)) }
                return attempts
            })
    }
}

extension HookwireCall where Response == Int {
    /// Queues one failed delivery again and returns how many were queued (0 or 1).
    public static func redeliver(deliveryId: Int64) -> Self {
        HookwireCall(
            method: .redeliver, request: Wire.RedeliverRequest(deliveryId: deliveryId),
            response: Wire.RedeliverResponse.self, convert: { wire throws(HookwireError) in Int(wire.redelivered) })
    }

    /// Queues again every failed delivery of a hook created at or after `since`, and returns
    /// how many were queued.
    public static func redeliver(webhookId: Int64, since: Date) -> Self {
        let milliseconds = Int64((since.timeIntervalSince1970 * 1000).rounded(.down))
        return HookwireCall(
            method: .redeliver, request: Wire.RedeliverRequest(webhookId: webhookId, sinceUnixMilliseconds: milliseconds),
            response: Wire.RedeliverResponse.self, convert: { wire throws(HookwireError) in Int(wire.redelivered) })
    }
}

extension HookwireCall where Response == SecretRotation {
    /// Gives a hook a new generated secret. The old one stays valid for `overlap` (whole
    /// seconds; nil for the server's default of 24 hours), with both signatures sent meanwhile.
    public static func rotateSecret(id: Int64, overlap: Duration? = nil) -> Self {
        let seconds = overlap.map { UInt32(clamping: max($0.components.seconds, 1)) } ?? 0
        return HookwireCall(
            method: .rotateSecret, request: Wire.RotateSecretRequest(webhookId: id, overlapSeconds: seconds),
            response: Wire.RotateSecretResponse.self,
            convert: { wire throws(HookwireError) in
                SecretRotation(
                    secret: wire.secret,
                    previousSecretExpires: wire.previousExpiresUnixMilliseconds == 0
                        ? nil : Date(timeIntervalSince1970: Double(wire.previousExpiresUnixMilliseconds) / 1000))
            })
    }
}

extension HookwireCall where Response == EngineStats {
    /// Reads the engine's counters.
    public static var stats: Self {
        HookwireCall(
            method: .stats, request: Wire.StatsRequest(), response: Wire.Stats.self,
            convert: { wire throws(HookwireError) in EngineStats(wire: wire) })
    }
}

extension HookwireStreamingCall where Item == DeliveryOutcome {
    /// Streams every delivery outcome from now on, of one hook or of all.
    public static func watch(webhookId: Int64? = nil) -> Self {
        HookwireStreamingCall(
            method: .watch, request: Wire.WatchRequest(webhookId: webhookId), item: Wire.DeliveryOutcome.self,
            convert: { wire throws(HookwireError) in try DeliveryOutcome(wire: wire) })
    }
}
