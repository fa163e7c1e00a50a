import Foundation
import Hookwire
import Synchronization

/// `hookwire-bench delivery`: signed deliveries per second to an nginx on loopback, compared
/// with `wrk` POSTing the same body to the same nginx, plus publish-to-first-attempt latency
/// and resident memory with 100,000 pending deliveries.
enum DeliveryBenchmark {
    static let usage = """
        usage: hookwire-bench delivery [--events N] [--rounds N] [--pending N] [--seconds S] [--transport-only]

          --events N    events published to one hook (default 10000)
          --rounds N    events published one at a time to 100 hooks (default 100)
          --pending N   deliveries left pending for the memory figure (default 100000)
          --seconds S   duration of each wrk run (default 5)
          --transport-only
                        only the HTTP transport's rate, without storage (N = --events)

        Starts nginx (/usr/sbin/nginx) on a free loopback port with a temporary configuration
        that answers every request with 200, and runs wrk (/usr/bin/wrk) against it.
        """

    static func run(arguments: [String]) throws {
        var events = 10_000
        var rounds = 100
        var pending = 100_000
        var seconds = 5
        var transportOnly = false
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            if flag == "--transport-only" {
                transportOnly = true
                index += 1
                continue
            }
            let value = index + 1 < arguments.count ? Int(arguments[index + 1]) : nil
            switch (flag, value) {
            case ("--events", let number?): events = number
            case ("--rounds", let number?): rounds = number
            case ("--pending", let number?): pending = number
            case ("--seconds", let number?): seconds = number
            default:
                print(usage)
                exit(flag == "--help" ? 0 : 2)
            }
            index += 2
        }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookwire-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let nginx = try Nginx(directory: directory)
        defer { nginx.stop() }
        let url = "http://127.0.0.1:\(nginx.port)/hook"
        let body = samplePublication(size: 1024)
        print("nginx 1 worker on 127.0.0.1:\(nginx.port); bodies of about 1 KiB; CPU: \(ProcessInfo.processInfo.activeProcessorCount) cores")

        let bodyBytes = try sampleBody(url: url, directory: directory, publication: body)
        for concurrency in [8, 256] {
            try measureTransport(url: url, requests: events, concurrency: concurrency, body: bodyBytes)
        }
        let members = EventEnvelope.eventMembers(eventId: UUID().uuidString.lowercased(), timestamp: Date(), publication: body)
        for batch in [16, 128] { try measureStorage(directory: directory, events: events, batch: batch, members: members) }
        if transportOnly { return }
        let oneHook = try measure(
            label: "10000 events -> 1 hook", directory: directory, url: url, hooks: 1, events: events, batch: 500,
            publication: body)
        let fanOut = try measure(
            label: "1 event -> 100 hooks", directory: directory, url: url, hooks: 100, events: rounds, batch: 1,
            publication: body)
        try measureIdleLatency(directory: directory, url: url, events: 200, publication: body)
        for connections in [8, 64] {
            let rate = try Wrk.run(url: url, body: bodyBytes, connections: connections, seconds: seconds, directory: directory)
            print(String(format: "wrk POST same body, 1 thread, %d connections: %.0f requests/s", connections, rate))
        }
        _ = (oneHook, fanOut)
        try measureMemory(directory: directory, pending: pending, publication: body)
    }

    /// Returns an event whose delivery body is about `size` bytes.
    static func samplePublication(size: Int) -> EventPublication {
        EventPublication(
            event: "contact.changed", primaryKey: 4711, changes: ["name", "department"],
            fieldValues: ["name": "Nordlys Fiskeri AS", "padding": .string(String(repeating: "x", count: max(0, size - 420)))],
            changedByAssociateId: 12, contextIdentifier: "Cust26759")
    }

    static func configuration(directory: URL, name: String) -> HookwireEngine.Configuration {
        var configuration = HookwireEngine.Configuration(databasePath: directory.appendingPathComponent(name).path)
        configuration.allowPrivateTargets = true
        return configuration
    }

    /// Publishes `events` events to `hooks` hooks and prints deliveries/s and the p50/p99 time
    /// from the delivery's commit to its first attempt's start.
    static func measure(
        label: String, directory: URL, url: String, hooks: Int, events: Int, batch: Int, publication: EventPublication
    ) throws -> Double {
        let engine = try HookwireEngine.open(configuration(directory: directory, name: "\(hooks)-hooks.db"))
        defer { engine.shutdown(timeout: 5) }
        for number in 1...hooks {
            _ = try engine.registry.save(Webhook(name: "bench \(number)", events: ["contact.changed"], targetURL: url))
        }
        let total = hooks * events
        let state = Mutex((done: 0, failed: 0, latencies: [Double]()))
        let finished = DispatchSemaphore(value: 0)
        let token = engine.watch { outcome in
            let complete = state.withLock { state -> Bool in
                state.done += 1
                if outcome.attempt.status != 200 { state.failed += 1 }
                if outcome.attempt.number == 0 {
                    state.latencies.append(outcome.attempt.startedAt.timeIntervalSince(outcome.delivery.createdAt))
                }
                return state.done == total
            }
            if complete { finished.signal() }
        }
        defer { engine.unwatch(token) }

        let start = Date()
        let cpuStart = processCPUSeconds()
        var published = 0
        while published < events {
            let count = min(batch, events - published)
            if count == 1 {
                _ = try engine.publish(publication)
            } else {
                _ = try engine.publish(batch: Array(repeating: publication, count: count))
            }
            published += count
        }
        let publishSeconds = Date().timeIntervalSince(start)
        if finished.wait(timeout: .now() + 300) == .timedOut { print("\(label): timed out after 300 s") }
        let elapsed = Date().timeIntervalSince(start)
        let cpu = processCPUSeconds() - cpuStart
        let result = state.withLock { $0 }
        let sorted = result.latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
        let rate = Double(result.done) / elapsed
        print(
            String(
                format: "%@: %d signed deliveries in %.2f s = %.0f deliveries/s (publishing took %.2f s, %d non-200, %.0f us of CPU per delivery); publish->first attempt p50 %.1f ms, p99 %.1f ms",
                label, result.done, elapsed, rate, publishSeconds, result.failed,
                cpu / Double(max(1, result.done)) * 1_000_000, percentile(0.5), percentile(0.99)))
        return rate
    }

    /// Publishes `events` events one at a time to one hook, each after the previous one was
    /// delivered, and prints p50/p99 from the publish call to the first attempt's start.
    static func measureIdleLatency(directory: URL, url: String, events: Int, publication: EventPublication) throws {
        let engine = try HookwireEngine.open(configuration(directory: directory, name: "idle.db"))
        defer { engine.shutdown(timeout: 5) }
        _ = try engine.registry.save(Webhook(name: "idle", events: ["contact.changed"], targetURL: url))
        let started = Mutex<Date?>(nil)
        let delivered = DispatchSemaphore(value: 0)
        let token = engine.watch { outcome in
            started.withLock { $0 = outcome.attempt.startedAt }
            delivered.signal()
        }
        defer { engine.unwatch(token) }
        var latencies: [Double] = []
        for _ in 0..<events {
            let publishedAt = Date()
            _ = try engine.publish(publication)
            if delivered.wait(timeout: .now() + 10) == .timedOut { continue }
            if let start = started.withLock({ $0 }) { latencies.append(start.timeIntervalSince(publishedAt) * 1000) }
        }
        latencies.sort()
        guard !latencies.isEmpty else { return }
        print(
            String(
                format: "idle, 1 event at a time -> 1 hook: publish call -> first attempt p50 %.2f ms, p99 %.2f ms (%d events)",
                latencies[latencies.count / 2], latencies[min(latencies.count - 1, latencies.count * 99 / 100)],
                latencies.count))
    }

    /// Returns the body that one delivery of `publication` sends.
    static func sampleBody(url: String, directory: URL, publication: EventPublication) throws -> [UInt8] {
        let members = EventEnvelope.eventMembers(eventId: UUID().uuidString.lowercased(), timestamp: Date(), publication: publication)
        return EventEnvelope.body(eventMembers: members, data: nil, webhookName: "bench 1", properties: [:])
    }

    /// Publishes deliveries to hooks whose target accepts connections but never responds, and
    /// prints the resident memory while they are pending.
    static func measureMemory(directory: URL, pending: Int, publication: EventPublication) throws {
        let blackHole = try BlackHole()
        defer { blackHole.close() }
        let engine = try HookwireEngine.open(configuration(directory: directory, name: "pending.db"))
        defer { engine.shutdown(timeout: 0) }
        let hooks = 100
        for number in 1...hooks {
            _ = try engine.registry.save(
                Webhook(name: "pending \(number)", events: ["contact.changed"], targetURL: "http://127.0.0.1:\(blackHole.port)/"))
        }
        let before = residentMegabytes()
        var published = 0
        while published * hooks < pending {
            _ = try engine.publish(batch: Array(repeating: publication, count: 100))
            published += 100
        }
        Thread.sleep(forTimeInterval: 3)
        let stats = try engine.stats()
        print(
            String(
                format: "memory: %lld pending + %lld in flight deliveries; resident %.1f MB (%.1f MB before publishing)",
                stats.deliveriesPending, stats.deliveriesInFlight, residentMegabytes(), before))
    }

    /// User plus system CPU time of this process so far, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// VmRSS of this process from /proc/self/status, in MB.
    static func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kilobytes / 1024
        }
        return 0
    }
}
