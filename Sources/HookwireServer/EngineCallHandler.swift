import Foundation
import Hookwire
import HookwireCore
import HookwireProtocol
import Synchronization

/// Runs the protocol's methods on a `HookwireEngine`: decodes each request message, calls the
/// engine or its registry as the caller, and returns the response message.
final class EngineCallHandler: CallHandler {
    let engine: HookwireEngine
    /// The engine's registry, held directly so that a cached get on the loop does not go
    /// through the engine, whose retains take the runtime's slow path in perf profiles.
    private let registry: WebhookRegistry

    /// The engine's `maximumPayloadBytes`, announced in WELCOME.
    var maximumEventPayloadBytes: Int { engine.configuration.maximumPayloadBytes }

    init(engine: HookwireEngine) {
        self.engine = engine
        registry = engine.registry
    }

    func handle(_ method: HookwireProtocol.Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult {
        do {
            return .message(try run(method, request: request, caller: caller))
        } catch let error as ProtobufError {
            return .failure(.invalidArgument, "malformed \(method) request: \(error)", .invalidArgument)
        } catch {
            return .failure(error)
        }
    }

    /// Serves a get whose hook is in the registry's memory cache. A miss or a malformed request
    /// returns nil, so the call goes to a worker, which reads SQLite or reports the error.
    ///
    /// The reply is the same for every caller, as on the worker: any authenticated caller may
    /// read any hook, and no get reply contains the secret. So the registry keeps one encoded
    /// reply per cached hook and drops it whenever the hook changes.
    func handleWithoutBlocking(_ method: HookwireProtocol.Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult? {
        guard method == .getWebhook, let message = try? Wire.GetWebhookRequest(decoding: request) else { return nil }
        let reply = registry.cachedEncoding(id: message.id, format: ObjectIdentifier(PublicWebhookEncoding.self)) {
            Wire.Webhook($0, includeSecret: false).encoded()
        }
        return reply.map(CallResult.success)
    }

    private func run(_ method: HookwireProtocol.Method, request: ArraySlice<UInt8>, caller: Caller) throws
        -> any ProtobufMessage
    {
        switch method {
        case .saveWebhook:
            let message = try Wire.SaveWebhookRequest(decoding: request)
            let webhook = try Webhook(wire: message.webhook)
            let saved = try registry.save(webhook, caller: caller)
            // The secret goes back only when the hook was created, so a generated one can be kept.
            return Wire.Webhook(saved, includeSecret: webhook.id == 0)
        case .getWebhook:
            let id = try Wire.GetWebhookRequest(decoding: request).id
            return Wire.Webhook(try existingWebhook(id), includeSecret: false)
        case .listWebhooks:
            let filter = WebhookFilter(wire: try Wire.ListWebhooksRequest(decoding: request))
            let webhooks = try registry.list(filter)
            let next = webhooks.count >= filter.limit ? webhooks.last?.id ?? 0 : 0
            return Wire.ListWebhooksResponse(webhooks: webhooks.map { Wire.Webhook($0, includeSecret: false) }, nextAfterId: next)
        case .deleteWebhook:
            try engine.deleteWebhook(id: try Wire.DeleteWebhookRequest(decoding: request).id, caller: caller)
            return Wire.Empty()
        case .lastError:
            let id = try Wire.LastErrorRequest(decoding: request).id
            _ = try existingWebhook(id)
            return Wire.LastErrorResponse(lastError: try registry.lastError(id: id))
        case .recordResult:
            let message = try Wire.RecordResultRequest(decoding: request)
            try requireOwnership(of: message.id, caller: caller)
            let change = try registry.recordResult(id: message.id, result: WebhookResult(wire: message.result))
            return Wire.RecordResultResponse(stateChange: change.map(Wire.WebhookStateChange.init))
        case .testWebhook:
            let id = try Wire.TestWebhookRequest(decoding: request).id
            return Wire.WebhookResult(try engine.test(webhookId: id, caller: caller))
        case .getUsage:
            let id = try Wire.GetUsageRequest(decoding: request).id
            _ = try existingWebhook(id)
            return Wire.WebhookUsage(try registry.usage(id: id))
        case .publish:
            let message = try Wire.PublishRequest(decoding: request)
            return Wire.PublishResult(try engine.publish(try EventPublication(wire: message.event), caller: caller))
        case .publishBatch:
            let message = try Wire.PublishBatchRequest(decoding: request)
            var events: [EventPublication] = []
            events.reserveCapacity(message.events.count)
            for event in message.events { events.append(try EventPublication(wire: event)) }
            let results = try engine.publish(batch: events, caller: caller)
            return Wire.PublishBatchResponse(results: results.map(Wire.PublishResult.init))
        case .listDeliveries:
            let filter = DeliveryFilter(wire: try Wire.ListDeliveriesRequest(decoding: request))
            let deliveries = try engine.deliveries(filter)
            // An empty page for a hook that never existed would read as "no deliveries yet". A
            // deleted hook keeps its deliveries, so only a hook with none at all is unknown.
            if deliveries.isEmpty, let webhookId = filter.webhookId, try registry.get(id: webhookId) == nil,
                try engine.deliveries(DeliveryFilter(webhookId: webhookId, limit: 1)).isEmpty
            {
                throw HookwireError.notFound("webhook \(webhookId) not found")
            }
            let next = deliveries.count >= filter.limit ? deliveries.last?.id ?? 0 : 0
            return Wire.ListDeliveriesResponse(deliveries: deliveries.map(Wire.Delivery.init), nextAfterId: next)
        case .listAttempts:
            let id = try Wire.ListAttemptsRequest(decoding: request).deliveryId
            guard try engine.delivery(id: id) != nil else { throw HookwireError.notFound("delivery \(id) not found") }
            return Wire.ListAttemptsResponse(attempts: try engine.attempts(deliveryId: id).map(Wire.DeliveryAttempt.init))
        case .redeliver:
            return try redeliver(try Wire.RedeliverRequest(decoding: request), caller: caller)
        case .rotateSecret:
            let message = try Wire.RotateSecretRequest(decoding: request)
            // An overlap of 0 on the wire means "not given": the engine's configured overlap.
            let overlap = message.overlapSeconds == 0 ? nil : Double(message.overlapSeconds)
            let secret = try engine.rotateSecret(webhookId: message.webhookId, overlap: overlap, caller: caller)
            let expires = Date().addingTimeInterval(overlap ?? engine.configuration.secretRotationOverlap)
            return Wire.RotateSecretResponse(
                secret: secret, previousExpiresUnixMilliseconds: Int64((expires.timeIntervalSince1970 * 1000).rounded()))
        case .stats:
            _ = try Wire.StatsRequest(decoding: request)
            return Wire.Stats(try engine.stats())
        case .watch:
            throw HookwireError.invalidArgument("Watch is a streaming method and cannot run as a unary call")
        }
    }

    private func redeliver(_ message: Wire.RedeliverRequest, caller: Caller) throws -> Wire.RedeliverResponse {
        if message.deliveryId != 0 {
            try engine.redeliver(deliveryId: message.deliveryId, caller: caller)
            return Wire.RedeliverResponse(redelivered: 1)
        }
        guard message.webhookId != 0 else {
            throw HookwireError.invalidArgument("a redeliver request needs delivery_id or webhook_id; both are 0")
        }
        let since = Date(timeIntervalSince1970: Double(message.sinceUnixMilliseconds) / 1000)
        let count = try engine.redeliverFailed(webhookId: message.webhookId, since: since, caller: caller)
        return Wire.RedeliverResponse(redelivered: UInt32(clamping: count))
    }

    private func existingWebhook(_ id: Int64) throws -> Webhook {
        guard let webhook = try engine.registry.get(id: id) else {
            throw HookwireError.notFound("webhook \(id) not found")
        }
        return webhook
    }

    /// Throws `permissionDenied` when the hook belongs to an application other than the caller's.
    private func requireOwnership(of id: Int64, caller: Caller) throws {
        let webhook = try existingWebhook(id)
        if !caller.isAdministrator, let owner = webhook.applicationToken, owner != caller.applicationToken {
            throw HookwireError(.permissionDenied, "webhook \(id) belongs to another application")
        }
    }

    func watch(
        request: ArraySlice<UInt8>, caller: Caller, emit: @escaping @Sendable (any ProtobufMessage) -> Void
    ) -> Result<any WatchSubscription, CallFailure> {
        let message: Wire.WatchRequest
        do {
            message = try Wire.WatchRequest(decoding: request)
        } catch {
            return .failure(CallFailure(status: .invalidArgument, message: "malformed Watch request: \(error)", code: .invalidArgument))
        }
        let webhookId = message.webhookId
        // Watching a hook that does not exist would wait forever for nothing.
        if let webhookId {
            do {
                guard try registry.get(id: webhookId) != nil else {
                    return .failure(
                        CallFailure(status: .notFound, message: "webhook \(webhookId) not found", code: .notFound))
                }
            } catch {
                return .failure(CallFailure(error))
            }
        }
        let subscription = EngineWatch(engine: engine)
        let token = engine.watch { [subscription] outcome in
            guard !subscription.isCancelled else { return }
            if let webhookId, outcome.delivery.webhookId != webhookId { return }
            emit(Wire.DeliveryOutcome(outcome))
        }
        subscription.attach(token)
        return .success(subscription)
    }
}

/// The format key of a hook's `Wire.Webhook` encoding without its secret, as get replies
/// carry it.
enum PublicWebhookEncoding {}

/// A watch stream on the engine. Thread safety: `state` is a `Mutex`.
final class EngineWatch: WatchSubscription {
    private let engine: HookwireEngine
    private let state = Mutex<(token: UInt64?, cancelled: Bool)>((nil, false))

    init(engine: HookwireEngine) { self.engine = engine }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func attach(_ token: UInt64) {
        let cancelledFirst = state.withLock { state in
            state.token = token
            return state.cancelled
        }
        if cancelledFirst { engine.unwatch(token) }
    }

    func cancel() {
        let token = state.withLock { state -> UInt64? in
            guard !state.cancelled else { return nil }
            state.cancelled = true
            return state.token
        }
        if let token { engine.unwatch(token) }
    }
}
