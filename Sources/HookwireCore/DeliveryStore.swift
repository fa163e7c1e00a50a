import Foundation

/// An event ready to be stored: its id, its name and its serialised envelope part.
public struct EventRecord: Sendable {
    /// The event id, a lowercase UUID.
    public var eventId: String
    public var event: String
    public var createdAt: Date
    /// The envelope's event members, from `EventEnvelope.eventMembers`.
    public var members: [UInt8]
    /// The publisher's data, serialised, or nil.
    public var data: [UInt8]?

    public init(eventId: String, event: String, createdAt: Date, members: [UInt8], data: [UInt8]?) {
        self.eventId = eventId
        self.event = event
        self.createdAt = createdAt
        self.members = members
        self.data = data
    }
}

/// A delivery claimed for an attempt, with what the attempt needs from its event.
public struct ClaimedDelivery: Sendable {
    public var id: Int64
    public var messageId: String
    public var webhookId: Int64
    public var eventId: String
    public var event: String
    /// Attempts made before this one, so also this attempt's number.
    public var attempts: Int32
    public var createdAt: Date
    public var members: [UInt8]
    public var data: [UInt8]?

    public init(
        id: Int64, messageId: String, webhookId: Int64, eventId: String, event: String, attempts: Int32,
        createdAt: Date, members: [UInt8], data: [UInt8]?
    ) {
        self.id = id
        self.messageId = messageId
        self.webhookId = webhookId
        self.eventId = eventId
        self.event = event
        self.attempts = attempts
        self.createdAt = createdAt
        self.members = members
        self.data = data
    }
}

/// The limits of one claim: what `claimDue` takes as arguments.
public struct ClaimRequest: Sendable {
    public var now: Date
    /// The lease's end: the claimed deliveries become due again then, if still in flight.
    public var leaseUntil: Date
    public var limit: Int
    /// The deliveries still allowed per hook, for hooks that have some claimed already.
    public var perWebhookRemaining: [Int64: Int]
    /// The deliveries allowed for a hook not in `perWebhookRemaining`.
    public var defaultPerWebhookLimit: Int
    /// Hooks whose own due deliveries are claimed first, oldest created first, each within its
    /// limit.
    /// Reading one hook's deliveries costs an index seek, so a hook with a long backlog is
    /// topped up cheaply after its attempts finish.
    public var webhooksFirst: [Int64]
    /// Whether to claim, after `webhooksFirst`, the oldest due deliveries of any hook. Such a
    /// scan may step over many deliveries of hooks at their limit, so callers skip it when
    /// only finished attempts, and no new or newly due deliveries, are the reason to claim.
    public var scansAllWebhooks: Bool

    public init(
        now: Date, leaseUntil: Date, limit: Int, perWebhookRemaining: [Int64: Int], defaultPerWebhookLimit: Int,
        webhooksFirst: [Int64] = [], scansAllWebhooks: Bool = true
    ) {
        self.now = now
        self.leaseUntil = leaseUntil
        self.limit = limit
        self.perWebhookRemaining = perWebhookRemaining
        self.defaultPerWebhookLimit = defaultPerWebhookLimit
        self.webhooksFirst = webhooksFirst
        self.scansAllWebhooks = scansAllWebhooks
    }
}

/// Attempt results for `recordAndClaim` to apply to the hooks' counters and states by
/// `WebhookStateRule`, as `WebhookRegistry.recordResult` does one by one.
public struct WebhookResults: Sendable {
    /// The results in the order the attempts finished, by hook id.
    public var results: [(webhookId: Int64, result: WebhookResult)]
    /// The consecutive errors that disable an active hook.
    public var consecutiveErrorLimit: Int64
    /// The time recorded as a failure's last error time.
    public var time: Date

    public init(results: [(webhookId: Int64, result: WebhookResult)], consecutiveErrorLimit: Int64, time: Date) {
        self.results = results
        self.consecutiveErrorLimit = consecutiveErrorLimit
        self.time = time
    }
}

/// The deliveries of one claim and the next due time of those left behind.
public struct ClaimBatch: Sendable {
    public var deliveries: [ClaimedDelivery]
    /// The earliest time a pending delivery or an in-flight lease falls due after the claim,
    /// or nil when none does.
    public var nextDue: Date?
    /// Whether the results passed to `recordAndClaim` were applied. When false, the caller
    /// applies them through the registry.
    public var resultsApplied: Bool
    /// The hook state changes the results caused, for the registry's observer.
    public var stateChanges: [WebhookStateChange]

    public init(
        deliveries: [ClaimedDelivery], nextDue: Date?, resultsApplied: Bool = false,
        stateChanges: [WebhookStateChange] = []
    ) {
        self.deliveries = deliveries
        self.nextDue = nextDue
        self.resultsApplied = resultsApplied
        self.stateChanges = stateChanges
    }
}

/// What to do with a delivery after an attempt.
public enum DeliveryDisposition: Sendable, Hashable {
    case succeeded
    /// Attempt again at this time.
    case retry(at: Date)
    /// The schedule ran out or the failure was permanent.
    case failed
    /// The hook is not active: keep the delivery until it is.
    case held
    /// The hook no longer exists.
    case cancelled
    /// The attempt is still running: the claim's lease now lasts until this time. Only a
    /// delivery still in flight changes.
    case inFlight(until: Date)
}

/// One finished attempt to record, or a delivery released without an attempt (`attempt` nil,
/// used to hold or cancel a claimed delivery).
public struct AttemptRecord: Sendable {
    public var deliveryId: Int64
    public var attempt: DeliveryAttempt?
    public var disposition: DeliveryDisposition

    public init(deliveryId: Int64, attempt: DeliveryAttempt?, disposition: DeliveryDisposition) {
        self.deliveryId = deliveryId
        self.attempt = attempt
        self.disposition = disposition
    }
}

/// Counts of deliveries by state, for statistics.
public struct DeliveryCounts: Sendable, Hashable {
    public var webhooks: Int64 = 0
    public var activeWebhooks: Int64 = 0
    public var events: Int64 = 0
    public var pending: Int64 = 0
    public var inFlight: Int64 = 0
    public var succeeded: Int64 = 0
    public var failed: Int64 = 0
    public var held: Int64 = 0
    public var cancelled: Int64 = 0
    public var attempts: Int64 = 0

    public init() {}
}

/// Durable storage of events, deliveries and attempts. SQLite is the built-in one.
///
/// A delivery is `pending` until claimed. Claiming sets it `inFlight` with a lease; a lease that
/// expires (the process died during the attempt) makes the delivery claimable again, so every
/// delivery is attempted at least once even across crashes. All methods are thread-safe and
/// may block on I/O.
public protocol DeliveryStore: AnyObject, Sendable {
    /// Stores the events and, in the same transaction, one pending delivery per active hook
    /// whose subscriptions match each event (`event`, `entity.*` or `*`). Returns the number of
    /// deliveries created per event, in order. Nothing is stored when it throws.
    func insertEvents(_ events: [EventRecord], now: Date) throws -> [Int]

    /// Stores one event with a delivery to each listed hook, whatever the hooks' subscriptions.
    /// Used for hook state-change events addressed to particular hooks.
    func insertEvent(_ event: EventRecord, webhookIds: [Int64], now: Date) throws

    /// Claims up to `limit` deliveries that are due at `now`, oldest due first, and marks them
    /// in flight until `leaseUntil`. Due means pending with a due time not after `now`, or in
    /// flight with a lease that ran out (its process died during the attempt). At most
    /// `perWebhookRemaining[id]` deliveries are claimed for a hook listed there (0 skips the
    /// hook) and at most `defaultPerWebhookLimit` for any other hook.
    func claimDue(
        now: Date, leaseUntil: Date, limit: Int, perWebhookRemaining: [Int64: Int], defaultPerWebhookLimit: Int
    ) throws -> [ClaimedDelivery]

    /// The earliest time a pending delivery or an in-flight lease falls due, or nil when none.
    func nextDueTime() throws -> Date?

    /// Records attempts and applies their dispositions, in one transaction.
    func record(_ records: [AttemptRecord], now: Date) throws

    /// Records attempts like `record`, and applies `results` to the hooks' counters when the
    /// store can (see `ClaimBatch.resultsApplied`). Then it claims like `claimDue` when `claim`
    /// is set, and reads the next due time. All of it is one transaction, so a turn of the
    /// delivery loop costs one commit. Nothing is recorded or claimed when it throws.
    func recordAndClaim(
        _ records: [AttemptRecord], results: WebhookResults?, now: Date, claim: ClaimRequest?
    ) throws -> ClaimBatch

    /// Moves the hook's pending deliveries to `held`. Returns how many moved.
    @discardableResult
    func holdDeliveries(webhookId: Int64) throws -> Int
    /// Moves the hook's held deliveries to pending, due at `now`. Returns how many moved.
    @discardableResult
    func resumeDeliveries(webhookId: Int64, now: Date) throws -> Int
    /// Cancels the hook's unfinished deliveries. Returns how many were cancelled.
    @discardableResult
    func cancelDeliveries(webhookId: Int64) throws -> Int

    /// Makes a finished delivery pending again, due at `now`, with its attempt count kept.
    /// Throws `notFound` for an unknown id and `failedPrecondition` for a cancelled one.
    func redeliver(deliveryId: Int64, now: Date) throws
    /// Makes every failed delivery of the hook created at or after `since` pending again.
    /// Returns how many.
    func redeliverFailed(webhookId: Int64, since: Date, now: Date) throws -> Int

    func delivery(id: Int64) throws -> Delivery?
    func deliveries(_ filter: DeliveryFilter) throws -> [Delivery]
    func attempts(deliveryId: Int64) throws -> [DeliveryAttempt]

    /// Deletes succeeded, failed and cancelled deliveries finished before `finishedBefore`,
    /// their attempts, and events left without deliveries. Returns the deliveries deleted.
    func prune(finishedBefore: Date) throws -> Int

    func counts() throws -> DeliveryCounts

    /// Keeps a replaced signing secret valid until `validUntil`.
    func addPreviousSecret(webhookId: Int64, secret: String, validUntil: Date) throws
    /// Secrets of the hook still valid at `now`, newest first. `prune` deletes expired ones.
    func previousSecrets(webhookId: Int64, now: Date) throws -> [String]
}

extension DeliveryStore {
    /// Calls `record`, `claimDue` and `nextDueTime` in turn, for stores that cannot do the three
    /// in one transaction. Records already written stay written when the claim throws. The
    /// claim always scans all hooks, which `ClaimRequest` allows, and `results` are left to the
    /// caller.
    public func recordAndClaim(
        _ records: [AttemptRecord], results: WebhookResults?, now: Date, claim: ClaimRequest?
    ) throws -> ClaimBatch {
        try record(records, now: now)
        guard let claim else { return ClaimBatch(deliveries: [], nextDue: try nextDueTime()) }
        let deliveries = try claimDue(
            now: claim.now, leaseUntil: claim.leaseUntil, limit: claim.limit,
            perWebhookRemaining: claim.perWebhookRemaining, defaultPerWebhookLimit: claim.defaultPerWebhookLimit)
        return ClaimBatch(deliveries: deliveries, nextDue: try nextDueTime())
    }
}
