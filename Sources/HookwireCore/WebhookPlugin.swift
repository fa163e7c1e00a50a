/// One delivery handed to a plugin.
public struct PluginDelivery: Sendable {
    public var webhook: Webhook
    /// The JSON body, exactly as an HTTP delivery would send it.
    public var body: [UInt8]
    public var event: String
    public var eventId: String
    /// The `webhook-id` value, the same on every attempt.
    public var messageId: String
    /// 0 for the first attempt.
    public var attempt: Int32
    /// True for a test (PING) call.
    public var isTest: Bool

    public init(
        webhook: Webhook, body: [UInt8], event: String, eventId: String, messageId: String,
        attempt: Int32, isTest: Bool
    ) {
        self.webhook = webhook
        self.body = body
        self.event = event
        self.eventId = eventId
        self.messageId = messageId
        self.attempt = attempt
        self.isTest = isTest
    }
}

/// A delivery type beyond HTTP, selected by a webhook's `type` (matched case-insensitively).
///
/// `deliver` runs on one of the engine's plugin worker threads and may be called concurrently
/// for different deliveries; it must be thread-safe and should return within the configured
/// request timeout.
public protocol WebhookPlugin: Sendable {
    /// The type name hooks use to select this plugin, such as `crmscript`.
    var typeName: String { get }
    /// Delivers one payload and reports the outcome.
    func deliver(_ delivery: PluginDelivery) -> WebhookResult
}
