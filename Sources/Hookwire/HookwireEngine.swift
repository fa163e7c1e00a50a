@_exported import HookwireCore
import Foundation
import HookwireDelivery
import HookwireSQLite
import HookwireSigning
import Synchronization

/// The whole engine: registry, durable publishing and delivery, on one database.
///
/// All methods are synchronous and thread-safe; they may block on SQLite or, for `test`, on
/// the network. The server and the C ABI call them from worker threads.
///
/// Opening an engine starts three threads: the committer, which stores concurrent publishes in
/// shared transactions, the delivery thread, which sends due deliveries, and the bookkeeping
/// thread, which records every attempt and claims the next deliveries. `shutdown(timeout:)`
/// stops them.
public final class HookwireEngine: Sendable {
    /// The version of Hookwire, sent in the `User-Agent` header as `Hookwire/<version>`.
    public static let version = HookwireVersion.string

    /// The webhook definitions, with their validation, ownership and state rules.
    public let registry: WebhookRegistry
    /// The settings the engine was opened with.
    public let configuration: Configuration
    /// The name of the active system plugin, `Default` for the built-in one.
    public let systemPluginName: String

    let store: any DeliveryStore
    let settings: DeliverySettings
    let plugins: PluginTable
    let broadcaster: (any WebhookPlugin)?
    let committer: PublishCommitter
    let dispatcher: DeliveryDispatcher
    let isShutDown = Mutex(false)
    let stateWatchers = Watchers<WebhookStateChange>()

    /// Opens (creating when needed) the database and starts delivering.
    ///
    /// - Throws: `invalidArgument` for a bad setting, naming it; the storage's error when the
    ///   database cannot be opened or migrated.
    public static func open(_ configuration: Configuration) throws -> HookwireEngine {
        let settings = try configuration.deliverySettings()
        let plugins = PluginTable()
        for plugin in configuration.plugins { try plugins.register(plugin) }

        let system = selectSystemPlugin(configuration.systemPlugins)
        let storage = try system.openStorage(databasePath: configuration.databasePath)
        let relay = StateChangeRelay()
        var registryConfiguration = RegistryConfiguration()
        registryConfiguration.consecutiveErrorLimit = configuration.consecutiveErrorLimit
        registryConfiguration.isKnownType = { plugins.isKnownType($0) }
        registryConfiguration.onStateChange = { relay.forward($0) }
        registryConfiguration.validateSecret = { secret in
            do throws(SignatureError) {
                _ = try SigningSecret.keyBytes(of: secret)
            } catch {
                throw HookwireError.invalidArgument("invalid secret: \(error.message)")
            }
        }
        let registry = WebhookRegistry(store: storage.webhooks, configuration: registryConfiguration)
        let deliveryRegistry = WebhookRegistry(store: storage.deliveryWebhooks, configuration: registryConfiguration)

        // The counters live in the same file as the deliveries, so the delivery store updates
        // them in the transaction that records the attempts.
        var storeAppliesResults = false
        if let webhooks = storage.deliveryWebhooks as? SQLiteWebhookStore,
            let deliveries = storage.deliveries as? SQLiteDeliveryStore
        {
            storeAppliesResults = deliveries.path == webhooks.database.path
        }
        let dispatcher = try DeliveryDispatcher(
            store: storage.deliveries, registry: deliveryRegistry, settings: settings, plugins: plugins,
            broadcaster: system.broadcaster, random: configuration.random, storeAppliesResults: storeAppliesResults)
        let committer = PublishCommitter(store: storage.deliveries) { dispatcher.notifyNewWork() }
        let engine = HookwireEngine(
            registry: registry, configuration: configuration, systemPluginName: system.name,
            store: storage.deliveries, settings: settings, plugins: plugins, broadcaster: system.broadcaster,
            committer: committer, dispatcher: dispatcher)
        relay.attach(engine)
        if configuration.deliversEvents { dispatcher.start() }
        return engine
    }

    /// Returns the candidate with the lowest priority, or the built-in plugin when none is
    /// lower than `Int.max`. On a tie the earlier candidate wins.
    static func selectSystemPlugin(_ candidates: [any SystemWebhookPlugin]) -> any SystemWebhookPlugin {
        var selected: any SystemWebhookPlugin = DefaultSystemWebhookPlugin()
        for candidate in candidates where candidate.priority < selected.priority {
            selected = candidate
        }
        return selected
    }

    init(
        registry: WebhookRegistry, configuration: Configuration, systemPluginName: String,
        store: any DeliveryStore, settings: DeliverySettings, plugins: PluginTable,
        broadcaster: (any WebhookPlugin)?, committer: PublishCommitter, dispatcher: DeliveryDispatcher
    ) {
        self.registry = registry
        self.configuration = configuration
        self.systemPluginName = systemPluginName
        self.store = store
        self.settings = settings
        self.plugins = plugins
        self.broadcaster = broadcaster
        self.committer = committer
        self.dispatcher = dispatcher
    }

    /// Adds a delivery plugin for its type name (matched case-insensitively).
    ///
    /// - Throws: `failedPrecondition` when the type already has a plugin or is `webhook`.
    public func register(plugin: any WebhookPlugin) throws {
        try plugins.register(plugin)
    }

    /// The delivery type names that hooks may use, `webhook` included.
    public var pluginTypes: [String] { plugins.typeNames }

    /// Calls `handler` with the outcome of every attempt recorded from now on, on the delivery
    /// thread. The handler must return quickly and must not call the engine's blocking
    /// methods. Returns a token for `unwatch`.
    public func watch(_ handler: @escaping @Sendable (DeliveryOutcome) -> Void) -> UInt64 {
        dispatcher.watchers.add(handler)
    }

    /// Stops calling the handler that `watch` returned `token` for.
    public func unwatch(_ token: UInt64) {
        dispatcher.watchers.remove(token)
    }

    /// Calls `handler` with every change of a hook's state from now on: a save that changes
    /// it, or recorded results that disable the hook. Creating a hook is not a change. It runs
    /// on the thread that made the change, so it must return quickly and must not call the
    /// engine's blocking methods. Returns a token for `unwatchStateChanges`.
    public func watchStateChanges(_ handler: @escaping @Sendable (WebhookStateChange) -> Void) -> UInt64 {
        stateWatchers.add(handler)
    }

    /// Stops calling the handler that `watchStateChanges` returned `token` for.
    public func unwatchStateChanges(_ token: UInt64) {
        stateWatchers.remove(token)
    }

    /// Stops taking new events, commits those already accepted, waits up to `timeout` seconds
    /// for requests in flight, and leaves every unfinished delivery pending for the next start.
    /// Calling it again does nothing.
    public func shutdown(timeout: Double = 10) {
        let first = isShutDown.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        committer.rejectCommits()
        dispatcher.shutdown(timeout: timeout)
        // Attempts that ended during the wait may have changed hook states, and the events
        // announcing those changes are committed before the committer stops.
        committer.stop()
    }

    /// Returns the engine's counters.
    public func stats() throws -> EngineStats {
        let counts = try store.counts()
        var stats = EngineStats()
        stats.webhooks = counts.webhooks
        stats.activeWebhooks = counts.activeWebhooks
        stats.eventsPublished = counts.events
        stats.deliveriesPending = counts.pending
        stats.deliveriesInFlight = counts.inFlight
        stats.deliveriesSucceeded = counts.succeeded
        stats.deliveriesFailed = counts.failed
        stats.deliveriesHeld = counts.held
        stats.attemptsMade = counts.attempts
        return stats
    }
}

/// Forwards the registry's state changes to the engine, which exists only after the registry.
/// It holds the engine weakly, so the registry's callback does not keep the engine alive; a
/// lock guards the reference.
final class StateChangeRelay: @unchecked Sendable {
    private let lock = NSLock()
    private weak var engine: HookwireEngine?

    func attach(_ engine: HookwireEngine) {
        lock.withLock { self.engine = engine }
    }

    func forward(_ change: WebhookStateChange) {
        let target = lock.withLock { engine }
        target?.handleStateChange(change)
    }
}
