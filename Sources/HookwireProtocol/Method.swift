/// The methods a client can call: the code field of a REQUEST frame.
///
/// The numbers never change. Each method's request and response messages are named in
/// `proto/hookwire.proto` next to the same number.
public enum Method: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `SaveWebhookRequest` → `Webhook`: creates a hook (id 0) or updates one.
    case saveWebhook = 1
    /// `GetWebhookRequest` → `Webhook`.
    case getWebhook = 2
    /// `ListWebhooksRequest` → `ListWebhooksResponse`.
    case listWebhooks = 3
    /// `DeleteWebhookRequest` → `Empty`.
    case deleteWebhook = 4
    /// `LastErrorRequest` → `LastErrorResponse`.
    case lastError = 5
    /// `RecordResultRequest` → `RecordResultResponse`.
    case recordResult = 6
    /// `TestWebhookRequest` → `WebhookResult`: sends the test event at once, without retries.
    case testWebhook = 7
    /// `GetUsageRequest` → `WebhookUsage`.
    case getUsage = 8
    /// `PublishRequest` → `PublishResult`.
    case publish = 16
    /// `PublishBatchRequest` → `PublishBatchResponse`.
    case publishBatch = 17
    /// `ListDeliveriesRequest` → `ListDeliveriesResponse`.
    case listDeliveries = 32
    /// `ListAttemptsRequest` → `ListAttemptsResponse`.
    case listAttempts = 33
    /// `RedeliverRequest` → `RedeliverResponse`.
    case redeliver = 34
    /// `RotateSecretRequest` → `RotateSecretResponse`.
    case rotateSecret = 48
    /// `StatsRequest` → `Stats`.
    case stats = 64
    /// `WatchRequest` → a stream of `DeliveryOutcome` items, until cancelled.
    case watch = 80

    /// True for methods that answer with STREAM_ITEM frames before the final frame.
    public var isServerStreaming: Bool { self == .watch }

    /// The method's name in `proto/hookwire.proto`, such as `GetWebhook`.
    public var description: String {
        switch self {
        case .saveWebhook: "SaveWebhook"
        case .getWebhook: "GetWebhook"
        case .listWebhooks: "ListWebhooks"
        case .deleteWebhook: "DeleteWebhook"
        case .lastError: "LastError"
        case .recordResult: "RecordResult"
        case .testWebhook: "TestWebhook"
        case .getUsage: "GetUsage"
        case .publish: "Publish"
        case .publishBatch: "PublishBatch"
        case .listDeliveries: "ListDeliveries"
        case .listAttempts: "ListAttempts"
        case .redeliver: "Redeliver"
        case .rotateSecret: "RotateSecret"
        case .stats: "Stats"
        case .watch: "Watch"
        }
    }
}
