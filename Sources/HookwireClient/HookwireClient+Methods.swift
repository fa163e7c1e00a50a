import Foundation
import HookwireCore

// The async API: one method per protocol method, each running the `HookwireCall` of the same
// name. `timeout` is the time the call may take; nil means the configured `callTimeout`.
// Every method throws `HookwireError` with the server's status and message.

extension HookwireClient {
    /// Creates the hook when its id is 0, otherwise replaces the stored hook's fields. The
    /// returned hook carries the secret only when it was created.
    public func save(_ webhook: Webhook, timeout: Duration? = nil) async throws -> Webhook {
        try await perform(.save(webhook), timeout: timeout)
    }

    /// Returns one hook, without its secret.
    /// - Throws: `HookwireError` with code `notFound` for an unknown id.
    public func get(id: Int64, timeout: Duration? = nil) async throws -> Webhook {
        try await perform(.get(id: id), timeout: timeout)
    }

    /// Returns one page of hooks matching the filter, ordered by id. Pass the page's
    /// `nextAfterId` as the filter's `afterId` to get the next page.
    public func list(_ filter: WebhookFilter = WebhookFilter(), timeout: Duration? = nil) async throws -> WebhookPage {
        try await perform(.list(filter), timeout: timeout)
    }

    /// Returns every hook matching the filter, following pages until the last. `timeout`
    /// applies to each page.
    public func listAll(_ filter: WebhookFilter = WebhookFilter(), timeout: Duration? = nil) async throws -> [Webhook] {
        var filter = filter
        var webhooks: [Webhook] = []
        while true {
            let page = try await list(filter, timeout: timeout)
            webhooks += page.webhooks
            guard let next = page.nextAfterId, !page.webhooks.isEmpty else { return webhooks }
            filter.afterId = next
        }
    }

    /// Deletes a hook.
    /// - Throws: `HookwireError` with code `notFound` for an unknown id.
    public func delete(id: Int64, timeout: Duration? = nil) async throws {
        try await perform(.delete(id: id), timeout: timeout)
    }

    /// Returns the text of the hook's latest failed call, or nil when none failed.
    public func lastError(id: Int64, timeout: Duration? = nil) async throws -> String? {
        try await perform(.lastError(id: id), timeout: timeout)
    }

    /// Returns the hook's delivery counters.
    public func usage(id: Int64, timeout: Duration? = nil) async throws -> WebhookUsage {
        try await perform(.usage(id: id), timeout: timeout)
    }

    /// Records one call's result for a hook, as a plugin outside the server reports it, and
    /// returns the state change it caused, if any.
    @discardableResult
    public func recordResult(id: Int64, result: WebhookResult, timeout: Duration? = nil) async throws
        -> WebhookStateChange?
    {
        try await perform(.recordResult(id: id, result: result), timeout: timeout)
    }

    /// Sends the test event to the hook at once, without retries, and returns the outcome.
    public func test(id: Int64, timeout: Duration? = nil) async throws -> WebhookResult {
        try await perform(.test(id: id), timeout: timeout)
    }

    /// Publishes one event and returns once it and its deliveries are durable.
    public func publish(_ event: EventPublication, timeout: Duration? = nil) async throws -> PublishResult {
        try await perform(.publish(event), timeout: timeout)
    }

    /// Publishes many events in one call. The results are in the order of `events`.
    public func publishBatch(_ events: [EventPublication], timeout: Duration? = nil) async throws -> [PublishResult] {
        try await perform(.publishBatch(events), timeout: timeout)
    }

    /// Returns one page of deliveries matching the filter, ordered by id.
    public func deliveries(_ filter: DeliveryFilter = DeliveryFilter(), timeout: Duration? = nil) async throws
        -> DeliveryPage
    {
        try await perform(.deliveries(filter), timeout: timeout)
    }

    /// Returns every delivery matching the filter, following pages until the last. `timeout`
    /// applies to each page.
    public func listAllDeliveries(_ filter: DeliveryFilter = DeliveryFilter(), timeout: Duration? = nil) async throws
        -> [Delivery]
    {
        var filter = filter
        var deliveries: [Delivery] = []
        while true {
            let page = try await self.deliveries(filter, timeout: timeout)
            deliveries += page.deliveries
            guard let next = page.nextAfterId, !page.deliveries.isEmpty else { return deliveries }
            filter.afterId = next
        }
    }

    /// Returns the attempts of one delivery, first attempt first.
    public func attempts(deliveryId: Int64, timeout: Duration? = nil) async throws -> [DeliveryAttempt] {
        try await perform(.attempts(deliveryId: deliveryId), timeout: timeout)
    }

    /// Queues one failed delivery again. Returns how many deliveries were queued.
    @discardableResult
    public func redeliver(deliveryId: Int64, timeout: Duration? = nil) async throws -> Int {
        try await perform(.redeliver(deliveryId: deliveryId), timeout: timeout)
    }

    /// Queues again every failed delivery of a hook created at or after `since`. Returns how
    /// many deliveries were queued.
    @discardableResult
    public func redeliver(webhookId: Int64, since: Date, timeout: Duration? = nil) async throws -> Int {
        try await perform(.redeliver(webhookId: webhookId, since: since), timeout: timeout)
    }

    /// Gives the hook a new generated secret and returns it. The old secret stays valid for
    /// `overlap` (nil for the server's default of 24 hours), with both signatures sent meanwhile.
    public func rotateSecret(id: Int64, overlap: Duration? = nil, timeout: Duration? = nil) async throws
        -> SecretRotation
    {
        try await perform(.rotateSecret(id: id, overlap: overlap), timeout: timeout)
    }

    /// Returns the engine's counters.
    public func stats(timeout: Duration? = nil) async throws -> EngineStats {
        try await perform(.stats, timeout: timeout)
    }

    /// Streams every delivery outcome from now on, of one hook or of all, until the iteration
    /// ends (which cancels the call) or the connection is lost (which ends the stream with an
    /// error).
    public func watch(webhookId: Int64? = nil) -> AsyncThrowingStream<DeliveryOutcome, Error> {
        performStreaming(.watch(webhookId: webhookId))
    }
}
