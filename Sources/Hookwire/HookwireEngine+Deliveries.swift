import Foundation
import HookwireCore
import HookwireDelivery
import HookwireSigning

extension HookwireEngine {
    /// Sends the test (PING) event to the hook at once, without retries, and returns the
    /// outcome. The hook's counters and state do not change.
    ///
    /// - Returns: Success for a 2xx response, and the message contains the status line, the response
    ///   headers and the first 4 KiB of the body, or the transport error.
    /// - Throws: `notFound` for an unknown hook, `permissionDenied` for another application's hook.
    public func test(webhookId: Int64, caller: Caller = .administrator) throws -> WebhookResult {
        let webhook = try ownedWebhook(webhookId, caller: caller)
        return test(webhook)
    }

    /// Sends the test (PING) event to a hook definition that need not be saved.
    public func test(_ webhook: Webhook) -> WebhookResult {
        let previous = webhook.id == 0 ? [] : ((try? store.previousSecrets(webhookId: webhook.id, now: Date())) ?? [])
        let prepared = PreparedWebhook(webhook: webhook, previousSecrets: previous)
        if webhook.type.lowercased() == Webhook.httpType {
            return PingSender.send(to: prepared, settings: settings.transport, plugin: broadcaster)
        }
        guard let plugin = plugins.plugin(forType: webhook.type) else {
            return WebhookResult(
                succeeded: false, message: "no delivery plugin is registered for type \"\(webhook.type)\"")
        }
        return PingSender.send(to: prepared, settings: settings.transport, plugin: plugin)
    }

    /// Returns deliveries matching the filter, ordered by id.
    public func deliveries(_ filter: DeliveryFilter) throws -> [Delivery] {
        try store.deliveries(filter)
    }

    /// Returns one delivery, or nil when none has this id.
    public func delivery(id: Int64) throws -> Delivery? {
        try store.delivery(id: id)
    }

    /// Returns a delivery's attempts, oldest first.
    public func attempts(deliveryId: Int64) throws -> [DeliveryAttempt] {
        try store.attempts(deliveryId: deliveryId)
    }

    /// Makes a finished or held delivery pending again, due now. Its `webhook-id` stays the
    /// same, and its attempt count continues, so a delivery that had used up the retry
    /// schedule gets one attempt and fails again without retries if that attempt fails.
    ///
    /// - Throws: `notFound` for an unknown delivery, `failedPrecondition` for a cancelled one,
    ///   `permissionDenied` for a delivery to another application's hook.
    public func redeliver(deliveryId: Int64, caller: Caller = .administrator) throws {
        guard let delivery = try store.delivery(id: deliveryId) else {
            throw HookwireError.notFound("delivery \(deliveryId) not found")
        }
        let webhook = try ownedWebhook(delivery.webhookId, caller: caller)
        // A stopped or disabled hook would only hold the delivery again, so the error explains how
        // to resume it instead.
        guard webhook.state == .active else {
            throw HookwireError(
                .failedPrecondition,
                "delivery \(deliveryId) cannot be redelivered while webhook \(webhook.id) is \(webhook.state.name); "
                    + "set the webhook Active and its held deliveries resume")
        }
        try store.redeliver(deliveryId: deliveryId, now: Date())
        dispatcher.notifyNewWork()
    }

    /// Makes every failed delivery of the hook created at or after `since` pending again.
    ///
    /// - Returns: How many deliveries were made pending.
    public func redeliverFailed(webhookId: Int64, since: Date, caller: Caller = .administrator) throws -> Int {
        _ = try ownedWebhook(webhookId, caller: caller)
        let count = try store.redeliverFailed(webhookId: webhookId, since: since, now: Date())
        if count > 0 { dispatcher.notifyNewWork() }
        return count
    }

    /// Replaces the hook's secret with a new `whsec_` secret and returns it. Deliveries are
    /// signed with both secrets (space-separated signatures) for `overlap` seconds, or
    /// `secretRotationOverlap` when it is nil, so receivers can switch without losing a delivery.
    public func rotateSecret(
        webhookId: Int64, overlap: Double? = nil, caller: Caller = .administrator
    ) throws -> String {
        let secret: String
        do {
            secret = try SigningSecret.generate()
        } catch {
            throw HookwireError(.internalError, "generating a secret failed: \(error.message)")
        }
        return try rotateSecret(webhookId: webhookId, to: secret, overlap: overlap, caller: caller)
    }

    /// Replaces the hook's secret with `newSecret`, keeping the old one valid for `overlap`
    /// seconds, or `secretRotationOverlap` when it is nil. Returns `newSecret`.
    public func rotateSecret(
        webhookId: Int64, to newSecret: String, overlap: Double? = nil, caller: Caller = .administrator
    ) throws -> String {
        if let overlap, !(overlap.isFinite && overlap >= 0) {
            throw HookwireError.invalidArgument("invalid secret overlap \(overlap): expected a number of seconds, 0 or more")
        }
        var webhook = try ownedWebhook(webhookId, caller: caller)
        let old = webhook.secret
        webhook.secret = newSecret
        _ = try registry.save(webhook, caller: caller)
        if let old, !old.isEmpty, old != newSecret {
            try store.addPreviousSecret(
                webhookId: webhookId, secret: old,
                validUntil: Date().addingTimeInterval(overlap ?? settings.secretRotationOverlap))
        }
        dispatcher.invalidate(webhookId: webhookId)
        return newSecret
    }

    /// Deletes the hook and cancels its unfinished deliveries at once. A hook deleted through
    /// `registry.delete` has its deliveries cancelled when each falls due instead.
    public func deleteWebhook(id: Int64, caller: Caller = .administrator) throws {
        try registry.delete(id: id, caller: caller)
        _ = try store.cancelDeliveries(webhookId: id)
        dispatcher.invalidate(webhookId: id)
    }

    /// Deletes finished deliveries older than the retention period now, instead of waiting for
    /// the next pass. Returns how many were deleted.
    public func prune() throws -> Int {
        try store.prune(finishedBefore: Date().addingTimeInterval(-settings.retention))
    }

    /// Returns the hook when the caller may act on it.
    func ownedWebhook(_ id: Int64, caller: Caller) throws -> Webhook {
        guard let webhook = try registry.get(id: id) else {
            throw HookwireError.notFound("webhook \(id) not found")
        }
        if !caller.isAdministrator, let owner = webhook.applicationToken,
            !Self.tokensEqual(owner, caller.applicationToken ?? "")
        {
            throw HookwireError(.permissionDenied, "webhook \(id) belongs to another application")
        }
        return webhook
    }

    /// Compares application tokens in time that depends only on their lengths.
    static func tokensEqual(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
