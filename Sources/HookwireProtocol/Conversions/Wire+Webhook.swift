import HookwireCore

extension Wire.Webhook {
    /// The wire form of a hook. Pass `includeSecret: false` for replies that must not reveal it.
    public init(_ webhook: Webhook, includeSecret: Bool = true) {
        self.init()
        id = webhook.id
        name = webhook.name
        events = webhook.events
        targetURL = webhook.targetURL
        type = webhook.type
        secret = includeSecret ? webhook.secret : nil
        state = webhook.state
        headers = webhook.headers
        propertiesJSON = jsonObjectText(webhook.properties)
        applicationToken = webhook.applicationToken
        description = webhook.description
        registeredUnixMilliseconds = unixMilliseconds(webhook.registered)
        registeredAssociateId = webhook.registeredAssociateId
        updatedUnixMilliseconds = unixMilliseconds(webhook.updated)
        updatedAssociateId = webhook.updatedAssociateId
    }
}

extension Webhook {
    /// The hook a wire message describes. An empty type means `webhook`.
    ///
    /// - Throws: `HookwireError.invalidArgument` when `properties_json` is not a JSON object.
    public init(wire: Wire.Webhook) throws(HookwireError) {
        self.init(
            id: wire.id, name: wire.name, events: wire.events, targetURL: wire.targetURL,
            type: wire.type.isEmpty ? Webhook.httpType : wire.type, secret: wire.secret, state: wire.state,
            headers: wire.headers,
            properties: try parseJSONObject(wire.propertiesJSON, field: "properties_json of webhook \(wire.id)"),
            applicationToken: wire.applicationToken, description: wire.description,
            registered: date(unixMilliseconds: wire.registeredUnixMilliseconds),
            registeredAssociateId: wire.registeredAssociateId,
            updated: date(unixMilliseconds: wire.updatedUnixMilliseconds),
            updatedAssociateId: wire.updatedAssociateId)
    }
}

extension Wire.WebhookUsage {
    public init(_ usage: WebhookUsage) {
        self.init()
        totalCalls = usage.totalCalls
        totalErrors = usage.totalErrors
        consecutiveErrors = usage.consecutiveErrors
        lastError = usage.lastError
        lastErrorUnixMilliseconds = usage.lastErrorTime.map(unixMilliseconds)
    }
}

extension WebhookUsage {
    public init(wire: Wire.WebhookUsage) {
        self.init(
            totalCalls: wire.totalCalls, totalErrors: wire.totalErrors, consecutiveErrors: wire.consecutiveErrors,
            lastError: wire.lastError, lastErrorTime: wire.lastErrorUnixMilliseconds.map { date(unixMilliseconds: $0) })
    }
}

extension Wire.WebhookResult {
    public init(_ result: WebhookResult) {
        self.init()
        succeeded = result.succeeded
        permanentFailure = result.permanentFailure
        message = result.message
    }
}

extension WebhookResult {
    public init(wire: Wire.WebhookResult) {
        self.init(succeeded: wire.succeeded, permanentFailure: wire.permanentFailure, message: wire.message)
    }
}

extension Wire.WebhookStateChange {
    public init(_ change: WebhookStateChange) {
        self.init()
        webhookId = change.webhookId
        from = change.from
        to = change.to
        reason = change.reason
    }
}

extension WebhookStateChange {
    public init(wire: Wire.WebhookStateChange) {
        self.init(webhookId: wire.webhookId, from: wire.from, to: wire.to, reason: wire.reason)
    }
}

extension Wire.ListWebhooksRequest {
    public init(_ filter: WebhookFilter) {
        self.init()
        name = filter.name
        event = filter.event
        applicationToken = filter.applicationToken
        state = filter.state
        limit = UInt32(clamping: filter.limit)
        afterId = filter.afterId
    }
}

extension WebhookFilter {
    /// The filter a ListWebhooks request describes; a limit of 0 becomes the default limit.
    public init(wire: Wire.ListWebhooksRequest) {
        self.init(
            name: wire.name, event: wire.event, applicationToken: wire.applicationToken, state: wire.state,
            limit: wire.limit == 0 ? WebhookFilter.defaultLimit : Int(wire.limit), afterId: wire.afterId)
    }
}
