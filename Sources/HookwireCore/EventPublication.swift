/// An event to publish, with the fields of a CRM change notification.
public struct EventPublication: Sendable, Hashable {
    /// The event name, such as `contact.created`.
    public var event: String
    /// The entity that changed, such as `contact`. Defaults to the part of `event` before the
    /// first full stop.
    public var entity: String
    /// The id of the row that changed.
    public var primaryKey: Int64
    /// Names of the columns that changed.
    public var changes: [String]
    /// Values of the row's non-sensitive fields.
    public var fieldValues: [String: JSONValue]
    public var changedByAssociateId: Int64
    /// The tenant, such as `Cust1234`. `Default` for a single-tenant installation.
    public var contextIdentifier: String
    /// Free JSON data from the publisher, added to the delivery body under `Data`.
    public var data: JSONValue?

    public init(
        event: String, entity: String? = nil, primaryKey: Int64 = 0, changes: [String] = [],
        fieldValues: [String: JSONValue] = [:], changedByAssociateId: Int64 = 0,
        contextIdentifier: String = "Default", data: JSONValue? = nil
    ) {
        self.event = event
        self.entity = entity ?? String(event.split(separator: ".", maxSplits: 1).first ?? "")
        self.primaryKey = primaryKey
        self.changes = changes
        self.fieldValues = fieldValues
        self.changedByAssociateId = changedByAssociateId
        self.contextIdentifier = contextIdentifier
        self.data = data
    }
}

/// What a publish returns once the event and its deliveries are durable.
public struct PublishResult: Sendable, Hashable {
    /// The event's id, a UUID in lowercase text form.
    public var eventId: String
    /// How many active webhooks the event matched (one delivery each).
    public var matchedWebhooks: Int

    public init(eventId: String, matchedWebhooks: Int) {
        self.eventId = eventId
        self.matchedWebhooks = matchedWebhooks
    }
}
