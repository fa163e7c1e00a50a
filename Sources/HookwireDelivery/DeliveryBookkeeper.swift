import Foundation
import HookwireCore
import HookwireSigning
import Synchronization

/// A claimed delivery ready for its attempt, with its hook as read when it was claimed and
/// its body already built.
struct ReadyDelivery: Sendable {
    /// The claimed delivery, without its event members and data, which are in `body`.
    var claimed: ClaimedDelivery
    var hook: PreparedWebhook
    var body: [UInt8]
    /// The end of the claim's lease. An attempt must finish before it, or another claim may
    /// take the delivery after a crash while the attempt still runs.
    var leaseUntil: Date
    /// The dispatcher's invalidation count read before the hook was read. The sending thread
    /// drops the delivery when the hook was invalidated after that.
    var epoch: UInt64
}

/// An attempt that finished on the sending thread.
struct FinishedAttempt: Sendable {
    var claimed: ClaimedDelivery
    var report: AttemptReport
}

/// The bookkeeping thread of delivery: it records finished attempts, claims due deliveries
/// ahead of the sending thread, and reads the hook of each claimed delivery.
///
/// Recording, the hooks' counters and claiming share one SQLite transaction per turn when the
/// store supports it (`DeliveryStore.recordAndClaim`). The sending thread never waits for a
/// turn. It keeps sending the deliveries claimed earlier, and the attempts that finish
/// meanwhile are recorded together by the next turn. Up to `claimAheadFactor` times the
/// in-flight caps are claimed, so the sending thread has the next deliveries at hand when a
/// request finishes.
final class DeliveryBookkeeper: @unchecked Sendable {
    /// How many times the in-flight caps (global and per hook) may be claimed at once.
    static let claimAheadFactor = 16

    struct Inbox: Sendable {
        var finished: [FinishedAttempt] = []
        /// Claimed deliveries given back without an attempt. They become pending, due at once.
        var released: [ClaimedDelivery] = []
        /// Deliveries whose attempts still run and whose leases must last longer.
        var renewed: [Int64] = []
        /// Deliveries handed over twice, whose second copy was dropped without an attempt: they
        /// only stop counting as claimed.
        var forgotten: [ClaimedDelivery] = []
        var newWork = false
        var invalidated: Set<Int64> = []
        /// Set by the sending thread's last submission, after which this thread records it and
        /// exits.
        var stopping = false
        /// Set at shutdown: no more claims.
        var claimsStopped = false
    }

    let store: any DeliveryStore
    let registry: WebhookRegistry
    let settings: DeliverySettings
    let random: @Sendable () -> Double
    let recordResults: @Sendable ([(webhookId: Int64, result: WebhookResult)]) -> Void
    /// Whether the store applies results to the hooks' counters in the turn's transaction
    /// (`recordAndClaim`), instead of `recordResults` after it.
    let storeAppliesResults: Bool
    let watchers: OutcomeWatchers
    /// Reads the dispatcher's invalidation count.
    let currentEpoch: @Sendable () -> UInt64
    /// Hands ready deliveries to the sending thread. Returns false when that thread has
    /// exited and took none of them.
    let deliver: @Sendable ([ReadyDelivery]) -> Bool

    private let inbox = Mutex(Inbox())
    private let available = DispatchSemaphore(value: 0)
    let exited = DispatchSemaphore(value: 0)

    // Bookkeeping-thread state.
    /// Deliveries claimed and not yet recorded, per hook and in total.
    private var outstanding: [Int64: Int] = [:]
    private var outstandingTotal = 0
    var keys: [Int64: PreparedKeys] = [:]
    /// Hooks known to have no previous secret. Only a rotation adds one, and a rotation
    /// invalidates the hook, so the entry stays true until then.
    var withoutPreviousSecrets: Set<Int64> = []
    private var nextDue: Date?
    /// When all hooks were last scanned for due deliveries.
    private var lastScan = Date(timeIntervalSince1970: 0)
    private var lastPrune = Date(timeIntervalSince1970: 0)

    /// The records, results and outcomes of a turn whose transaction failed.
    struct UnwrittenTurn {
        var records: [AttemptRecord] = []
        var results: [(webhookId: Int64, result: WebhookResult)] = []
        var outcomes: [DeliveryOutcome] = []
    }

    /// A hook's signing keys with the secrets they were built from. Keys are kept while the
    /// secrets stay the same, because building a key costs more than signing with it.
    struct PreparedKeys {
        var secrets: [String]
        var keys: [SigningKey]
        var secretProblem: String?
    }

    init(
        store: any DeliveryStore, registry: WebhookRegistry, settings: DeliverySettings,
        random: @escaping @Sendable () -> Double,
        recordResults: @escaping @Sendable ([(webhookId: Int64, result: WebhookResult)]) -> Void,
        storeAppliesResults: Bool, watchers: OutcomeWatchers, currentEpoch: @escaping @Sendable () -> UInt64,
        deliver: @escaping @Sendable ([ReadyDelivery]) -> Bool
    ) {
        self.store = store
        self.registry = registry
        self.settings = settings
        self.random = random
        self.recordResults = recordResults
        self.storeAppliesResults = storeAppliesResults
        self.watchers = watchers
        self.currentEpoch = currentEpoch
        self.deliver = deliver
    }

    func start() {
        Thread.named("hw-bookkeeping") { [self] in
            run()
            exited.signal()
        }.start()
    }

    /// Queues finished, released, renewed and forgotten deliveries for the next turn. Called by
    /// the sending thread.
    func submit(
        finished: [FinishedAttempt], released: [ClaimedDelivery], renewed: [Int64] = [],
        forgotten: [ClaimedDelivery] = [], stopping: Bool = false
    ) {
        inbox.withLock {
            $0.finished.append(contentsOf: finished)
            $0.released.append(contentsOf: released)
            $0.renewed.append(contentsOf: renewed)
            $0.forgotten.append(contentsOf: forgotten)
            if stopping { $0.stopping = true }
        }
        available.signal()
    }

    /// Stops claiming, at the start of a shutdown.
    func stopClaiming() {
        inbox.withLock { $0.claimsStopped = true }
        available.signal()
    }

    func notifyNewWork() {
        inbox.withLock { $0.newWork = true }
        available.signal()
    }

    func invalidate(webhookId: Int64) {
        inbox.withLock {
            $0.invalidated.insert(webhookId)
            $0.newWork = true
        }
        available.signal()
    }

    // MARK: - The loop

    private func run() {
        // Whether to scan all hooks' due deliveries, and not only top up the hooks whose
        // attempts finished.
        var wantScan = true
        var claiming = true
        // What a failed turn could not write, written first by the next turn.
        var unwritten = UnwrittenTurn()
        while true {
            let mail = inbox.withLock { inbox -> Inbox in
                let taken = inbox
                inbox = Inbox()
                inbox.claimsStopped = taken.claimsStopped
                return taken
            }
            if mail.claimsStopped { claiming = false }
            for id in mail.invalidated {
                keys[id] = nil
                withoutPreviousSecrets.remove(id)
            }
            if mail.newWork { wantScan = true }

            let now = Date()
            var records = unwritten.records
            var outcomes = unwritten.outcomes
            var results = unwritten.results
            unwritten = UnwrittenTurn()
            var settledHooks: [Int64] = []
            records.reserveCapacity(records.count + mail.finished.count + mail.released.count)
            let watched = !watchers.isEmpty
            for finished in mail.finished {
                let (record, outcome) = attemptRecord(finished, now: now, watched: watched)
                records.append(record)
                if let outcome { outcomes.append(outcome) }
                results.append((webhookId: finished.claimed.webhookId, result: finished.report.result))
                settle(finished.claimed.webhookId, into: &settledHooks)
            }
            for claimed in mail.released {
                records.append(AttemptRecord(deliveryId: claimed.id, attempt: nil, disposition: .retry(at: now)))
                settle(claimed.webhookId, into: &settledHooks)
            }
            let leaseUntil = now.addingTimeInterval(settings.leaseDuration)
            for id in mail.renewed {
                records.append(AttemptRecord(deliveryId: id, attempt: nil, disposition: .inFlight(until: leaseUntil)))
            }
            for claimed in mail.forgotten { settle(claimed.webhookId) }

            var request: ClaimRequest?
            if claiming && !mail.stopping {
                if now.timeIntervalSince(lastPrune) >= settings.pruneInterval { prune(now: now) }
                if let due = nextDue, due <= now, now.timeIntervalSince(lastScan) >= 0.25 { wantScan = true }
                if now.timeIntervalSince(lastScan) >= 1 { wantScan = true }
                if wantScan || !settledHooks.isEmpty {
                    request = claimRequest(now: now, topUp: settledHooks, scan: wantScan)
                }
            }

            if records.isEmpty && request == nil {
                if mail.stopping { return }
                _ = available.wait(timeout: .now() + waitSeconds(now: now))
                continue
            }

            var storeResults: WebhookResults?
            if storeAppliesResults, !results.isEmpty {
                storeResults = WebhookResults(
                    results: results, consecutiveErrorLimit: registry.configuration.consecutiveErrorLimit,
                    time: registry.configuration.now())
            }
            let batch: ClaimBatch
            do {
                batch = try store.recordAndClaim(records, results: storeResults, now: now, claim: request)
            } catch {
                // The next turn, at most a second later, writes these records again. Should the
                // process stop first, the attempts stay claimed until their leases run out and
                // are made again then.
                // NOTE: the storage error itself is not reported: the engine has no log sink.
                unwritten = UnwrittenTurn(records: records, results: results, outcomes: outcomes)
                nextDue = now.addingTimeInterval(1)
                if request?.scansAllWebhooks == true {
                    lastScan = now
                    wantScan = false
                }
                if mail.stopping { return }
                _ = available.wait(timeout: .now() + 1)
                continue
            }
            if let request {
                // A claim that took its whole limit leaves more due work behind.
                nextDue = batch.deliveries.count >= request.limit ? now : batch.nextDue
                if request.scansAllWebhooks {
                    lastScan = now
                    wantScan = false
                }
            } else {
                nextDue = batch.nextDue
            }

            if batch.resultsApplied {
                for change in batch.stateChanges { registry.configuration.onStateChange(change) }
            } else if !results.isEmpty {
                recordResults(results)
            }
            watchers.notify(outcomes)
            if !batch.deliveries.isEmpty {
                let ready = prepare(batch.deliveries, leaseUntil: request?.leaseUntil ?? now, now: now)
                if !ready.isEmpty, !deliver(ready) { releaseUndelivered(ready, now: now) }
            }
            if mail.stopping { return }
        }
    }

    /// Returns the claim's limits, or nil when the deliveries claimed already fill them.
    ///
    /// - Parameters:
    ///   - topUp: Hooks whose attempts finished, claimed for first from their own backlog.
    ///   - scan: Whether to look for due deliveries of every hook too.
    private func claimRequest(now: Date, topUp: [Int64], scan: Bool) -> ClaimRequest? {
        let perHook = settings.maximumInFlightPerWebhook * Self.claimAheadFactor
        let limit = settings.maximumInFlight * Self.claimAheadFactor - outstandingTotal
        guard limit > 0 else { return nil }
        var remaining: [Int64: Int] = [:]
        for (hookId, count) in outstanding { remaining[hookId] = max(0, perHook - count) }
        return ClaimRequest(
            now: now, leaseUntil: now.addingTimeInterval(settings.leaseDuration), limit: limit,
            perWebhookRemaining: remaining, defaultPerWebhookLimit: perHook, webhooksFirst: topUp,
            scansAllWebhooks: scan)
    }

    private func waitSeconds(now: Date) -> Double {
        guard let due = nextDue else { return 1 }
        // A due time already passed means the due deliveries wait for a free slot. A recorded
        // attempt frees one and wakes this thread, so a short nap suffices.
        return due > now ? min(1, due.timeIntervalSince(now)) : 0.25
    }

    /// Counts a delivery handed to the sending thread, until its record comes back.
    func claimedOne(_ hookId: Int64) {
        outstandingTotal += 1
        outstanding[hookId, default: 0] += 1
    }

    /// Counts a delivery's record back, and lists its hook in `hooks` once.
    private func settle(_ hookId: Int64, into hooks: inout [Int64]) {
        settle(hookId)
        if hooks.last != hookId, !hooks.contains(hookId) { hooks.append(hookId) }
    }

    private func settle(_ hookId: Int64) {
        outstandingTotal -= 1
        let remaining = (outstanding[hookId] ?? 1) - 1
        outstanding[hookId] = remaining > 0 ? remaining : nil
    }

    /// Makes deliveries that the sending thread refused (it has exited) pending again.
    private func releaseUndelivered(_ ready: [ReadyDelivery], now: Date) {
        for delivery in ready { settle(delivery.claimed.webhookId) }
        let records = ready.map { AttemptRecord(deliveryId: $0.claimed.id, attempt: nil, disposition: .retry(at: now)) }
        // NOTE: when this fails, the deliveries stay claimed until their leases run out.
        _ = try? store.record(records, now: now)
    }

    private func prune(now: Date) {
        lastPrune = now
        // NOTE: a failed prune is retried at the next interval; the engine has no log sink to
        // report it to.
        _ = try? store.prune(finishedBefore: now.addingTimeInterval(-settings.retention))
    }
}

