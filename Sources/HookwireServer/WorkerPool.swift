import Foundation

/// A fixed set of threads that run blocking work (SQLite, plugin and test deliveries) off the
/// event loops.
///
/// Jobs run in submission order across the pool. Thread safety: `queue` and `isStopping` are
/// guarded by `condition`.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var head = 0
    private var isStopping = false
    private let exited = DispatchGroup()

    /// Starts `count` threads named `name-1`, `name-2`, and so on. The pool keeps no reference to
    /// its threads: each thread's closure retains the pool until the thread exits, so a stopped
    /// pool is freed with no cycle left behind.
    init(count: Int, name: String) {
        for index in 0..<max(1, count) {
            exited.enter()
            let thread = Thread.named("\(name)-\(index + 1)") { [self] in
                run()
                exited.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues a job. Returns false, without queueing, once the pool is stopping.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !isStopping else { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// Queues several jobs under one lock, waking as many threads, and empties `jobs`.
    /// Returns false, without queueing, once the pool is stopping.
    @discardableResult
    func submit(contentsOf jobs: inout [@Sendable () -> Void]) -> Bool {
        guard !jobs.isEmpty else { return true }
        condition.lock()
        defer {
            condition.unlock()
            jobs.removeAll(keepingCapacity: true)
        }
        guard !isStopping else { return false }
        queue.append(contentsOf: jobs)
        if jobs.count == 1 { condition.signal() } else { condition.broadcast() }
        return true
    }

    /// Lets the queued jobs finish, then stops the threads. Waits up to `timeout` seconds and
    /// returns whether every thread exited in time.
    @discardableResult
    func stop(timeout: Double) -> Bool {
        condition.lock()
        isStopping = true
        condition.broadcast()
        condition.unlock()
        return exited.wait(timeout: .now() + timeout) == .success
    }

    private func run() {
        while let job = nextJob() {
            job()
        }
    }

    private func nextJob() -> (@Sendable () -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while head == queue.count {
            if isStopping { return nil }
            condition.wait()
        }
        let job = queue[head]
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return job
    }
}
