import Foundation

/// A webhook: where to deliver which events, how, and with which secret.
public struct Webhook: Sendable, Hashable {
    /// The type name of the built-in HTTP POST delivery plugin.
    public static let httpType = "webhook"

    /// Headers that Hookwire sets on every request itself or that control the connection, in
    /// lowercase. A hook may not set them: the signatures, the body's framing, the target's
    /// host and the connection's handling must not be replaced. Every `webhook-` and
    /// `x-hookwire-` header is reserved too (`isReservedHeader(_:)`).
    public static let reservedHeaderNames: Set<String> = [
        "content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature",
        "x-hookwire-signature", "x-hookwire-event", "x-hookwire-event-id", "x-hookwire-retry", "x-hook-test",
        "content-length", "host", "expect", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
        "te", "trailer", "upgrade",
    ]

    /// Returns whether a hook may not set the header `name`, in any letter case: one of
    /// `reservedHeaderNames`, or a name in the `webhook-` or `x-hookwire-` families.
    public static func isReservedHeader(_ name: String) -> Bool {
        let lowercased = name.lowercased()
        return reservedHeaderNames.contains(lowercased) || lowercased.hasPrefix("webhook-")
            || lowercased.hasPrefix("x-hookwire-")
    }

    /// The primary key. 0 means "not stored yet": saving such a hook creates it.
    public var id: Int64
    /// A label for people. It need not be unique.
    public var name: String
    /// Event names the hook listens to. `*` matches every event and `contact.*` every event of
    /// the `contact` entity.
    public var events: [String]
    /// Where deliveries go. For the `webhook` type it is an absolute http or https URL; other
    /// plugin types define their own meaning.
    public var targetURL: String
    /// The name of the delivery plugin, matched case-insensitively.
    public var type: String
    /// The signing secret. A hook saved without one gets a generated `whsec_` secret.
    public var secret: String?
    public var state: WebhookState
    /// Extra HTTP headers sent with every delivery.
    public var headers: [String: String]
    /// Extra keys added to every delivery's JSON body.
    public var properties: [String: JSONValue]
    /// The application that owns the hook. Only callers presenting the same token may change
    /// or delete it.
    public var applicationToken: String?
    public var description: String
    /// Creation time, UTC.
    public var registered: Date
    public var registeredAssociateId: Int64
    /// Time of the last change, UTC.
    public var updated: Date
    public var updatedAssociateId: Int64

    public init(
        id: Int64 = 0,
        name: String,
        events: [String],
        targetURL: String,
        type: String = Webhook.httpType,
        secret: String? = nil,
        state: WebhookState = .active,
        headers: [String: String] = [:],
        properties: [String: JSONValue] = [:],
        applicationToken: String? = nil,
        description: String = "",
        registered: Date = Date(timeIntervalSince1970: 0),
        registeredAssociateId: Int64 = 0,
        updated: Date = Date(timeIntervalSince1970: 0),
        updatedAssociateId: Int64 = 0
    ) {
        self.id = id
        self.name = name
        self.events = events
        self.targetURL = targetURL
        self.type = type
        self.secret = secret
        self.state = state
        self.headers = headers
        self.properties = properties
        self.applicationToken = applicationToken
        self.description = description
        self.registered = registered
        self.registeredAssociateId = registeredAssociateId
        self.updated = updated
        self.updatedAssociateId = updatedAssociateId
    }
}

/// Delivery counters of one webhook.
public struct WebhookUsage: Sendable, Hashable {
    public var totalCalls: Int64
    public var totalErrors: Int64
    public var consecutiveErrors: Int64
    /// Text of the latest failed call, or nil when no call has failed.
    public var lastError: String?
    public var lastErrorTime: Date?

    public init(
        totalCalls: Int64 = 0, totalErrors: Int64 = 0, consecutiveErrors: Int64 = 0,
        lastError: String? = nil, lastErrorTime: Date? = nil
    ) {
        self.totalCalls = totalCalls
        self.totalErrors = totalErrors
        self.consecutiveErrors = consecutiveErrors
        self.lastError = lastError
        self.lastErrorTime = lastErrorTime
    }
}

/// The outcome of one delivery attempt, as a plugin reports it.
public struct WebhookResult: Sendable, Hashable {
    public var succeeded: Bool
    /// True when retrying cannot help (HTTP 410 Gone, for example). The hook is disabled at once.
    public var permanentFailure: Bool
    /// An error text, or a summary of the response on success.
    public var message: String

    public init(succeeded: Bool, permanentFailure: Bool = false, message: String = "") {
        self.succeeded = succeeded
        self.permanentFailure = permanentFailure
        self.message = message
    }

    public static let success = WebhookResult(succeeded: true)
}
