import Foundation
import Hookwire
import HookwireSQLite
import Synchronization
import Testing

/// Attacks on the split delivery pipeline (sending thread, bookkeeping thread, one SQLite
/// transaction per turn): hooks that change, hang or disappear while their deliveries wait
/// in the sending thread's queues, and shutdowns in the middle of a burst. Each test checks
/// the receiver's log and the database: every (event, hook) pair delivered, no attempt made
/// twice, counters equal to the attempts made, and nothing left claimed.
@Suite struct DeliveryPipelineTests {
    @Test func manyHooksWithSmallCapsGetEachDeliveryOnce() throws {
        let fixture = try EngineFixture {
            $0.maximumInFlight = 6
            $0.maximumInFlightPerWebhook = 2
        }
        let hooks = try (0..<12).map { try fixture.hook("/many-\($0)") }
        let events = try publishMany(fixture.engine, count: 30)

        for hook in hooks { try fixture.waitForDeliveries(of: hook, count: 30, state: .succeeded, timeout: 20) }
        let requests = fixture.receiver.requests()
        #expect(requests.count == 12 * 30)
        #expect(repeatedAttempts(requests).isEmpty)
        for (index, hook) in hooks.enumerated() {
            let received = requests.filter { $0.path == "/many-\(index)" }
            #expect(Set(received.compactMap { $0.headers["x-hookwire-event-id"] }) == events)
            let usage = try fixture.engine.registry.usage(id: hook.id)
            #expect(usage.totalCalls == 30)
            #expect(usage.totalErrors == 0)
        }
        try expectNothingClaimed(fixture.engine)
    }

    @Test func hooksChangedWhileTheirDeliveriesWaitLoseNothing() throws {
        let rotated = "whsec_" + Data((0..<24).map { UInt8($0 &* 7 &+ 3) }).base64EncodedString()
        let fixture = try EngineFixture(secrets: [testSecret, rotated]) {
            $0.maximumInFlightPerWebhook = 1
            $0.secretRotationOverlap = 0
        }
        let toggled = try fixture.hook("/toggled?delay=0.02")
        var edited = try fixture.hook("/edited-0?delay=0.02")
        let dropped = try fixture.hook("/dropped?delay=0.05")
        let deleted = try fixture.hook("/deleted?delay=0.05")
        let signed = try fixture.hook("/rotated?delay=0.02")
        let events = try publishMany(fixture.engine, count: 40)

        // Each hook has one slot, so most of its deliveries are claimed and wait in its queue
        // while the changes below land.
        fixture.receiver.waitFor(path: "/dropped", count: 2)
        try fixture.engine.registry.delete(id: dropped.id)
        try fixture.engine.deleteWebhook(id: deleted.id)
        let deletedAt = Date().timeIntervalSince1970
        _ = try fixture.engine.rotateSecret(webhookId: signed.id, to: rotated)
        for round in 1...6 {
            var stopped = try #require(try fixture.engine.registry.get(id: toggled.id))
            stopped.state = .stopped
            _ = try fixture.engine.registry.save(stopped)
            Thread.sleep(forTimeInterval: 0.03)
            stopped.state = .active
            _ = try fixture.engine.registry.save(stopped)
            edited.targetURL = fixture.receiver.url("/edited-\(round)?delay=0.02")
            edited = try fixture.engine.registry.save(edited)
            Thread.sleep(forTimeInterval: 0.03)
        }

        for hook in [toggled, edited, signed] {
            try fixture.waitForDeliveries(of: hook, count: 40, state: .succeeded, timeout: 15)
        }
        for hook in [dropped, deleted] {
            #expect(
                try eventually(timeout: 5) {
                    try fixture.deliveries(of: hook).allSatisfy { $0.state == .cancelled || $0.state == .succeeded }
                })
        }
        let requests = fixture.receiver.requests()
        #expect(repeatedAttempts(requests).isEmpty)
        #expect(eventIds(requests, paths: ["/toggled"]) == events)
        #expect(eventIds(requests, paths: (0...6).map { "/edited-\($0)" }) == events)
        #expect(eventIds(requests, paths: ["/rotated"]) == events)
        // A request that started before the deletion may still be logged a moment after it.
        let late = requests.filter {
            ($0.path == "/deleted" || $0.path == "/dropped") && $0.received > deletedAt + 0.5
        }
        #expect(late.isEmpty)
        // The rotation had no overlap, so every request after it verifies with the new secret.
        let afterRotation = requests.filter { $0.path == "/rotated" && $0.received > deletedAt + 0.5 }
        #expect(!afterRotation.isEmpty)
        #expect(afterRotation.allSatisfy { $0.standard == [false, true] })
        try expectNothingClaimed(fixture.engine)
    }

    @Test func hookToggledManyTimesDeliversEverythingOnceActive() throws {
        let fixture = try EngineFixture { $0.maximumInFlightPerWebhook = 2 }
        let hook = try fixture.hook("/flapping?delay=0.01")
        let events = try publishMany(fixture.engine, count: 300)
        var current = try #require(try fixture.engine.registry.get(id: hook.id))
        for round in 0..<60 {
            current.state = .stopped
            current = try fixture.engine.registry.save(current)
            Thread.sleep(forTimeInterval: Double(round % 5) * 0.002)
            current.state = .active
            current = try fixture.engine.registry.save(current)
            Thread.sleep(forTimeInterval: Double(round % 3) * 0.004)
        }
        let final = try fixture.waitForDeliveries(of: hook, count: 300, state: .succeeded, timeout: 15)
        let states = Dictionary(grouping: try fixture.deliveries(of: hook), by: \.state).mapValues(\.count)
        #expect(final.count == 300, "deliveries by state with the hook active: \(states)")
        #expect(eventIds(fixture.receiver.requests(), paths: ["/flapping"]) == events)
    }

    @Test func hookReactivatedDuringHookLookupHoldsNothing() throws {
        let system = InterleavingSystemPlugin()
        let fixture = try EngineFixture {
            $0.maximumInFlightPerWebhook = 1
            $0.systemPlugins = [system]
        }
        let hook = try fixture.hook("/reactivated?delay=0.5")
        _ = try publishMany(fixture.engine, count: 3)
        fixture.receiver.waitFor(path: "/reactivated", count: 1)

        // The bookkeeping thread reads the hook stopped, and before it acts on that, the hook
        // is saved Active again, which resumes the hook's held deliveries.
        let engine = fixture.engine
        let reactivated = AcceptedEvents()
        let interleaving = try #require(system.store.withLock { $0 })
        interleaving.action.withLock {
            $0 = { stopped in
                var active = stopped
                active.state = .active
                if (try? engine.registry.save(active)) != nil { reactivated.ids.withLock { _ = $0.insert("saved") } }
            }
        }
        var stopped = try #require(try engine.registry.get(id: hook.id))
        stopped.state = .stopped
        _ = try engine.registry.save(stopped)
        Thread.sleep(forTimeInterval: 1)
        // Deliveries given back by the sending thread after the hold are pending while the hook
        // is stopped, and the next claim reads it stopped. Resuming the held ones directly
        // makes that happen on every run.
        if reactivated.ids.withLock({ $0.isEmpty }) {
            let deliveries = try SQLiteDeliveryStore(path: fixture.directory.appendingPathComponent("hookwire.db").path)
            _ = try deliveries.resumeDeliveries(webhookId: hook.id, now: Date())
        }
        #expect(try eventually(timeout: 3) { reactivated.ids.withLock { !$0.isEmpty } })
        #expect(try engine.registry.get(id: hook.id)?.state == .active)

        var states: [String] = []
        let delivered = try eventually(timeout: 5) {
            let all = try fixture.deliveries(of: hook)
            states = all.map(\.state.name)
            return all.count == 3 && all.allSatisfy { $0.state == .succeeded }
        }
        #expect(delivered, "deliveries of the active hook: \(states)")
    }

    @Test func hookReactivatedWhileBeingDisabledHoldsNothing() throws {
        let system = InterleavingSystemPlugin()
        let fixture = try EngineFixture {
            $0.consecutiveErrorLimit = 1
            $0.maximumInFlightPerWebhook = 1
            $0.retrySchedule = RetrySchedule(delays: [0.1, 0.1], jitter: 0)
            $0.systemPlugins = [system]
        }
        let hook = try fixture.hook("/disabled?statuses=500,200&delay=0.3")
        let engine = fixture.engine
        let interleaving = try #require(system.store.withLock { $0 })
        // The first failure disables the hook, and before the engine puts the hook's
        // deliveries on hold for that, the hook is saved Active again.
        interleaving.afterDisable.withLock {
            $0 = { id in
                guard var active = try? engine.registry.get(id: id) else { return }
                active.state = .active
                _ = try? engine.registry.save(active)
            }
        }
        _ = try publishMany(fixture.engine, count: 3)

        var states: [String] = []
        let delivered = try eventually(timeout: 5) {
            let all = try fixture.deliveries(of: hook)
            states = all.map(\.state.name)
            return all.count == 3 && all.allSatisfy { $0.state == .succeeded }
        }
        #expect(delivered, "deliveries of the active hook: \(states)")
        #expect(try engine.registry.get(id: hook.id)?.state == .active)
        #expect(interleaving.afterDisable.withLock { $0 == nil })
    }

    @Test func hangingHookWithShortLeasesLosesAndRepeatsNothing() throws {
        let fixture = try EngineFixture {
            $0.requestTimeout = 1
            $0.connectTimeout = 1
            $0.leaseDuration = 2.5
            // The hanging hook can take every global slot, so healthy deliveries queue behind
            // it for a whole request timeout and must be given back before their leases end.
            $0.maximumInFlight = 8
            $0.maximumInFlightPerWebhook = 8
            $0.consecutiveErrorLimit = 1000
            $0.retrySchedule = RetrySchedule(delays: [0.1], jitter: 0)
        }
        let hanging = try fixture.hook("/hanging?delay=3", events: ["ticket.created"])
        let healthy = try (0..<3).map { try fixture.hook("/healthy-\($0)", events: ["ticket.created"]) }
        let events = try publishMany(fixture.engine, event: "ticket.created", count: 24)

        for hook in healthy { try fixture.waitForDeliveries(of: hook, count: 24, state: .succeeded, timeout: 20) }
        try fixture.waitForDeliveries(of: hanging, count: 24, state: .failed, timeout: 20)
        let requests = fixture.receiver.requests()
        #expect(repeatedAttempts(requests).isEmpty)
        for index in 0..<3 {
            let received = requests.filter { $0.path == "/healthy-\(index)" }
            #expect(received.count == 24)
            #expect(Set(received.compactMap { $0.headers["x-hookwire-event-id"] }) == events)
        }
        // Two attempts of one delivery never overlap: the second starts after the first timed
        // out and waited its retry delay. The receiver's small listen backlog may drop a
        // connection attempt, so the attempts are read from the engine's records.
        var attemptCount = 0
        for delivery in try fixture.deliveries(of: hanging) {
            let attempts = try fixture.engine.attempts(deliveryId: delivery.id)
            attemptCount += attempts.count
            #expect(attempts.map(\.number) == [0, 1])
            #expect(attempts.allSatisfy { $0.errorKind == .timeout })
            if attempts.count == 2 {
                let firstEnd = attempts[0].startedAt.addingTimeInterval(Double(attempts[0].durationMilliseconds) / 1000)
                #expect(attempts[1].startedAt >= firstEnd)
            }
        }
        #expect(attemptCount == 48)
        #expect(requests.filter { $0.path == "/hanging" }.count <= 48)
        let usage = try fixture.engine.registry.usage(id: hanging.id)
        #expect(usage.totalCalls == 48)
        #expect(usage.totalErrors == 48)
        #expect(usage.consecutiveErrors == 48)
        try expectNothingClaimed(fixture.engine)

        // Its deliveries were given back many times, but new ones still start at once.
        let healthyHook = healthy[0]
        let before = fixture.receiver.requests(path: "/healthy-0").count
        for key in 100..<110 { _ = try fixture.publish("ticket.created", primaryKey: Int64(key)) }
        #expect(fixture.receiver.waitFor(path: "/healthy-0", count: before + 10, timeout: 3).count == before + 10)
        try fixture.waitForDeliveries(of: healthyHook, count: 34, state: .succeeded, timeout: 3)
    }

    @Test func concurrentFailuresDisableTheHookOnce() throws {
        let fixture = try EngineFixture {
            $0.retrySchedule = RetrySchedule(delays: [0.05, 0.05], jitter: 0)
        }
        let listener = try fixture.hook("/listener", events: ["webhook.errors"])
        let broken = try fixture.hook("/broken?status=500&delay=0.05")
        _ = try publishMany(fixture.engine, count: 20)

        #expect(try eventually { try fixture.engine.registry.get(id: broken.id)?.state == .tooManyErrors })
        #expect(
            try eventually {
                try fixture.deliveries(of: broken).allSatisfy { $0.state == .held || $0.state == .failed }
            })
        Thread.sleep(forTimeInterval: 0.5)
        let sent = fixture.receiver.requests(path: "/broken").count
        let usage = try fixture.engine.registry.usage(id: broken.id)
        #expect(usage.totalCalls == Int64(sent))
        #expect(usage.totalErrors == Int64(sent))
        #expect(usage.consecutiveErrors == Int64(sent))
        #expect(sent >= 9)
        let recorded = try fixture.deliveries(of: broken).reduce(0) { $0 + Int($1.attempts) }
        #expect(recorded == sent)
        let announcements = fixture.receiver.waitFor(path: "/listener", count: 1)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(fixture.receiver.requests(path: "/listener").count == 1)
        #expect(announcements.first?.json["Event"] as? String == "webhook.errors")
        _ = listener
    }

    @Test func deletingHookWithAttemptsInFlightKeepsDelivering() throws {
        let fixture = try EngineFixture {
            $0.retrySchedule = RetrySchedule(delays: [0.1, 0.1], jitter: 0)
        }
        let doomed = try fixture.hook("/doomed?statuses=500&delay=0.4", events: ["order.created"])
        let doomedByRegistry = try fixture.hook("/doomed-too?status=500&delay=0.4", events: ["order.created"])
        let survivor = try fixture.hook("/survivor", events: ["order.created"])
        _ = try publishMany(fixture.engine, event: "order.created", count: 20)
        fixture.receiver.waitFor(path: "/doomed", count: 8)
        fixture.receiver.waitFor(path: "/doomed-too", count: 8)
        try fixture.engine.deleteWebhook(id: doomed.id)
        try fixture.engine.registry.delete(id: doomedByRegistry.id)

        // The attempts in flight finish for hooks that no longer exist, and bookkeeping goes on.
        try fixture.waitForDeliveries(of: survivor, count: 20, state: .succeeded)
        for key in 100..<105 { _ = try fixture.publish("order.created", primaryKey: Int64(key)) }
        try fixture.waitForDeliveries(of: survivor, count: 25, state: .succeeded, timeout: 5)
        for hook in [doomed, doomedByRegistry] {
            var states: [DeliveryState] = []
            let settled = try eventually(timeout: 5) {
                states = try fixture.deliveries(of: hook).map(\.state)
                return states.allSatisfy { $0 == .cancelled }
            }
            #expect(settled, "deliveries of deleted hook \(hook.id): \(states.map(\.name))")
        }
        try expectNothingClaimed(fixture.engine)
    }

    @Test func deletedHookStaysCancelledWhenAttemptEnds() throws {
        let fixture = try EngineFixture {
            $0.retrySchedule = RetrySchedule(delays: [30], jitter: 0)
        }
        let hook = try fixture.hook("/ending?status=500&delay=0.5")
        _ = try fixture.publish()
        fixture.receiver.waitFor(path: "/ending", count: 1)
        try fixture.engine.deleteWebhook(id: hook.id)
        let delivery = try #require(try fixture.deliveries(of: hook).first)
        #expect(delivery.state == .cancelled)

        // The failed attempt is recorded, and the delivery stays cancelled instead of waiting
        // 30 seconds for a retry to a hook that no longer exists.
        #expect(try eventually(timeout: 3) { try fixture.engine.attempts(deliveryId: delivery.id).count == 1 })
        Thread.sleep(forTimeInterval: 0.2)
        let after = try #require(try fixture.engine.delivery(id: delivery.id))
        #expect(after.state == .cancelled)
        #expect(after.attempts == 1)
        #expect(try fixture.engine.stats().deliveriesPending == 0)
    }

    @Test func slowPluginOutlivingLeaseRunsOnce() throws {
        let plugin = SlowPlugin(typeName: "slowqueue", seconds: 3.5)
        let fixture = try EngineFixture {
            $0.plugins = [plugin]
            $0.requestTimeout = 1
            $0.leaseDuration = 2.5
        }
        let hook = try fixture.engine.registry.save(
            Webhook(name: "slow", events: ["contact.created"], targetURL: "queue-a", type: "slowqueue"))
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .succeeded, timeout: 8)
        Thread.sleep(forTimeInterval: 0.5)
        let counts = plugin.running.withLock { $0 }
        #expect(counts.count == 1)
        // The sending thread renews the lease of an attempt still running after half a lease.
        #expect(counts.values.allSatisfy { $0.max == 1 }, "deliveries of one message at once: \(counts)")
    }

    @Test func hookDisabledDuringShutdownIsAnnounced() throws {
        let fixture = try EngineFixture { $0.consecutiveErrorLimit = 1 }
        let listener = try fixture.hook("/announcements", events: ["webhook.errors"])
        let broken = try fixture.hook("/failing-late?status=500&delay=0.5")
        _ = try fixture.publish()
        fixture.receiver.waitFor(path: "/failing-late", count: 1)

        // The attempt ends while shutdown waits for it, and its failure disables the hook.
        fixture.engine.shutdown(timeout: 3)
        fixture.engine = try HookwireEngine.open(EngineFixture.configuration(directory: fixture.directory) { _ in })
        #expect(try fixture.engine.registry.get(id: broken.id)?.state == .tooManyErrors)
        let announced = fixture.receiver.waitFor(path: "/announcements", count: 1, timeout: 3)
        #expect(announced.count == 1)
        #expect(announced.first?.json["Event"] as? String == "webhook.errors")
        _ = listener
    }

    @Test func shutdownDuringPublishBurstThenReopenDeliversEverything() throws {
        let fixture = try EngineFixture {
            $0.maximumInFlightPerWebhook = 3
        }
        let hooks = try (0..<4).map { try fixture.hook("/burst-\($0)") }
        let accepted = AcceptedEvents()
        for cycle in 0..<2 {
            let engine = fixture.engine
            let publishers = DispatchGroup()
            for worker in 0..<2 {
                DispatchQueue.global().async(group: publishers) {
                    for key in 0..<200 {
                        let publication = EventPublication(
                            event: "contact.created", primaryKey: Int64(cycle * 10_000 + worker * 1000 + key))
                        guard let result = try? engine.publish(publication) else { return }
                        accepted.ids.withLock { _ = $0.insert(result.eventId) }
                    }
                }
            }
            fixture.receiver.waitFor(path: "/burst-0", count: 5 + cycle * 20)
            let started = Date()
            engine.shutdown(timeout: 0.3)
            #expect(Date().timeIntervalSince(started) < 3)
            #expect(publishers.wait(timeout: .now() + 5) == .success)
            fixture.engine = try HookwireEngine.open(EngineFixture.configuration(directory: fixture.directory) { _ in })
        }
        let events = accepted.ids.withLock { $0 }
        #expect(!events.isEmpty)
        for (index, hook) in hooks.enumerated() {
            let done = try eventually(timeout: 20) {
                try fixture.engine.deliveries(DeliveryFilter(webhookId: hook.id, state: .succeeded, limit: 10_000)).count
                    == events.count
            }
            #expect(done)
            #expect(eventIds(fixture.receiver.requests(), paths: ["/burst-\(index)"]) == events)
        }
        try expectNothingClaimed(fixture.engine)
    }

    // MARK: - Helpers

    /// Publishes `count` events with primary keys 1...count and returns their ids.
    func publishMany(_ engine: HookwireEngine, event: String = "contact.created", count: Int) throws -> Set<String> {
        let batch = (1...count).map { EventPublication(event: event, primaryKey: Int64($0)) }
        return Set(try engine.publish(batch: batch).map(\.eventId))
    }

    /// Returns the `webhook-id` and attempt number pairs that the receiver got more than once.
    func repeatedAttempts(_ requests: [Receiver.Request]) -> [String] {
        var seen: [String: Int] = [:]
        for request in requests {
            let key = "\(request.headers["webhook-id"] ?? "?") attempt \(request.headers["x-hookwire-retry"] ?? "?")"
            seen[key, default: 0] += 1
        }
        return seen.filter { $0.value > 1 }.map { "\($0.key) sent \($0.value) times" }.sorted()
    }

    /// Returns the event ids of the requests to any of `paths`, ignoring query strings.
    func eventIds(_ requests: [Receiver.Request], paths: [String]) -> Set<String> {
        let expectedPaths = Set(paths.map { String($0.prefix { $0 != "?" }) })
        return Set(requests.filter { expectedPaths.contains($0.path) }.compactMap { $0.headers["x-hookwire-event-id"] })
    }

    /// Checks that no delivery stays claimed once the work is done.
    func expectNothingClaimed(_ engine: HookwireEngine) throws {
        var stats = try engine.stats()
        _ = try eventually(timeout: 3) {
            stats = try engine.stats()
            return stats.deliveriesInFlight == 0 && stats.deliveriesPending == 0
        }
        #expect(stats.deliveriesInFlight == 0)
        #expect(stats.deliveriesPending == 0)
    }
}

/// Event ids whose publish returned, filled by several publishing threads.
final class AcceptedEvents: Sendable {
    let ids = Mutex<Set<String>>([])
}
