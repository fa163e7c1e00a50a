import Foundation
import HookwireCore
import Testing

@testable import HookwireSQLite

/// A webhook registry and a delivery store on one database file, as the engine opens them.
struct DeliveryStoreFixture {
    let directory: TemporaryDirectory
    let registry: WebhookRegistry
    let store: SQLiteDeliveryStore

    init() throws {
        directory = try TemporaryDirectory()
        let path = directory.path("deliveries.db")
        registry = WebhookRegistry(store: try SQLiteWebhookStore(path: path))
        store = try SQLiteDeliveryStore(path: path)
    }

    func hook(_ name: String, events: [String] = ["contact.created"]) throws -> Webhook {
        try registry.save(Webhook(name: name, events: events, targetURL: "https://example.com/\(name)"))
    }

    /// Stores `count` events named `event` and returns the deliveries created per event.
    @discardableResult
    func publish(_ count: Int, event: String = "contact.created", at now: Date = Date()) throws -> [Int] {
        let records = (0..<count).map { _ in
            EventRecord(
                eventId: UUID().uuidString.lowercased(), event: event, createdAt: now, members: Array(#""K":1"#.utf8),
                data: nil)
        }
        return try store.insertEvents(records, now: now)
    }

    func claim(
        limit: Int, perHook: Int, remaining: [Int64: Int] = [:], first: [Int64] = [], scan: Bool,
        results: WebhookResults? = nil, records: [AttemptRecord] = []
    ) throws -> ClaimBatch {
        let now = Date().addingTimeInterval(1)
        let request = ClaimRequest(
            now: now, leaseUntil: now.addingTimeInterval(60), limit: limit, perWebhookRemaining: remaining,
            defaultPerWebhookLimit: perHook, webhooksFirst: first, scansAllWebhooks: scan)
        return try store.recordAndClaim(records, results: results, now: now, claim: request)
    }
}

@Suite struct DeliveryStoreTests {
    @Test func publishMatchesNameWildcardAndStar() throws {
        let fixture = try DeliveryStoreFixture()
        let exact = try fixture.hook("exact", events: ["contact.created"])
        let entity = try fixture.hook("entity", events: ["contact.*"])
        let every = try fixture.hook("every", events: ["*"])
        _ = try fixture.hook("other", events: ["sale.created"])

        #expect(try fixture.publish(2) == [3, 3])
        #expect(try fixture.publish(1, event: "contact.deleted") == [2])
        #expect(try fixture.publish(1, event: "person.created") == [1])

        let deliveries = try fixture.store.deliveries(DeliveryFilter())
        #expect(deliveries.filter { $0.webhookId == exact.id }.count == 2)
        #expect(deliveries.filter { $0.webhookId == entity.id }.count == 3)
        #expect(deliveries.filter { $0.webhookId == every.id }.count == 4)
        for delivery in deliveries {
            let expected = "msg_" + delivery.eventId.replacingOccurrences(of: "-", with: "") + "_\(delivery.webhookId)"
            #expect(delivery.messageId == expected)
        }
    }

    @Test func topUpClaimsOnlyListedHook() throws {
        let fixture = try DeliveryStoreFixture()
        let listed = try fixture.hook("listed")
        let other = try fixture.hook("other")
        try fixture.publish(5)

        let batch = try fixture.claim(limit: 10, perHook: 3, first: [listed.id], scan: false)
        #expect(batch.deliveries.count == 3)
        #expect(batch.deliveries.allSatisfy { $0.webhookId == listed.id })
        #expect(batch.deliveries.map(\.id) == batch.deliveries.map(\.id).sorted())
        #expect(try fixture.store.deliveries(DeliveryFilter(webhookId: other.id)).allSatisfy { $0.state == .pending })
        #expect(try fixture.store.deliveries(DeliveryFilter(webhookId: listed.id)).filter { $0.state == .inFlight }.count == 3)
    }

    @Test func topUpSkipsRetriesScheduledLater() throws {
        let fixture = try DeliveryStoreFixture()
        let hook = try fixture.hook("retrying")
        try fixture.publish(3)
        let first = try fixture.claim(limit: 10, perHook: 10, first: [hook.id], scan: false)
        #expect(first.deliveries.count == 3)
        let later = Date().addingTimeInterval(3600)
        let retries = first.deliveries.map { AttemptRecord(deliveryId: $0.id, attempt: nil, disposition: .retry(at: later)) }
        try fixture.store.record(retries, now: Date())
        try fixture.publish(1)

        let topUp = try fixture.claim(limit: 10, perHook: 10, first: [hook.id], scan: false)
        #expect(topUp.deliveries.count == 1)
        #expect(!first.deliveries.map(\.id).contains(topUp.deliveries.first?.id ?? 0))
        #expect(try fixture.store.deliveries(DeliveryFilter(webhookId: hook.id, state: .pending)).count == 3)
    }

    @Test func scanAfterTopUpKeepsPerHookLimits() throws {
        let fixture = try DeliveryStoreFixture()
        let listed = try fixture.hook("listed")
        let other = try fixture.hook("other")
        try fixture.publish(5)

        let batch = try fixture.claim(limit: 10, perHook: 3, remaining: [listed.id: 2], first: [listed.id], scan: true)
        #expect(batch.deliveries.filter { $0.webhookId == listed.id }.count == 2)
        #expect(batch.deliveries.filter { $0.webhookId == other.id }.count == 3)
        #expect(Set(batch.deliveries.map(\.id)).count == 5)
        #expect(batch.nextDue != nil)
    }

    @Test func claimStopsAtGlobalLimit() throws {
        let fixture = try DeliveryStoreFixture()
        let first = try fixture.hook("first")
        _ = try fixture.hook("second")
        try fixture.publish(4)

        let batch = try fixture.claim(limit: 3, perHook: 4, first: [first.id], scan: true)
        #expect(batch.deliveries.count == 3)
        #expect(batch.deliveries.allSatisfy { $0.webhookId == first.id })
    }

    @Test func resultsUpdateCountersAndDisableHook() throws {
        let fixture = try DeliveryStoreFixture()
        let hook = try fixture.hook("failing")
        // Fill the shared cache, so that the state change must drop the cached copy.
        #expect(try fixture.registry.get(id: hook.id)?.state == .active)

        let failure = WebhookResult(succeeded: false, message: "HTTP/1.1 500 Internal Server Error")
        let results = WebhookResults(
            results: Array(repeating: (webhookId: hook.id, result: failure), count: 3), consecutiveErrorLimit: 3,
            time: Date())
        let batch = try fixture.claim(limit: 0, perHook: 1, scan: false, results: results)

        #expect(batch.resultsApplied)
        #expect(batch.stateChanges.count == 1)
        #expect(batch.stateChanges.first?.from == .active)
        #expect(batch.stateChanges.first?.to == .tooManyErrors)
        #expect(batch.stateChanges.first?.reason.contains("3 consecutive errors") == true)
        #expect(try fixture.registry.get(id: hook.id)?.state == .tooManyErrors)
        let usage = try fixture.registry.usage(id: hook.id)
        #expect(usage.totalCalls == 3)
        #expect(usage.totalErrors == 3)
        #expect(usage.consecutiveErrors == 3)
        #expect(usage.lastError == "HTTP/1.1 500 Internal Server Error")
    }

    @Test func successResetsConsecutiveErrors() throws {
        let fixture = try DeliveryStoreFixture()
        let hook = try fixture.hook("recovering")
        let failure = (webhookId: hook.id, result: WebhookResult(succeeded: false, message: "timed out"))
        let success = (webhookId: hook.id, result: WebhookResult(succeeded: true, message: "HTTP/1.1 200 OK"))
        let results = WebhookResults(results: [failure, failure, success], consecutiveErrorLimit: 9, time: Date())
        let batch = try fixture.claim(limit: 0, perHook: 1, scan: false, results: results)

        #expect(batch.stateChanges.isEmpty)
        let usage = try fixture.registry.usage(id: hook.id)
        #expect(usage.totalCalls == 3)
        #expect(usage.totalErrors == 2)
        #expect(usage.consecutiveErrors == 0)
        #expect(try fixture.registry.get(id: hook.id)?.state == .active)
    }

    @Test func resultsOfDeletedHookAreSkipped() throws {
        let fixture = try DeliveryStoreFixture()
        let hook = try fixture.hook("deleted")
        try fixture.registry.delete(id: hook.id)
        let results = WebhookResults(
            results: [(webhookId: hook.id, result: WebhookResult(succeeded: false, message: "gone"))],
            consecutiveErrorLimit: 1, time: Date())
        let batch = try fixture.claim(limit: 0, perHook: 1, scan: false, results: results)
        #expect(batch.resultsApplied)
        #expect(batch.stateChanges.isEmpty)
    }

    @Test func recordAndClaimRecordsBeforeClaiming() throws {
        let fixture = try DeliveryStoreFixture()
        let hook = try fixture.hook("records")
        try fixture.publish(2)
        let first = try fixture.claim(limit: 1, perHook: 1, first: [hook.id], scan: false)
        let claimed = try #require(first.deliveries.first)

        let attempt = DeliveryAttempt(
            deliveryId: claimed.id, number: 0, startedAt: Date(), durationMilliseconds: 3, status: 200,
            errorKind: .none, error: nil, responseHeaders: "HTTP/1.1 200 OK\r\n", responseBody: "")
        let second = try fixture.claim(
            limit: 1, perHook: 1, first: [hook.id], scan: false,
            records: [AttemptRecord(deliveryId: claimed.id, attempt: attempt, disposition: .succeeded)])

        #expect(second.deliveries.count == 1)
        #expect(second.deliveries.first?.id != claimed.id)
        #expect(try fixture.store.delivery(id: claimed.id)?.state == .succeeded)
        #expect(try fixture.store.attempts(deliveryId: claimed.id).map(\.status) == [200])
    }

    @Test func cancelledDeliveryKeepsStateUnlessDelivered() throws {
        let fixture = try DeliveryStoreFixture()
        let hook = try fixture.hook("deleted")
        try fixture.publish(2)
        let claimed = try fixture.claim(limit: 2, perHook: 2, first: [hook.id], scan: false).deliveries
        #expect(claimed.count == 2)
        #expect(try fixture.store.cancelDeliveries(webhookId: hook.id) == 2)

        func attempt(_ delivery: ClaimedDelivery, status: Int32) -> DeliveryAttempt {
            DeliveryAttempt(
                deliveryId: delivery.id, number: 0, startedAt: Date(), durationMilliseconds: 5, status: status,
                errorKind: status == 200 ? .none : .httpStatus, error: status == 200 ? nil : "HTTP/1.1 \(status)",
                responseHeaders: "", responseBody: "")
        }
        try fixture.store.record(
            [
                AttemptRecord(
                    deliveryId: claimed[0].id, attempt: attempt(claimed[0], status: 500),
                    disposition: .retry(at: Date().addingTimeInterval(60))),
                AttemptRecord(deliveryId: claimed[1].id, attempt: attempt(claimed[1], status: 200), disposition: .succeeded),
            ], now: Date())

        let failed = try #require(try fixture.store.delivery(id: claimed[0].id))
        #expect(failed.state == .cancelled)
        #expect(failed.nextAttemptAt == nil)
        #expect(failed.attempts == 1)
        let delivered = try #require(try fixture.store.delivery(id: claimed[1].id))
        #expect(delivered.state == .succeeded)
        #expect(delivered.attempts == 1)
    }

    @Test func writeGateIsSharedPerFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("gate.db")
        FileManager.default.createFile(atPath: path, contents: nil)
        let direct = SQLiteWriteGate.shared(forPath: path)
        let dotted = SQLiteWriteGate.shared(forPath: directory.url.path + "/./gate.db")
        #expect(direct === dotted)
        #expect(SQLiteWriteGate.shared(forPath: directory.path("other.db")) !== direct)
        #expect(SQLiteWriteGate.shared(forPath: ":memory:") !== SQLiteWriteGate.shared(forPath: ":memory:"))
    }
}
