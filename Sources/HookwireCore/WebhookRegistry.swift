import Foundation

/// A change of a webhook's state, reported to the registry's observer.
public struct WebhookStateChange: Sendable, Hashable {
    public var webhookId: Int64
    public var from: WebhookState
    public var to: WebhookState
    /// Why it changed: "saved by associate 7", "9 consecutive errors", "HTTP 410 Gone".
    public var reason: String

    public init(webhookId: Int64, from: WebhookState, to: WebhookState, reason: String) {
        self.webhookId = webhookId
        self.from = from
        self.to = to
        self.reason = reason
    }
}

/// Settings of a registry.
public struct RegistryConfiguration: Sendable {
    /// Consecutive failed attempts that switch a hook to TooManyErrors.
    public var consecutiveErrorLimit: Int64 = 9
    /// Returns whether a delivery plugin exists for a type name. Saving a hook of an unknown
    /// type fails.
    public var isKnownType: @Sendable (String) -> Bool = { $0.lowercased() == Webhook.httpType }
    /// Called after each committed state change, on the thread that made it: a save that
    /// changes the state of an existing hook, or a result that disables one. Creating a hook
    /// is not reported.
    public var onStateChange: @Sendable (WebhookStateChange) -> Void = { _ in }
    /// The clock for registered, updated and last-error times.
    public var now: @Sendable () -> Date = { Date() }
    /// Checks a secret given on save and throws `invalidArgument` when it cannot sign. The
    /// engine checks with the signing module, and the default accepts every secret.
    public var validateSecret: @Sendable (String) throws -> Void = { _ in }

    /// Creates the default settings: a limit of 9 consecutive errors, only the `webhook` type,
    /// no observer and the system clock.
    public init() {}
}

/// A store that can return some hooks by id from memory, without blocking.
public protocol CachedWebhookLookup: Sendable {
    /// Returns the hook when it is held in memory, or nil when it is not. Never blocks on I/O
    /// or on a storage connection. A hook it returns is committed, as from `webhook(id:)`.
    func cachedWebhook(id: Int64) -> Webhook?

    /// Returns `encode(hook)` for a hook held in memory, or nil when it is not. A store may
    /// keep the bytes until the hook changes, so `encode` must depend only on the hook, and
    /// each distinct encoding needs its own `format`. Never blocks on I/O.
    func cachedEncoding(id: Int64, format: ObjectIdentifier, encode: (Webhook) -> [UInt8]) -> [UInt8]?
}

extension CachedWebhookLookup {
    /// Encodes the cached hook on every call, for stores that keep no encodings.
    public func cachedEncoding(id: Int64, format: ObjectIdentifier, encode: (Webhook) -> [UInt8]) -> [UInt8]? {
        cachedWebhook(id: id).map(encode)
    }
}

/// The webhook registry: validation, ownership and state rules on top of a storage backend.
///
/// All methods are synchronous, thread-safe and may block on storage I/O. Each change is one
/// atomic store call, so concurrent saves, deletes and results never see half of each other.
///
/// Ownership: a hook saved with an application token is changed or deleted only by a caller
/// presenting the same token, or by `Caller.administrator`. Tokens are compared in constant time.
public final class WebhookRegistry: Sendable {
    /// The maximum number of hooks one `list` call returns.
    public static let maximumListLimit = 100_000

    /// The storage backend.
    public let store: any WebhookStore
    /// The settings given at creation.
    public let configuration: RegistryConfiguration

    /// Creates a registry that keeps its hooks in `store`.
    public init(store: any WebhookStore, configuration: RegistryConfiguration = .init()) {
        self.store = store
        self.configuration = configuration
        self.cachedLookup = store as? any CachedWebhookLookup
    }

    /// The store's in-memory lookup, when it has one.
    private let cachedLookup: (any CachedWebhookLookup)?

    /// Creates the hook when its id is 0, otherwise updates it. Returns the stored hook.
    ///
    /// On create, the hook gets a generated `whsec_` secret when it has none, state Active when
    /// its state is Unknown, the caller's application token when it has none, and registered
    /// and updated times of now. On update, a nil or empty secret, a nil application token and
    /// an Unknown state keep the stored values, and an empty application token clears it. The
    /// registered time and associate always come from the stored hook. The caller's associate
    /// id, when not 0, is recorded as registered or updated by.
    /// - Throws: `invalidArgument` naming the field at fault (a secret that cannot sign
    ///   included), `notFound` for an unknown id,
    ///   `permissionDenied` when the hook belongs to another application, or a storage error.
    public func save(_ webhook: Webhook, caller: Caller = .administrator) throws -> Webhook {
        if let secret = webhook.secret, !secret.isEmpty { try configuration.validateSecret(secret) }
        var candidate = webhook
        candidate.events = Self.removingDuplicates(webhook.events)
        let now = UnixMilliseconds.rounded(configuration.now())
        if candidate.id == 0 {
            return try create(candidate, caller: caller, now: now)
        }
        guard candidate.id > 0 else {
            throw HookwireError.notFound("webhook \(candidate.id) not found: ids start at 1, and 0 creates a new hook")
        }

        let change = try store.update(id: candidate.id) { existing in
            try Self.checkOwnership(of: existing, by: caller, action: "change")
            var updated = candidate
            updated.state = candidate.state == .unknown ? existing.state : candidate.state
            if candidate.secret?.isEmpty ?? true {
                updated.secret = existing.secret
            }
            updated.applicationToken = try Self.resolvedToken(
                requested: candidate.applicationToken, current: existing.applicationToken, caller: caller)
            updated.registered = existing.registered
            updated.registeredAssociateId = existing.registeredAssociateId
            updated.updated = now
            updated.updatedAssociateId = caller.associateId != 0 ? caller.associateId : candidate.updatedAssociateId
            try WebhookValidation.validate(updated, isKnownType: configuration.isKnownType)
            return updated
        }
        guard let change else {
            throw HookwireError.notFound("webhook \(candidate.id) not found: save it with id 0 to create it")
        }
        if change.before.state != change.after.state {
            configuration.onStateChange(
                WebhookStateChange(
                    webhookId: change.after.id, from: change.before.state, to: change.after.state,
                    reason: "saved by associate \(change.after.updatedAssociateId)"))
        }
        return change.after
    }

    /// Returns the hook, or nil when no hook has this id.
    public func get(id: Int64) throws -> Webhook? {
        try store.webhook(id: id)
    }

    /// Returns the hook when the store has it in memory, without blocking, or nil when it does
    /// not. A nil does not mean that the hook is missing, so call `get(id:)` to find out.
    public func cachedWebhook(id: Int64) -> Webhook? {
        cachedLookup?.cachedWebhook(id: id)
    }

    /// Returns `encode(hook)` when the store has the hook in memory, without blocking, or nil
    /// when it does not. The store may reuse the bytes until the hook is saved, deleted or
    /// changes state, so `encode` must depend only on the hook, and each distinct encoding
    /// (one with the secret, one without) needs its own `format`.
    public func cachedEncoding(id: Int64, format: ObjectIdentifier, encode: (Webhook) -> [UInt8]) -> [UInt8]? {
        cachedLookup?.cachedEncoding(id: id, format: format, encode: encode)
    }

    /// Returns the hooks matching the filter, ordered by id.
    ///
    /// A limit of 0 means `WebhookFilter.defaultLimit`. To walk every hook, pass the last id of
    /// one page as the next page's `afterId` until a page comes back shorter than the limit.
    /// - Throws: `invalidArgument` for a negative limit or one above `maximumListLimit`.
    public func list(_ filter: WebhookFilter = .init()) throws -> [Webhook] {
        var filter = filter
        if filter.limit == 0 { filter.limit = WebhookFilter.defaultLimit }
        guard filter.limit > 0, filter.limit <= Self.maximumListLimit else {
            throw HookwireError.invalidArgument(
                "invalid limit \(filter.limit): must be between 1 and \(Self.maximumListLimit), or 0 for the default")
        }
        filter.afterId = max(filter.afterId, 0)
        return try store.webhooks(matching: filter)
    }

    /// Deletes the hook with its counters. Its pending deliveries are the delivery store's
    /// concern.
    /// - Throws: `notFound` for an unknown id, `permissionDenied` when the hook belongs to
    ///   another application, or a storage error.
    public func delete(id: Int64, caller: Caller = .administrator) throws {
        let deleted = try store.delete(id: id) { existing in
            try Self.checkOwnership(of: existing, by: caller, action: "delete")
        }
        guard deleted != nil else {
            throw HookwireError.notFound("cannot delete webhook \(id): not found")
        }
    }

    /// Returns the text of the latest failed call, or nil when none failed.
    /// - Throws: `notFound` for an unknown id.
    public func lastError(id: Int64) throws -> String? {
        try usage(id: id).lastError
    }

    /// Returns the hook's counters.
    /// - Throws: `notFound` for an unknown id.
    public func usage(id: Int64) throws -> WebhookUsage {
        guard let usage = try store.usage(id: id) else {
            throw HookwireError.notFound("webhook \(id) not found")
        }
        return usage
    }

    /// Records one call's result, updates the counters and applies `WebhookStateRule`. Returns
    /// the state change it caused, if any, after reporting it to `onStateChange`.
    /// - Throws: `notFound` for an unknown id, or a storage error.
    @discardableResult
    public func recordResult(id: Int64, result: WebhookResult) throws -> WebhookStateChange? {
        let now = UnixMilliseconds.rounded(configuration.now())
        var reason: String?
        let states = try store.updateUsage(id: id) { state, usage in
            let outcome = WebhookStateRule.apply(
                result, state: state, usage: usage, limit: configuration.consecutiveErrorLimit, at: now)
            reason = outcome.reason
            return (outcome.state, outcome.usage)
        }
        guard let states else {
            throw HookwireError.notFound("cannot record a result for webhook \(id): not found")
        }
        guard states.before != states.after else { return nil }
        let change = WebhookStateChange(webhookId: id, from: states.before, to: states.after, reason: reason ?? "")
        configuration.onStateChange(change)
        return change
    }

    // MARK: Rules

    private func create(_ webhook: Webhook, caller: Caller, now: Date) throws -> Webhook {
        var created = webhook
        if created.state == .unknown { created.state = .active }
        if created.secret?.isEmpty ?? true { created.secret = WebhookSecret.generate() }
        created.applicationToken = try Self.resolvedToken(
            requested: webhook.applicationToken, current: caller.isAdministrator ? nil : caller.applicationToken,
            caller: caller)
        created.registered = now
        created.updated = now
        if caller.associateId != 0 {
            created.registeredAssociateId = caller.associateId
            created.updatedAssociateId = caller.associateId
        }
        try WebhookValidation.validate(created, isKnownType: configuration.isKnownType)
        return try store.insert(created)
    }

    /// Throws `permissionDenied` unless the caller may change or delete `webhook`.
    static func checkOwnership(of webhook: Webhook, by caller: Caller, action: String) throws {
        guard let owner = webhook.applicationToken, !caller.isAdministrator else { return }
        guard let presented = caller.applicationToken, constantTimeEquals(owner, presented) else {
            throw HookwireError(
                .permissionDenied,
                "cannot \(action) webhook \(webhook.id): it belongs to another application; present the "
                    + "application token it was saved with")
        }
    }

    /// Returns the application token to store: `current` when `requested` is nil, none when
    /// it is "", and otherwise `requested`, which a caller other than the administrator may
    /// only set to its own token. On create, `current` is the caller's own token.
    static func resolvedToken(requested: String?, current: String?, caller: Caller) throws -> String? {
        guard let requested else { return current }
        if requested.isEmpty { return nil }
        if !caller.isAdministrator {
            guard let own = caller.applicationToken, constantTimeEquals(own, requested) else {
                throw HookwireError(
                    .permissionDenied,
                    "invalid applicationToken: a caller may only save hooks under its own application token")
            }
        }
        return requested
    }

    /// Drops repeated event names, keeping the first of each, because a hook listens to each
    /// event once.
    static func removingDuplicates(_ events: [String]) -> [String] {
        var seen = Set<String>()
        return events.filter { seen.insert($0).inserted }
    }
}
