// NOTE: interface stub written first so that other targets can compile against it; the
// registry work replaces every body.

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
    /// Called after each committed state change, on the thread that made it.
    public var onStateChange: @Sendable (WebhookStateChange) -> Void = { _ in }

    public init() {}
}

/// The webhook registry: validation, ownership and state rules on top of a storage backend.
///
/// All methods are synchronous, thread-safe and may block on storage I/O.
public final class WebhookRegistry: Sendable {
    public init(store: any WebhookStore, configuration: RegistryConfiguration = .init()) {
        fatalError("not implemented")
    }

    /// Creates the hook when its id is 0, otherwise updates it. Returns the stored hook.
    public func save(_ webhook: Webhook, caller: Caller = .administrator) throws -> Webhook {
        fatalError("not implemented")
    }

    /// Returns the hook, or nil when no hook has this id.
    public func get(id: Int64) throws -> Webhook? { fatalError("not implemented") }

    /// Returns the hooks matching the filter, ordered by id.
    public func list(_ filter: WebhookFilter = .init()) throws -> [Webhook] { fatalError("not implemented") }

    /// Deletes the hook. Throws `notFound` for an unknown id.
    public func delete(id: Int64, caller: Caller = .administrator) throws { fatalError("not implemented") }

    /// Returns the text of the latest failed call, or nil when none failed.
    public func lastError(id: Int64) throws -> String? { fatalError("not implemented") }

    /// Returns the hook's counters.
    public func usage(id: Int64) throws -> WebhookUsage { fatalError("not implemented") }

    /// Records one call's result, updates the counters and applies the state rule. Returns the
    /// state change it caused, if any.
    @discardableResult
    public func recordResult(id: Int64, result: WebhookResult) throws -> WebhookStateChange? {
        fatalError("not implemented")
    }
}

/// A storage backend for webhooks. SQLite is the built-in one.
public protocol WebhookStore: AnyObject, Sendable {}
