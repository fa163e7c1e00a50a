import Foundation

/// The state of one delivery (one event to one webhook).
public enum DeliveryState: Int32, Sendable, Hashable, CaseIterable {
    /// Waiting for its next attempt.
    case pending = 0
    /// Claimed with a lease: being attempted now, or queued for a free request slot of its
    /// hook. The delivery thread claims up to 16 times its in-flight caps ahead.
    case inFlight = 1
    /// Delivered: the target responded with a 2xx status.
    case succeeded = 2
    /// The retry schedule ran out, or the failure was permanent. It can be redelivered.
    case failed = 3
    /// The hook is stopped or disabled; the delivery waits until the hook is active again.
    case held = 4
    /// The hook was deleted; the delivery is never attempted.
    case cancelled = 5

    public var name: String {
        switch self {
        case .pending: "pending"
        case .inFlight: "in-flight"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .held: "held"
        case .cancelled: "cancelled"
        }
    }

    public init?(name: String) {
        guard let state = DeliveryState.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = state
    }
}

/// One event queued for one webhook.
public struct Delivery: Sendable, Hashable {
    public var id: Int64
    /// The `webhook-id` header value: the same on every attempt of this delivery.
    public var messageId: String
    public var webhookId: Int64
    public var eventId: String
    public var event: String
    public var state: DeliveryState
    /// Attempts made so far.
    public var attempts: Int32
    public var createdAt: Date
    /// When the next attempt is due, for pending deliveries.
    public var nextAttemptAt: Date?
    public var lastStatus: Int32
    public var lastError: String?

    public init(
        id: Int64, messageId: String, webhookId: Int64, eventId: String, event: String,
        state: DeliveryState, attempts: Int32, createdAt: Date, nextAttemptAt: Date?,
        lastStatus: Int32 = 0, lastError: String? = nil
    ) {
        self.id = id
        self.messageId = messageId
        self.webhookId = webhookId
        self.eventId = eventId
        self.event = event
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
    }
}

/// Why an attempt failed, when it did not get an HTTP response it could judge.
public enum DeliveryErrorKind: String, Sendable, Hashable, CaseIterable {
    case none
    case httpStatus = "http_status"
    case timeout
    case connectionRefused = "connection_refused"
    case dns
    case tls
    case redirect
    case blockedAddress = "blocked_address"
    case network
    case plugin
    /// The hook's secret cannot sign, so no request was sent.
    case signing
}

/// One recorded attempt of a delivery.
public struct DeliveryAttempt: Sendable, Hashable {
    public var deliveryId: Int64
    /// 0 for the first attempt.
    public var number: Int32
    public var startedAt: Date
    public var durationMilliseconds: Int64
    /// The HTTP status, or 0 when no response arrived.
    public var status: Int32
    public var errorKind: DeliveryErrorKind
    public var error: String?
    public var responseHeaders: String
    /// The first 4 KiB of the response body.
    public var responseBody: String

    public init(
        deliveryId: Int64, number: Int32, startedAt: Date, durationMilliseconds: Int64,
        status: Int32, errorKind: DeliveryErrorKind, error: String?, responseHeaders: String,
        responseBody: String
    ) {
        self.deliveryId = deliveryId
        self.number = number
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.status = status
        self.errorKind = errorKind
        self.error = error
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
    }
}

/// Filters and paging for listing deliveries.
public struct DeliveryFilter: Sendable, Hashable {
    public var webhookId: Int64?
    public var state: DeliveryState?
    public var limit: Int
    public var afterId: Int64

    public init(webhookId: Int64? = nil, state: DeliveryState? = nil, limit: Int = 1000, afterId: Int64 = 0) {
        self.webhookId = webhookId
        self.state = state
        self.limit = limit
        self.afterId = afterId
    }
}

/// A delivery attempt's outcome, as streamed to watchers.
public struct DeliveryOutcome: Sendable, Hashable {
    public var delivery: Delivery
    public var attempt: DeliveryAttempt

    public init(delivery: Delivery, attempt: DeliveryAttempt) {
        self.delivery = delivery
        self.attempt = attempt
    }
}

/// Counters of the whole engine.
public struct EngineStats: Sendable, Hashable {
    public var webhooks: Int64 = 0
    public var activeWebhooks: Int64 = 0
    public var eventsPublished: Int64 = 0
    public var deliveriesPending: Int64 = 0
    /// Deliveries in state `inFlight`: being attempted, or claimed and queued for a slot.
    public var deliveriesInFlight: Int64 = 0
    public var deliveriesSucceeded: Int64 = 0
    public var deliveriesFailed: Int64 = 0
    public var deliveriesHeld: Int64 = 0
    public var attemptsMade: Int64 = 0

    public init() {}
}
