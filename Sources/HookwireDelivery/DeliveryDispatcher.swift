import Foundation
import HookwireCore
import HookwireSigning
import Synchronization

/// Delivery: claims due deliveries, sends them over HTTP or hands them to plugins, and
/// records every outcome, on two threads.
///
/// The sending thread (`hw-delivery`) drives the libcurl multi handle and never touches
/// SQLite: it starts the deliveries the bookkeeping thread has claimed and prepared, within the
/// global and per-hook caps, and passes finished attempts back. The bookkeeping thread
/// (`DeliveryBookkeeper`) records them and claims more in one transaction per turn. Other
/// threads talk to the sending thread only through `inbox`, a `Mutex`-guarded mailbox,
/// followed by a wakeup of the transport's poll.
public final class DeliveryDispatcher: @unchecked Sendable {
    let settings: DeliverySettings
    let registry: WebhookRegistry
    let plugins: PluginTable
    let broadcaster: (any WebhookPlugin)?
    let transport: HTTPTransport
    let bookkeeper: DeliveryBookkeeper
    /// Handlers of recorded outcomes.
    public let watchers = OutcomeWatchers()

    struct PluginCompletion: Sendable {
        var token: Int64
        var result: WebhookResult
        var startedAt: Date
        var durationMilliseconds: Int64
        /// The error kind recorded when the result is a failure.
        var failureKind: DeliveryErrorKind = .plugin
    }

    struct Inbox: Sendable {
        var ready: [ReadyDelivery] = []
        var pluginCompletions: [PluginCompletion] = []
        /// Hooks invalidated, with the invalidation count after each one's latest invalidation.
        var invalidated: [Int64: UInt64] = [:]
        var stopDeadline: Date?
        /// Set when the sending thread exits. Later ready deliveries are rejected.
        var closed = false
    }

    /// The sending thread's mailbox and the invalidation count, in a class of their own
    /// because the bookkeeper's callbacks capture them before this object exists.
    final class Mailbox: Sendable {
        let inbox = Mutex(Inbox())
        /// Counts invalidations. `ReadyDelivery.epoch` is read from it.
        let invalidations = Atomic<UInt64>(0)
    }

    let mailbox = Mailbox()
    private let exited = DispatchSemaphore(value: 0)
    private let started = Mutex(false)
    private(set) var workerPool: PluginWorkerPool?

    /// An attempt in progress and the end of its claim's lease, as last renewed.
    struct InFlightAttempt {
        var claimed: ClaimedDelivery
        var leaseUntil: Date
    }

    // Sending-thread state.
    /// Attempts in progress, by delivery id.
    var inFlight: [Int64: InFlightAttempt] = [:]
    var inFlightPerHook: [Int64: Int] = [:]
    /// Deliveries waiting for a free slot, per hook, oldest first.
    var queued: [Int64: [ReadyDelivery]] = [:]
    /// The hooks with queued deliveries, in the order they get free slots.
    var queuedHooks: [Int64] = []
    var queuedCount = 0
    /// The invalidation count after each hook's latest invalidation.
    var lastInvalidation: [Int64: UInt64] = [:]
    /// When queued deliveries and attempts were last checked for expiring leases.
    var lastLeaseCheck = Date(timeIntervalSince1970: 0)
    /// Second copies of deliveries already in flight, dropped unstarted since the last submit.
    var duplicates: [ClaimedDelivery] = []

    /// - Parameters:
    ///   - broadcaster: Delivers `webhook` hooks instead of the HTTP transport, when set.
    ///   - random: Uniform numbers in `0..<1` for retry jitter.
    ///   - recordResults: Applies a batch of attempt results to the hooks' counters and states,
    ///     in order. Nil records them one by one with `registry.recordResult`; a store that can
    ///     do the batch in one transaction makes bookkeeping cheaper.
    ///   - storeAppliesResults: Lets `store` apply the results in the transaction that records
    ///     the attempts, which costs less still. Set it only when `store` keeps the counters of
    ///     `registry`'s hooks, as the SQLite stores of one file do.
    public init(
        store: any DeliveryStore, registry: WebhookRegistry, settings: DeliverySettings, plugins: PluginTable,
        broadcaster: (any WebhookPlugin)? = nil,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        recordResults: (@Sendable ([(webhookId: Int64, result: WebhookResult)]) -> Void)? = nil,
        storeAppliesResults: Bool = false
    ) throws {
        let recordResults = recordResults ?? { results in
            // NOTE: a failed counter update is not retried; the attempt itself is recorded.
            for (id, result) in results { _ = try? registry.recordResult(id: id, result: result) }
        }
        self.settings = settings
        self.registry = registry
        self.plugins = plugins
        self.broadcaster = broadcaster
        let transport = try HTTPTransport(configuration: settings.transport)
        self.transport = transport
        let mailbox = self.mailbox
        bookkeeper = DeliveryBookkeeper(
            store: store, registry: registry, settings: settings, random: random, recordResults: recordResults,
            storeAppliesResults: storeAppliesResults, watchers: watchers, currentEpoch: { mailbox.invalidations.load(ordering: .acquiring) },
            deliver: { ready in
                let accepted = mailbox.inbox.withLock { inbox -> Bool in
                    guard !inbox.closed else { return false }
                    inbox.ready.append(contentsOf: ready)
                    return true
                }
                if accepted { transport.wakeup() }
                return accepted
            })
    }

    /// Starts the sending and bookkeeping threads and the plugin workers. Calling it again
    /// does nothing.
    public func start() {
        let first = started.withLock { running in
            defer { running = true }
            return !running
        }
        guard first else { return }
        workerPool = PluginWorkerPool(threads: settings.pluginThreads) { [self] token, result, startedAt, milliseconds in
            mailbox.inbox.withLock {
                $0.pluginCompletions.append(
                    PluginCompletion(
                        token: token, result: result, startedAt: startedAt, durationMilliseconds: milliseconds))
            }
            transport.wakeup()
        }
        bookkeeper.start()
        Thread.named("hw-delivery") { [self] in
            run()
            exited.signal()
        }.start()
    }

    /// Tells the bookkeeping thread that deliveries may be due now (after a publish, redelivery or
    /// resume). Callable from any thread.
    public func notifyNewWork() {
        bookkeeper.notifyNewWork()
    }

    /// Drops the cached definition and keys of a hook, after a state change, a new secret or a
    /// deletion. Its deliveries claimed but not started are claimed again later, so they see the
    /// change.
    public func invalidate(webhookId: Int64) {
        let epoch = mailbox.invalidations.add(1, ordering: .acquiringAndReleasing).newValue
        mailbox.inbox.withLock { $0.invalidated[webhookId] = epoch }
        transport.wakeup()
        bookkeeper.invalidate(webhookId: webhookId)
    }

    /// Stops claiming work, waits up to `timeout` seconds for attempts in flight, and makes the
    /// attempts still unfinished then pending again. Returns when both threads have exited.
    public func shutdown(timeout: Double) {
        let running = started.withLock { $0 }
        guard running else { return }
        bookkeeper.stopClaiming()
        mailbox.inbox.withLock { $0.stopDeadline = Date().addingTimeInterval(max(0, timeout)) }
        transport.wakeup()
        exited.wait()
        bookkeeper.exited.wait()
        workerPool?.stop(threads: settings.pluginThreads)
        // The pool's completion closure retains this dispatcher, so dropping the pool breaks the
        // cycle and lets a closed engine be freed. The delivery thread that read it has exited.
        workerPool = nil
        // The threads have exited, so the next shutdown call must not wait for them again.
        exited.signal()
        bookkeeper.exited.signal()
    }

    /// The attempts in flight now. Read from the sending thread's last turn.
    public var inFlightCount: Int { inFlightSnapshot.withLock { $0 } }
    let inFlightSnapshot = Mutex(0)

    // MARK: - The loop

    private func run() {
        var draining = false
        var deadline = Date.distantFuture
        while true {
            let mail = mailbox.inbox.withLock { inbox -> Inbox in
                let taken = inbox
                inbox = Inbox()
                return taken
            }
            var finished: [FinishedAttempt] = []
            var released: [ClaimedDelivery] = []
            for (id, epoch) in mail.invalidated {
                lastInvalidation[id] = max(lastInvalidation[id] ?? 0, epoch)
                releaseQueued(webhookId: id, into: &released)
            }
            for ready in mail.ready {
                let hookId = ready.claimed.webhookId
                if draining || ready.epoch < lastInvalidation[hookId] ?? 0 {
                    released.append(ready.claimed)
                } else {
                    enqueue(ready)
                }
            }
            for completion in mail.pluginCompletions {
                if let claimed = takeInFlight(completion.token) {
                    finished.append(FinishedAttempt(claimed: claimed, report: AttemptReport(plugin: completion)))
                }
            }
            if let stop = mail.stopDeadline, !draining {
                draining = true
                deadline = stop
                releaseAllQueued(into: &released)
            }

            if draining, inFlight.isEmpty || Date() >= deadline {
                abandonInFlight(into: &released)
                let leftovers = mailbox.inbox.withLock { inbox -> [ReadyDelivery] in
                    inbox.closed = true
                    defer { inbox.ready.removeAll() }
                    return inbox.ready
                }
                released.append(contentsOf: leftovers.map(\.claimed))
                bookkeeper.submit(finished: finished, released: released, stopping: true)
                inFlightSnapshot.withLock { $0 = 0 }
                return
            }
            var renewed: [Int64] = []
            if !draining {
                let now = Date()
                if now.timeIntervalSince(lastLeaseCheck) >= 0.25 {
                    lastLeaseCheck = now
                    releaseExpiring(now: now, into: &released)
                    renewed = renewExpiringLeases(now: now)
                }
                startQueued(now: now, released: &released)
            }

            let exchanges = transport.poll(timeoutMilliseconds: pollTimeout(draining: draining, deadline: deadline))
            for (token, exchange) in exchanges {
                if let claimed = takeInFlight(token) {
                    finished.append(FinishedAttempt(claimed: claimed, report: AttemptReport(http: exchange)))
                }
            }
            if !finished.isEmpty || !released.isEmpty || !renewed.isEmpty || !duplicates.isEmpty {
                bookkeeper.submit(finished: finished, released: released, renewed: renewed, forgotten: duplicates)
                duplicates.removeAll()
            }
            inFlightSnapshot.withLock { $0 = inFlight.count }
        }
    }

    private func pollTimeout(draining: Bool, deadline: Date) -> Int32 {
        // Queued deliveries wait for a slot, and a finished request frees one and ends the
        // poll. The timeout only paces the lease checks and the drain deadline.
        guard draining else { return queuedCount > 0 || !inFlight.isEmpty ? 250 : 1000 }
        let seconds = min(1, max(0, deadline.timeIntervalSinceNow))
        return Int32((seconds * 1000).rounded(.up))
    }

    func takeInFlight(_ id: Int64) -> ClaimedDelivery? {
        guard let claimed = inFlight.removeValue(forKey: id)?.claimed else { return nil }
        let hookId = claimed.webhookId
        let remaining = (inFlightPerHook[hookId] ?? 1) - 1
        inFlightPerHook[hookId] = remaining > 0 ? remaining : nil
        return claimed
    }

    /// Gives back the attempts still in flight at shutdown: they become pending again, due now.
    private func abandonInFlight(into released: inout [ClaimedDelivery]) {
        released.append(contentsOf: inFlight.values.map(\.claimed))
        inFlight.removeAll()
        inFlightPerHook.removeAll()
    }
}
