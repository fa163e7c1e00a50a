import Foundation
@testable import Hookwire
@testable import HookwireSQLite
import Synchronization
import Testing

/// Publishing and delivering through the whole engine to the Python receiver on loopback.
@Suite(.serialized) struct EngineDeliveryTests {
    @Test func deliveryIsSignedAndVerifiedByReceiver() throws {
        let fixture = try EngineFixture()
        let hook = try fixture.engine.registry.save(
            Webhook(
                name: "ERP", events: ["contact.*"], targetURL: fixture.receiver.url("/erp"), secret: testSecret,
                headers: ["X-Tenant": "north"], properties: ["tenant": "north", "Event": "forged"]))
        let result = try fixture.engine.publish(
            EventPublication(
                event: "contact.created", primaryKey: 4711, changes: ["name"], fieldValues: ["name": "Åse 🐟"],
                changedByAssociateId: 12, contextIdentifier: "Cust26759", data: .object(["source": "crm"])))
        #expect(result.matchedWebhooks == 1)
        #expect(UUID(uuidString: result.eventId) != nil)

        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .succeeded).first)
        let request = try #require(fixture.receiver.requests(path: "/erp").first)
        #expect(request.standard == [true])
        #expect(request.bodyOnly == [true])
        #expect(request.headers["webhook-id"] == delivery.messageId)
        #expect(request.headers["x-hookwire-event"] == "contact.created")
        #expect(request.headers["x-hookwire-event-id"] == result.eventId)
        #expect(request.headers["x-hookwire-retry"] == "0")
        #expect(request.headers["x-tenant"] == "north")
        #expect(request.headers["user-agent"] == "Hookwire/\(HookwireEngine.version)")
        #expect(request.headers["content-type"] == "application/json; charset=utf-8")

        let json = request.json
        #expect(json["EventId"] as? String == result.eventId)
        #expect(json["Event"] as? String == "contact.created")
        #expect(json["Entity"] as? String == "contact")
        #expect(json["PrimaryKey"] as? Int == 4711)
        #expect(json["ChangedByAssociateId"] as? Int == 12)
        #expect(json["ContextIdentifier"] as? String == "Cust26759")
        #expect(json["WebhookName"] as? String == "ERP")
        #expect(json["tenant"] as? String == "north")
        #expect((json["FieldValues"] as? [String: Any])?["name"] as? String == "Åse 🐟")
        #expect((json["Data"] as? [String: Any])?["source"] as? String == "crm")
        let timestamp = try #require(json["Timestamp"] as? String)
        #expect(timestamp.count == 28)
        #expect(timestamp.hasSuffix("Z"))

        let attempts = try fixture.engine.attempts(deliveryId: delivery.id)
        #expect(attempts.count == 1)
        #expect(attempts.first?.status == 200)
        #expect(attempts.first?.responseBody == "ok")
        #expect(attempts.first?.responseHeaders.contains("Content-Type: text/plain") == true)
        #expect(try fixture.engine.registry.usage(id: hook.id).totalCalls == 1)
    }

    @Test func publishMatchesOnlyActiveSubscribers() throws {
        let fixture = try EngineFixture()
        try fixture.hook("/exact", events: ["sale.sold"])
        try fixture.hook("/entity", events: ["sale.*"])
        try fixture.hook("/all", events: ["*"])
        try fixture.hook("/other", events: ["contact.created"])
        var stopped = try fixture.hook("/stopped", events: ["sale.sold"])
        stopped.state = .stopped
        _ = try fixture.engine.registry.save(stopped)
        let result = try fixture.publish("sale.sold")
        #expect(result.matchedWebhooks == 3)
        let batch = try fixture.engine.publish(batch: [
            EventPublication(event: "sale.lost"), EventPublication(event: "contact.created"),
        ])
        #expect(batch.map(\.matchedWebhooks) == [2, 2])
    }

    @Test func invalidEventsAreRejectedWithTheValue() throws {
        let fixture = try EngineFixture { $0.maximumPayloadBytes = 2048 }
        do {
            _ = try fixture.publish("contact created")
            Issue.record("expected an error")
        } catch let error as HookwireError {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("contact created"))
        }
        do {
            _ = try fixture.engine.publish(
                EventPublication(event: "document.edited", data: .string(String(repeating: "x", count: 4000))))
            Issue.record("expected an error")
        } catch let error as HookwireError {
            #expect(error.code == .tooLarge)
            #expect(error.message.contains("2048"))
            #expect(error.message.contains("--max-payload-size"))
        }
        do {
            _ = try fixture.engine.publish(batch: [EventPublication(event: "a.b"), EventPublication(event: "*")])
            Issue.record("expected an error")
        } catch let error as HookwireError {
            #expect(error.message.contains("event 1 of the batch"))
        }
        // A caller may not forge the state-change events Hookwire publishes itself.
        for name in ["webhook.errors", "Webhook.Started", "webhook.custom"] {
            let error = #expect(throws: HookwireError.self) { try fixture.publish(name) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("invalid event name \"\(name)\": events of the webhook entity") == true)
        }
        #expect(try fixture.engine.stats().eventsPublished == 0)
    }

    @Test func retryKeepsIdAndSignsFreshTimestamp() throws {
        let fixture = try EngineFixture { $0.retrySchedule = RetrySchedule(delays: [1.1], jitter: 0) }
        let hook = try fixture.hook("/flaky?statuses=503,200")
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        let requests = fixture.receiver.requests(path: "/flaky")
        try #require(requests.count == 2)
        #expect(requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"])
        #expect(requests[0].headers["x-hookwire-retry"] == "0")
        #expect(requests[1].headers["x-hookwire-retry"] == "1")
        let first = Int(requests[0].headers["webhook-timestamp"] ?? "") ?? 0
        let second = Int(requests[1].headers["webhook-timestamp"] ?? "") ?? 0
        #expect(second > first)
        #expect(requests[1].standard == [true])
        #expect(requests[0].headers["webhook-signature"] != requests[1].headers["webhook-signature"])
        let attempts = try fixture.engine.attempts(deliveryId: try #require(fixture.deliveries(of: hook).first).id)
        #expect(attempts.map(\.status) == [503, 200])
        #expect(attempts.first?.errorKind == .httpStatus)
    }

    @Test func redirectIsFailureNotFollowed() throws {
        let fixture = try EngineFixture { $0.retrySchedule = RetrySchedule(delays: []) }
        let hook = try fixture.hook("/moved?status=301&header=Location:/elsewhere")
        _ = try fixture.publish()
        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .failed).first)
        #expect(delivery.lastStatus == 301)
        let attempt = try #require(try fixture.engine.attempts(deliveryId: delivery.id).first)
        #expect(attempt.errorKind == .redirect)
        #expect(attempt.error?.contains("/elsewhere") == true)
        #expect(fixture.receiver.requests(path: "/elsewhere").isEmpty)
    }

    @Test func goneDisablesHookAndAnnouncesIt() throws {
        let fixture = try EngineFixture()
        let hook = try fixture.hook("/gone?status=410")
        let listener = try fixture.hook("/listener", events: ["webhook.errors"])
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .failed)
        #expect(try eventually { try fixture.engine.registry.get(id: hook.id)?.state == .tooManyErrors })
        #expect(fixture.receiver.requests(path: "/gone").count == 1)

        let announcement = try #require(fixture.receiver.waitFor(path: "/listener", count: 1).first)
        let json = announcement.json
        #expect(json["Event"] as? String == "webhook.errors")
        let values = try #require(json["FieldValues"] as? [String: Any])
        #expect(values["webhook_id"] as? Int == Int(hook.id))
        #expect((values["reason"] as? String)?.contains("410") == true)
        _ = listener
    }

    @Test func nineConsecutiveFailuresDisableHook() throws {
        let fixture = try EngineFixture {
            $0.retrySchedule = RetrySchedule(delays: Array(repeating: 0.05, count: 12), jitter: 0)
        }
        let hook = try fixture.hook("/broken?status=500")
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .held)
        #expect(try eventually { try fixture.engine.registry.get(id: hook.id)?.state == .tooManyErrors })
        let usage = try fixture.engine.registry.usage(id: hook.id)
        #expect(usage.consecutiveErrors == 9)
        #expect(usage.lastError?.contains("500") == true)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(fixture.receiver.requests(path: "/broken").count == 9)
    }

    @Test func heldDeliveriesResumeOnReactivation() throws {
        let fixture = try EngineFixture { $0.consecutiveErrorLimit = 2 }
        let hook = try fixture.hook("/recovering?statuses=500,500,200")
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .held)
        #expect(try eventually { try fixture.engine.registry.get(id: hook.id)?.state == .tooManyErrors })
        // A disabled hook gets no new deliveries, but keeps the held one.
        #expect(try fixture.publish().matchedWebhooks == 0)
        Thread.sleep(forTimeInterval: 0.5)
        #expect(fixture.receiver.requests(path: "/recovering").count == 2)

        var restarted = try #require(try fixture.engine.registry.get(id: hook.id))
        restarted.state = .active
        _ = try fixture.engine.registry.save(restarted)
        let delivered = try fixture.waitForDeliveries(of: hook, state: .succeeded)
        #expect(delivered.first?.attempts == 3)
        #expect(fixture.receiver.requests(path: "/recovering").count == 3)
    }

    @Test func deletedHookDeliveriesAreCancelled() throws {
        let fixture = try EngineFixture { $0.maximumInFlightPerWebhook = 1 }
        let hook = try fixture.hook("/slow?delay=1")
        for key in 1...4 { _ = try fixture.publish(primaryKey: Int64(key)) }
        fixture.receiver.waitFor(path: "/slow", count: 1)
        try fixture.engine.registry.delete(id: hook.id)
        try eventually {
            try fixture.deliveries(of: hook).filter { $0.state == .cancelled }.count >= 3
        }
        Thread.sleep(forTimeInterval: 1.5)
        #expect(fixture.receiver.requests(path: "/slow").count == 1)
        let states = try fixture.deliveries(of: hook).map(\.state)
        #expect(states.filter { $0 == .cancelled }.count == 3)
        #expect(!states.contains(.pending))
    }

    @Test func hookEditedWhileDeliveriesWaitUsesNewTarget() throws {
        let fixture = try EngineFixture { $0.maximumInFlightPerWebhook = 1 }
        var hook = try fixture.hook("/before?delay=1")
        for key in 1...3 { _ = try fixture.publish(primaryKey: Int64(key)) }
        // The first attempt is running, and the other two are claimed and wait for its slot.
        fixture.receiver.waitFor(path: "/before", count: 1)
        hook.targetURL = fixture.receiver.url("/after")
        _ = try fixture.engine.registry.save(hook)

        fixture.receiver.waitFor(path: "/after", count: 2)
        try fixture.waitForDeliveries(of: hook, count: 3, state: .succeeded)
        #expect(fixture.receiver.requests(path: "/before").count == 1)
        #expect(fixture.receiver.requests(path: "/after").count == 2)
    }

    @Test func fullDiskKeepsRecordsUntilSpaceReturns() throws {
        let fixture = try EngineFixture()
        // A 3,000-byte response body makes each attempt's record need a new database page.
        let hook = try fixture.hook("/full?delay=1&body=" + String(repeating: "b", count: 3000))
        let store = try #require(fixture.engine.store as? SQLiteDeliveryStore)
        // The first record fills the empty root page of the attempts table.
        _ = try fixture.publish(primaryKey: 0)
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        for key in 1...4 { _ = try fixture.publish(primaryKey: Int64(key)) }
        fixture.receiver.waitFor(path: "/full", count: 5)

        // The responses arrive about a second later, when the file may not grow.
        try store.withBookkeeping { connection in
            let pages = try connection.statement("PRAGMA page_count")
            _ = try pages.step()
            try connection.execute("PRAGMA max_page_count = \(pages.int64(0))")
        }
        Thread.sleep(forTimeInterval: 2)
        let blocked = try fixture.deliveries(of: hook).filter { $0.state == .inFlight }
        #expect(blocked.count == 4)

        try store.withBookkeeping { try $0.execute("PRAGMA max_page_count = 1073741823") }
        let delivered = try fixture.waitForDeliveries(of: hook, count: 5, state: .succeeded)
        #expect(delivered.allSatisfy { $0.attempts == 1 })
        #expect(fixture.receiver.requests(path: "/full").count == 5)
        #expect(try fixture.engine.registry.usage(id: hook.id).totalCalls == 5)
    }

    @Test func eventIdsAreVersionFourUUIDs() throws {
        let pattern = try Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        var seen: Set<String> = []
        for _ in 0..<10_000 {
            let id = HookwireEngine.makeEventId()
            #expect(id.wholeMatch(of: pattern) != nil, "\(id)")
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test func engineThreadsCarryTheirNames() throws {
        let fixture = try EngineFixture()
        var names: Set<String> = []
        try eventually(timeout: 5) {
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            names = Set(tasks.compactMap { task in
                (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            })
            return names.isSuperset(of: ["hw-delivery", "hw-bookkeeping", "hw-commit", "hw-plugin-1"])
        }
        for name in ["hw-delivery", "hw-bookkeeping", "hw-commit", "hw-plugin-1"] {
            #expect(names.contains(name), "threads: \(names.sorted())")
        }
        _ = fixture
    }

    @Test func hangingHookDoesNotDelayHealthyOne() throws {
        let fixture = try EngineFixture { $0.requestTimeout = 8; $0.leaseDuration = 20 }
        try fixture.hook("/hanging?delay=6", events: ["ticket.created"])
        let healthy = try fixture.hook("/healthy", events: ["ticket.created"])
        for key in 1...20 { _ = try fixture.publish("ticket.created", primaryKey: Int64(key)) }
        // The hanging hook keeps its 8 slots busy for 6 seconds; the healthy one must finish first.
        try fixture.waitForDeliveries(of: healthy, count: 20, state: .succeeded, timeout: 5)
        #expect(fixture.receiver.requests(path: "/healthy").count == 20)
        #expect(fixture.receiver.requests(path: "/hanging").count == 8)
    }

    @Test func privateTargetRefusedUnlessAllowed() throws {
        let fixture = try EngineFixture { $0.allowedRanges = [] }
        let hook = try fixture.hook("/private")
        _ = try fixture.publish()
        var attempt: DeliveryAttempt?
        try eventually {
            guard let delivery = try fixture.deliveries(of: hook).first else { return false }
            attempt = try fixture.engine.attempts(deliveryId: delivery.id).first
            return attempt != nil
        }
        #expect(attempt?.errorKind == .blockedAddress)
        #expect(attempt?.error?.contains("127.0.0.1") == true)
        #expect(attempt?.error?.contains("allowPrivateTargets") == true)
        #expect(fixture.receiver.requests(path: "/private").isEmpty)

        let allowing = try EngineFixture { $0.allowedRanges = []; $0.allowPrivateTargets = true }
        let allowed = try allowing.hook("/private")
        _ = try allowing.publish()
        try allowing.waitForDeliveries(of: allowed, state: .succeeded)
    }

    @Test func pingReportsResponseWithoutDeliveries() throws {
        let fixture = try EngineFixture()
        let hook = try fixture.hook("/ping?header=X-Receiver:python")
        let result = try fixture.engine.test(webhookId: hook.id)
        #expect(result.succeeded)
        #expect(result.message.contains("HTTP/1.1 200"))
        #expect(result.message.contains("X-Receiver: python"))
        #expect(result.message.hasSuffix("ok"))
        let request = try #require(fixture.receiver.requests(path: "/ping").first)
        #expect(request.headers["x-hook-test"] == "true")
        #expect(request.standard == [true])
        #expect(request.json["Event"] as? String == "test")
        #expect(request.json["Entity"] as? String == "test")
        #expect(request.json["PrimaryKey"] as? Int == 0)
        #expect(try fixture.deliveries(of: hook).isEmpty)

        let failing = try fixture.hook("/ping-fail?status=503&body=down")
        let failure = try fixture.engine.test(webhookId: failing.id)
        #expect(!failure.succeeded)
        #expect(failure.message.contains("503"))
        #expect(failure.message.contains("down"))
        Thread.sleep(forTimeInterval: 0.5)
        #expect(fixture.receiver.requests(path: "/ping-fail").count == 1)
        #expect(try fixture.engine.registry.get(id: failing.id)?.state == .active)
    }

    @Test func redeliveryResendsWithSameId() throws {
        let fixture = try EngineFixture { $0.retrySchedule = RetrySchedule(delays: []) }
        let hook = try fixture.hook("/again")
        _ = try fixture.publish()
        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .succeeded).first)
        try fixture.engine.redeliver(deliveryId: delivery.id)
        let requests = fixture.receiver.waitFor(path: "/again", count: 2)
        try #require(requests.count == 2)
        #expect(requests[1].headers["webhook-id"] == delivery.messageId)
        #expect(requests[1].headers["x-hookwire-retry"] == "1")
        try fixture.waitForDeliveries(of: hook, state: .succeeded)

        let since = Date()
        let flaky = try fixture.hook("/failing-then-ok?statuses=500,500,200", events: ["sale.sold"])
        _ = try fixture.publish("sale.sold", primaryKey: 1)
        _ = try fixture.publish("sale.sold", primaryKey: 2)
        try fixture.waitForDeliveries(of: flaky, count: 2, state: .failed)
        #expect(try fixture.engine.redeliverFailed(webhookId: flaky.id, since: since) == 2)
        try fixture.waitForDeliveries(of: flaky, count: 2, state: .succeeded)
        #expect(throws: HookwireError.self) { try fixture.engine.redeliver(deliveryId: 999_999) }

        var stopped = hook
        stopped.state = .stopped
        _ = try fixture.engine.registry.save(stopped)
        let error = #expect(throws: HookwireError.self) { try fixture.engine.redeliver(deliveryId: delivery.id) }
        #expect(error?.code == .failedPrecondition)
        #expect(error?.message == "delivery \(delivery.id) cannot be redelivered while webhook \(hook.id) is Stopped; "
            + "set the webhook Active and its held deliveries resume")
    }

    @Test func watchersReceiveEveryOutcome() throws {
        let fixture = try EngineFixture()
        let seen = Mutex<[DeliveryOutcome]>([])
        let token = fixture.engine.watch { outcome in seen.withLock { $0.append(outcome) } }
        let hook = try fixture.hook("/watched?statuses=500,200")
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        eventually { seen.withLock { $0.count } == 2 }
        let outcomes = seen.withLock { $0 }
        #expect(outcomes.map(\.attempt.status) == [500, 200])
        #expect(outcomes.map(\.delivery.state) == [.pending, .succeeded])
        fixture.engine.unwatch(token)
    }

    @Test func rotatedSecretSignsWithBoth() throws {
        let fixture = try EngineFixture()
        let hook = try fixture.hook("/rotating")
        let newSecret = try fixture.engine.rotateSecret(webhookId: hook.id)
        #expect(newSecret.hasPrefix("whsec_"))
        #expect(try fixture.engine.registry.get(id: hook.id)?.secret == newSecret)
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        let request = try #require(fixture.receiver.requests(path: "/rotating").first)
        #expect(request.standard == [true])
        #expect(request.headers["webhook-signature"]?.split(separator: " ").count == 2)
    }

    @Test func rotationWithoutOverlapSignsOnce() throws {
        let next = "whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="
        let fixture = try EngineFixture(secrets: [next])
        let hook = try fixture.hook("/rotated-now")
        #expect(try fixture.engine.rotateSecret(webhookId: hook.id, to: next, overlap: 0) == next)
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        let request = try #require(fixture.receiver.requests(path: "/rotated-now").first)
        #expect(request.standard == [true])
        #expect(request.headers["webhook-signature"]?.split(separator: " ").count == 1)
        #expect(throws: HookwireError.self) { try fixture.engine.rotateSecret(webhookId: hook.id, overlap: -1) }
    }

    @Test func shutdownLeavesUnfinishedDeliveriesPending() throws {
        let fixture = try EngineFixture()
        let hook = try fixture.hook("/slow-to-answer?statuses=200&delay=3")
        _ = try fixture.publish()
        fixture.receiver.waitFor(path: "/slow-to-answer", count: 1)
        fixture.engine.shutdown(timeout: 0.2)
        #expect(throws: HookwireError.self) { try fixture.publish() }
        let reopened = try HookwireEngine.open(
            EngineFixture.configuration(directory: fixture.directory) { $0.deliversEvents = false })
        #expect(try reopened.deliveries(DeliveryFilter(webhookId: hook.id)).first?.state == .pending)
        reopened.shutdown()
        fixture.engine = try HookwireEngine.open(EngineFixture.configuration(directory: fixture.directory) { _ in })
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        #expect(fixture.receiver.requests(path: "/slow-to-answer").count == 2)
    }
}
