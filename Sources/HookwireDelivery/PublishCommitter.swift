import Foundation
import HookwireCore
import Synchronization

/// Group commit of publishes: concurrent publishers queue their events, and one committer
/// thread stores everything queued in one transaction and then releases them all.
///
/// A publisher blocks until its events and their deliveries are committed, so an acknowledged
/// publish survives a crash; under load many publishes share one commit.
public final class PublishCommitter: Sendable {
    final class Request: @unchecked Sendable {
        let events: [EventRecord]
        let done = DispatchSemaphore(value: 0)
        /// Written by the committer before `done` is signalled, read by the publisher after.
        var outcome: Result<[Int], HookwireError> = .success([])

        init(events: [EventRecord]) { self.events = events }
    }

    private struct Queue {
        var requests: [Request] = []
        var stopped = false
        /// Set by `rejectCommits()`: publishers get `unavailable`, but the engine's own events are
        /// still taken.
        var rejectingCommits = false
    }

    /// The maximum number of events committed in one transaction.
    public static let maximumBatch = 4096

    private let store: any DeliveryStore
    private let queue = Mutex(Queue())
    private let available = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)
    private let committed: @Sendable () -> Void

    /// - Parameter committed: Called after each commit that created deliveries.
    public init(store: any DeliveryStore, committed: @escaping @Sendable () -> Void) {
        self.store = store
        self.committed = committed
        Thread.named("hw-commit") { [self] in
            run()
            exited.signal()
        }.start()
    }

    /// Stores the events with their deliveries and returns the number of deliveries per event.
    ///
    /// - Throws: `unavailable` after `rejectCommits()` or `stop()`, or the store's error;
    ///   nothing of this call is stored then.
    public func commit(_ events: [EventRecord]) throws -> [Int] {
        let request = Request(events: events)
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.stopped, !queue.rejectingCommits else { return false }
            queue.requests.append(request)
            return true
        }
        guard accepted else { throw HookwireError(.unavailable, "the engine is shutting down and accepts no events") }
        available.signal()
        request.done.wait()
        return try request.outcome.get()
    }

    /// Queues events without waiting for their commit; used for events the engine raises itself,
    /// such as hook state changes, from threads that must not block. Dropped after `stop()`.
    public func enqueue(_ events: [EventRecord]) {
        let request = Request(events: events)
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.stopped else { return false }
            queue.requests.append(request)
            return true
        }
        if accepted { available.signal() }
    }

    /// Makes later `commit` calls throw `unavailable`, while `enqueue` still takes the events
    /// the engine raises itself (a hook disabled by an attempt that ends during shutdown) until
    /// `stop()`.
    public func rejectCommits() {
        queue.withLock { $0.rejectingCommits = true }
    }

    /// Commits what is queued, then stops; later commits throw `unavailable`.
    public func stop() {
        let first = queue.withLock { queue -> Bool in
            defer { queue.stopped = true }
            return !queue.stopped
        }
        guard first else { return }
        available.signal()
        exited.wait()
    }

    private func run() {
        while true {
            available.wait()
            let (batch, stopped) = queue.withLock { queue -> ([Request], Bool) in
                var taken: [Request] = []
                var count = 0
                while let next = queue.requests.first, taken.isEmpty || count + next.events.count <= Self.maximumBatch {
                    taken.append(queue.requests.removeFirst())
                    count += next.events.count
                }
                return (taken, queue.stopped && queue.requests.isEmpty)
            }
            if !batch.isEmpty { commitBatch(batch) }
            if stopped { return }
            // Several publishers may have signalled for one batch; the extra signals only cause
            // empty passes.
        }
    }

    private func commitBatch(_ batch: [Request]) {
        let events = batch.flatMap(\.events)
        let now = Date()
        do {
            let counts = try store.insertEvents(events, now: now)
            var offset = 0
            for request in batch {
                request.outcome = .success(Array(counts[offset..<offset + request.events.count]))
                offset += request.events.count
            }
            if counts.contains(where: { $0 > 0 }) { committed() }
        } catch {
            let failure = (error as? HookwireError) ?? HookwireError(.storage, "storing events failed: \(error)")
            for request in batch { request.outcome = .failure(failure) }
        }
        for request in batch { request.done.signal() }
    }
}
