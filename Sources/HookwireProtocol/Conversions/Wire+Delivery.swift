import HookwireCore

extension Wire.Event {
    public init(_ event: EventPublication) {
        self.init()
        self.event = event.event
        entity = event.entity
        primaryKey = event.primaryKey
        changes = event.changes
        fieldValuesJSON = jsonObjectText(event.fieldValues)
        changedByAssociateId = event.changedByAssociateId
        contextIdentifier = event.contextIdentifier
        dataJSON = event.data?.serializedString() ?? ""
    }
}

extension EventPublication {
    /// The event a wire message describes. An empty entity is derived from the event name and
    /// an empty context identifier means `Default`.
    ///
    /// - Throws: `HookwireError.invalidArgument` when `field_values_json` is not a JSON object
    ///   or `data_json` is not JSON.
    public init(wire: Wire.Event) throws(HookwireError) {
        self.init(
            event: wire.event, entity: wire.entity.isEmpty ? nil : wire.entity, primaryKey: wire.primaryKey,
            changes: wire.changes,
            fieldValues: try parseJSONObject(wire.fieldValuesJSON, field: "field_values_json of event \(wire.event)"),
            changedByAssociateId: wire.changedByAssociateId,
            contextIdentifier: wire.contextIdentifier.isEmpty ? "Default" : wire.contextIdentifier,
            data: wire.dataJSON.isEmpty ? nil : try parseJSON(wire.dataJSON, field: "data_json of event \(wire.event)"))
    }
}

extension Wire.PublishResult {
    public init(_ result: PublishResult) {
        self.init()
        eventId = result.eventId
        matched = UInt32(clamping: result.matchedWebhooks)
    }
}

extension PublishResult {
    public init(wire: Wire.PublishResult) {
        self.init(eventId: wire.eventId, matchedWebhooks: Int(wire.matched))
    }
}

extension Wire.Delivery {
    public init(_ delivery: Delivery) {
        self.init()
        id = delivery.id
        messageId = delivery.messageId
        webhookId = delivery.webhookId
        eventId = delivery.eventId
        event = delivery.event
        state = delivery.state
        attempts = delivery.attempts
        createdUnixMilliseconds = unixMilliseconds(delivery.createdAt)
        nextAttemptUnixMilliseconds = delivery.nextAttemptAt.map(unixMilliseconds)
        lastStatus = delivery.lastStatus
        lastError = delivery.lastError
    }
}

extension Delivery {
    public init(wire: Wire.Delivery) {
        self.init(
            id: wire.id, messageId: wire.messageId, webhookId: wire.webhookId, eventId: wire.eventId, event: wire.event,
            state: wire.state, attempts: wire.attempts, createdAt: date(unixMilliseconds: wire.createdUnixMilliseconds),
            nextAttemptAt: wire.nextAttemptUnixMilliseconds.map { date(unixMilliseconds: $0) },
            lastStatus: wire.lastStatus, lastError: wire.lastError)
    }
}

extension Wire.DeliveryAttempt {
    public init(_ attempt: DeliveryAttempt) {
        self.init()
        deliveryId = attempt.deliveryId
        number = attempt.number
        startedUnixMilliseconds = unixMilliseconds(attempt.startedAt)
        durationMilliseconds = attempt.durationMilliseconds
        status = attempt.status
        errorKind = attempt.errorKind == .none ? "" : attempt.errorKind.rawValue
        error = attempt.error
        responseHeaders = attempt.responseHeaders
        responseBody = attempt.responseBody
    }
}

extension DeliveryAttempt {
    /// The attempt a wire message describes; an empty error kind means `none`.
    ///
    /// - Throws: `HookwireError.invalidArgument` for an error kind this version does not know.
    public init(wire: Wire.DeliveryAttempt) throws(HookwireError) {
        guard let kind = wire.errorKind.isEmpty ? DeliveryErrorKind.none : DeliveryErrorKind(rawValue: wire.errorKind)
        else {
            throw .invalidArgument(
                "unknown error_kind \"\(wire.errorKind)\" in attempt \(wire.number) of delivery \(wire.deliveryId)")
        }
        self.init(
            deliveryId: wire.deliveryId, number: wire.number,
            startedAt: date(unixMilliseconds: wire.startedUnixMilliseconds),
            durationMilliseconds: wire.durationMilliseconds, status: wire.status, errorKind: kind, error: wire.error,
            responseHeaders: wire.responseHeaders, responseBody: wire.responseBody)
    }
}

extension Wire.DeliveryOutcome {
    public init(_ outcome: DeliveryOutcome) {
        self.init(delivery: Wire.Delivery(outcome.delivery), attempt: Wire.DeliveryAttempt(outcome.attempt))
    }
}

extension DeliveryOutcome {
    /// - Throws: `HookwireError.invalidArgument` as `DeliveryAttempt(wire:)` does.
    public init(wire: Wire.DeliveryOutcome) throws(HookwireError) {
        self.init(delivery: Delivery(wire: wire.delivery), attempt: try DeliveryAttempt(wire: wire.attempt))
    }
}

extension Wire.ListDeliveriesRequest {
    public init(_ filter: DeliveryFilter) {
        self.init()
        webhookId = filter.webhookId
        state = filter.state
        limit = UInt32(clamping: filter.limit)
        afterId = filter.afterId
    }
}

extension DeliveryFilter {
    /// The filter a ListDeliveries request describes; a limit of 0 becomes 1000.
    public init(wire: Wire.ListDeliveriesRequest) {
        self.init(
            webhookId: wire.webhookId, state: wire.state, limit: wire.limit == 0 ? 1000 : Int(wire.limit),
            afterId: wire.afterId)
    }
}

extension Wire.Stats {
    public init(_ stats: EngineStats) {
        self.init()
        webhooks = stats.webhooks
        activeWebhooks = stats.activeWebhooks
        eventsPublished = stats.eventsPublished
        deliveriesPending = stats.deliveriesPending
        deliveriesInFlight = stats.deliveriesInFlight
        deliveriesSucceeded = stats.deliveriesSucceeded
        deliveriesFailed = stats.deliveriesFailed
        deliveriesHeld = stats.deliveriesHeld
        attemptsMade = stats.attemptsMade
    }
}

extension EngineStats {
    public init(wire: Wire.Stats) {
        self.init()
        webhooks = wire.webhooks
        activeWebhooks = wire.activeWebhooks
        eventsPublished = wire.eventsPublished
        deliveriesPending = wire.deliveriesPending
        deliveriesInFlight = wire.deliveriesInFlight
        deliveriesSucceeded = wire.deliveriesSucceeded
        deliveriesFailed = wire.deliveriesFailed
        deliveriesHeld = wire.deliveriesHeld
        attemptsMade = wire.attemptsMade
    }
}

extension Wire.Status {
    /// The ERROR payload for an engine error.
    public init(_ error: HookwireError) {
        self.init(code: StatusCode(error.code), message: error.message, errorCode: error.code.rawValue)
    }
}

extension HookwireError {
    /// The engine error an ERROR payload describes: its `errorCode` when set, else the code
    /// closest to its status.
    public init(wire: Wire.Status) {
        let code = wire.errorCode != 0 ? HookwireError.Code(rawValue: wire.errorCode) : wire.code.hookwireCode
        self.init(code, wire.message)
    }
}
