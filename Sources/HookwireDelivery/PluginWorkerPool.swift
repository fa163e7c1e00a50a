import Foundation
import HookwireCore
import Synchronization

/// A few threads that run plugin deliveries, which may block, off the delivery thread.
final class PluginWorkerPool: Sendable {
    struct Job: Sendable {
        var token: Int64
        var plugin: any WebhookPlugin
        var delivery: PluginDelivery
    }

    private struct State {
        var jobs: [Job] = []
        var stopped = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let completion: @Sendable (Int64, WebhookResult, Date, Int64) -> Void

    /// - Parameter completion: Called on a worker thread with the job's token, the plugin's
    ///   result, the start time and the duration in milliseconds.
    init(threads: Int, completion: @escaping @Sendable (Int64, WebhookResult, Date, Int64) -> Void) {
        self.completion = completion
        for index in 0..<max(1, threads) {
            Thread.named("hw-plugin-\(index + 1)") { [self] in self.run() }.start()
        }
    }

    func submit(_ job: Job) {
        state.withLock { $0.jobs.append(job) }
        available.signal()
    }

    /// Lets the workers finish their current job and exit; queued jobs are dropped (their
    /// deliveries stay claimed and are retried when the lease runs out).
    func stop(threads: Int) {
        state.withLock { $0.stopped = true }
        for _ in 0..<max(1, threads) { available.signal() }
    }

    private func run() {
        while true {
            available.wait()
            let next: Job? = state.withLock { state in
                if state.stopped { return nil }
                return state.jobs.isEmpty ? nil : state.jobs.removeFirst()
            }
            if state.withLock({ $0.stopped }) { return }
            guard let job = next else { continue }
            let started = Date()
            let clock = DispatchTime.now().uptimeNanoseconds
            let result = job.plugin.deliver(job.delivery)
            let elapsed = Int64((DispatchTime.now().uptimeNanoseconds - clock) / 1_000_000)
            completion(job.token, result, started, elapsed)
        }
    }
}
