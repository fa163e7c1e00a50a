import Foundation
import HookwireCore
import HookwireSigning
import Synchronization

/// The delivery thread: claims due deliveries, sends them over HTTP or hands them to plugins,
/// and records every outcome.
///
/// One thread drives the libcurl multi handle, claims work in batches and records finished
/// attempts in one transaction per loop turn, so bookkeeping costs one commit per batch rather
/// than per request. Other threads talk to it only through `inbox`, a `Mutex`-guarded mailbox,
/// followed by a wakeup of the transport's poll.
public final class DeliveryDispatcher: @unchecked Sendable {
    let store: any DeliveryStore
    let registry: WebhookRegistry
    let settings: DeliverySettings
    let plugins: PluginTable
    let broadcaster: (any WebhookPlugin)?
    let random: @Sendable () -> Double
    let recordResults: @Sendable ([(webhookId: Int64, result: WebhookResult)]) -> Void
    let transport: HTTPTransport
    /// Handlers of recorded outcomes.
    public let watchers = OutcomeWatchers()

    struct PluginCompletion {
        var token: Int64
        var result: WebhookResult
        var startedAt: Date
        var durationMilliseconds: Int64
    }

    struct Inbox {
        var pluginCompletions: [PluginCompletion] = []
        var newWork = false
        var invalidated: Set<Int64> = []
        var stopDeadline: Date?
    }

    let inbox = Mutex(Inbox())
    private let exited = DispatchSemaphore(value: 0)
    private let started = Mutex(false)
    private(set) var workerPool: PluginWorkerPool?

    /// One attempt in progress. Only the delivery thread touches these.
    struct InFlight {
        var claimed: ClaimedDelivery
        var hook: Webhook
    }

    /// A hook's signing keys, kept while its secrets stay the same, because building a key
    /// costs more than signing with it.
    struct CachedKeys {
        var secrets: [String]
        var keys: [SigningKey]
    }

    // Delivery-thread state.
    var inFlight: [Int64: InFlight] = [:]
    var inFlightPerHook: [Int64: Int] = [:]
    var cache: [Int64: CachedKeys] = [:]
    var nextDue: Date?
    var lastClaim = Date(timeIntervalSince1970: 0)
    var lastPrune = Date(timeIntervalSince1970: 0)

    /// - Parameters:
    ///   - broadcaster: Delivers `webhook` hooks instead of the HTTP transport, when set.
    ///   - random: Uniform numbers in `0..<1` for retry jitter.
    ///   - recordResults: Applies a batch of attempt results to the hooks' counters and states,
    ///     in order. Nil records them one by one with `registry.recordResult`; a store that can
    ///     do the batch in one transaction makes bookkeeping cheaper.
    public init(
        store: any DeliveryStore, registry: WebhookRegistry, settings: DeliverySettings, plugins: PluginTable,
        broadcaster: (any WebhookPlugin)? = nil,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        recordResults: (@Sendable ([(webhookId: Int64, result: WebhookResult)]) -> Void)? = nil
    ) throws {
        self.recordResults = recordResults ?? { results in
            // NOTE: a failed counter update is not retried; the attempt itself is recorded.
            for (id, result) in results { _ = try? registry.recordResult(id: id, result: result) }
        }
        self.store = store
        self.registry = registry
        self.settings = settings
        self.plugins = plugins
        self.broadcaster = broadcaster
        self.random = random
        self.transport = try HTTPTransport(configuration: settings.transport)
    }

    /// Starts the delivery thread and the plugin workers. Calling it again does nothing.
    public func start() {
        let first = started.withLock { running in
            defer { running = true }
            return !running
        }
        guard first else { return }
        workerPool = PluginWorkerPool(threads: settings.pluginThreads) { [self] token, result, startedAt, milliseconds in
            inbox.withLock {
                $0.pluginCompletions.append(
                    PluginCompletion(
                        token: token, result: result, startedAt: startedAt, durationMilliseconds: milliseconds))
            }
            transport.wakeup()
        }
        let thread = Thread { [self] in
            run()
            exited.signal()
        }
        thread.name = "hookwire-delivery"
        thread.start()
    }

    /// Tells the delivery thread that deliveries may be due now (after a publish, redelivery or
    /// resume). Callable from any thread.
    public func notifyNewWork() {
        inbox.withLock { $0.newWork = true }
        transport.wakeup()
    }

    /// Drops the cached definition and keys of a hook, after a state change or a new secret.
    public func invalidate(webhookId: Int64) {
        inbox.withLock {
            $0.invalidated.insert(webhookId)
            $0.newWork = true
        }
        transport.wakeup()
    }

    /// Stops claiming work, waits up to `timeout` seconds for attempts in flight, and makes the
    /// attempts still unfinished then pending again. Returns when the delivery thread has exited.
    public func shutdown(timeout: Double) {
        let running = started.withLock { $0 }
        guard running else { return }
        inbox.withLock { $0.stopDeadline = Date().addingTimeInterval(max(0, timeout)) }
        transport.wakeup()
        exited.wait()
        workerPool?.stop(threads: settings.pluginThreads)
        // The pool's completion closure retains this dispatcher, so dropping the pool breaks the
        // cycle and lets a closed engine be freed. The delivery thread that read it has exited.
        workerPool = nil
        // The thread has exited, so the next shutdown call must not wait for it again.
        exited.signal()
    }

    /// The attempts in flight now. Read from the delivery thread's last turn.
    public var inFlightCount: Int { inFlightSnapshot.withLock { $0 } }
    let inFlightSnapshot = Mutex(0)

    // MARK: - The loop

    private func run() {
        var draining = false
        var deadline = Date.distantFuture
        var wantClaim = true
        while true {
            let mail = inbox.withLock { inbox -> Inbox in
                let taken = inbox
                inbox.pluginCompletions.removeAll()
                inbox.newWork = false
                inbox.invalidated.removeAll()
                return taken
            }
            for id in mail.invalidated { cache[id] = nil }
            var finished: [(InFlight, AttemptReport)] = []
            for completion in mail.pluginCompletions {
                if let entry = takeInFlight(completion.token) {
                    finished.append((entry, AttemptReport(plugin: completion)))
                }
            }
            if mail.newWork { wantClaim = true }
            if let stop = mail.stopDeadline, !draining {
                draining = true
                deadline = stop
            }

            let now = Date()
            if draining {
                if inFlight.isEmpty || now >= deadline {
                    record(finished)
                    abandonInFlight()
                    return
                }
            } else {
                if now.timeIntervalSince(lastPrune) >= settings.pruneInterval { prune(now: now) }
                if let due = nextDue, due <= now, now.timeIntervalSince(lastClaim) >= 0.25 { wantClaim = true }
                if now.timeIntervalSince(lastClaim) >= 1 { wantClaim = true }
                if wantClaim, inFlight.count < settings.maximumInFlight {
                    claim(now: now)
                    wantClaim = false
                }
            }

            let exchanges = transport.poll(timeoutMilliseconds: pollTimeout(draining: draining, deadline: deadline))
            for (token, exchange) in exchanges {
                if let entry = takeInFlight(token) { finished.append((entry, AttemptReport(http: exchange))) }
            }
            if !exchanges.isEmpty { gatherMore(into: &finished) }
            if !finished.isEmpty {
                record(finished)
                wantClaim = true
            }
            inFlightSnapshot.withLock { $0 = inFlight.count }
        }
    }

    /// The time a turn keeps collecting responses after its first one, in seconds.
    ///
    /// Each turn pays three SQLite transactions (claim, attempts, counters) whatever its size,
    /// so fewer, larger turns cost less per delivery. A slow receiver delays the records of
    /// the other responses by at most this window.
    static let gatherWindow = 0.002

    /// Polls again, for at most `gatherWindow`, while transfers are running and each poll
    /// returns more responses, so that one turn records them together.
    private func gatherMore(into finished: inout [(InFlight, AttemptReport)]) {
        let end = Date().addingTimeInterval(Self.gatherWindow)
        while !inFlight.isEmpty, Date() < end {
            let more = transport.poll(timeoutMilliseconds: 1)
            // An empty poll means no response within a millisecond or a wakeup from another
            // thread, so the turn records what it has.
            if more.isEmpty { return }
            for (token, exchange) in more {
                if let entry = takeInFlight(token) { finished.append((entry, AttemptReport(http: exchange))) }
            }
        }
    }

    private func pollTimeout(draining: Bool, deadline: Date) -> Int32 {
        let now = Date()
        var seconds = 1.0
        if draining {
            seconds = min(seconds, max(0, deadline.timeIntervalSince(now)))
        } else if let due = nextDue {
            // A due time already passed means the due deliveries wait for a free slot. A
            // completion frees one and wakes the poll, so a short nap suffices.
            seconds = due > now ? min(seconds, due.timeIntervalSince(now)) : 0.25
        }
        return Int32((seconds * 1000).rounded(.up))
    }

    private func takeInFlight(_ id: Int64) -> InFlight? {
        guard let entry = inFlight.removeValue(forKey: id) else { return nil }
        let hookId = entry.claimed.webhookId
        let remaining = (inFlightPerHook[hookId] ?? 1) - 1
        inFlightPerHook[hookId] = remaining > 0 ? remaining : nil
        return entry
    }

    private func prune(now: Date) {
        lastPrune = now
        // NOTE: a failed prune is retried at the next interval; the engine has no log sink to
        // report it to.
        _ = try? store.prune(finishedBefore: now.addingTimeInterval(-settings.retention))
    }

    /// Releases attempts still in flight at shutdown: they become pending again, due now.
    private func abandonInFlight() {
        guard !inFlight.isEmpty else { return }
        let now = Date()
        let records = inFlight.keys.map { AttemptRecord(deliveryId: $0, attempt: nil, disposition: .retry(at: now)) }
        inFlight.removeAll()
        inFlightPerHook.removeAll()
        _ = try? store.record(records, now: now)
    }
}
