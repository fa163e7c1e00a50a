import Foundation
import Hookwire
import HookwireClient
import Synchronization
import Testing

@testable import HookwireServer

/// Every client method against a real server and engine on a temporary SQLite file.
@Suite(.serialized) struct ClientRoundTripTests {
    static func hook(_ name: String, url: String = "https://example.invalid/hook", events: [String] = ["contact.*"])
        -> Webhook
    {
        Webhook(name: name, events: events, targetURL: url)
    }

    @Test func saveGetListDelete() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        var draft = Self.hook("Orders")
        draft.headers = ["X-Team": "sales"]
        draft.properties = ["priority": 3, "region": "north"]
        draft.description = "order changes"
        let saved = try await client.save(draft)
        #expect(saved.id > 0)
        #expect(saved.secret?.hasPrefix("whsec_") == true)
        #expect(saved.headers == ["X-Team": "sales"])

        let fetched = try await client.get(id: saved.id)
        #expect(fetched.name == "Orders")
        #expect(fetched.events == ["contact.*"])
        #expect(fetched.targetURL == "https://example.invalid/hook")
        #expect(fetched.properties == ["priority": 3, "region": "north"])
        #expect(fetched.description == "order changes")
        #expect(fetched.state == .active)
        #expect(fetched.secret == nil)

        var changed = fetched
        changed.state = .stopped
        let updated = try await client.save(changed)
        #expect(updated.id == saved.id)
        #expect(updated.state == .stopped)
        #expect(updated.secret == nil)

        let second = try await client.save(Self.hook("Invoices", events: ["sale.created"]))
        let byName = try await client.list(WebhookFilter(name: "Invoices"))
        #expect(byName.webhooks.map(\.id) == [second.id])
        #expect(byName.webhooks.allSatisfy { $0.secret == nil })
        let byEvent = try await client.list(WebhookFilter(event: "contact.created"))
        #expect(byEvent.webhooks.map(\.id) == [saved.id])
        let stopped = try await client.list(WebhookFilter(state: .stopped))
        #expect(stopped.webhooks.map(\.id) == [saved.id])

        let firstPage = try await client.list(WebhookFilter(limit: 1))
        #expect(firstPage.webhooks.map(\.id) == [saved.id])
        let nextAfterId = try #require(firstPage.nextAfterId)
        let secondPage = try await client.list(WebhookFilter(limit: 1, afterId: nextAfterId))
        #expect(secondPage.webhooks.map(\.id) == [second.id])
        let all = try await client.listAll(WebhookFilter(limit: 1))
        #expect(all.map(\.id) == [saved.id, second.id])

        try await client.delete(id: saved.id)
        let error = await #expect(throws: HookwireError.self) { try await client.get(id: saved.id) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "webhook \(saved.id) not found")
    }

    @Test func invalidWebhookNamesTheValue() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }
        let error = await #expect(throws: HookwireError.self) {
            try await client.save(Self.hook("Bad", url: "not a url"))
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("not a url") == true)
    }

    @Test func publishDeliveriesAndStats() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        // Only active hooks match, so the hook's deliveries go to a receiver on loopback.
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let hook = try await client.save(Self.hook("Receiving", url: "http://127.0.0.1:\(receiver.port)/hook"))
        var stopped = Self.hook("Stopped")
        stopped.state = .stopped
        _ = try await client.save(stopped)
        let single = try await client.publish(EventPublication(event: "contact.created", primaryKey: 7))
        #expect(single.matchedWebhooks == 1)
        #expect(single.eventId.count == 36)
        let unmatched = try await client.publish(EventPublication(event: "sale.created"))
        #expect(unmatched.matchedWebhooks == 0)

        let batch = try await client.publishBatch([
            EventPublication(event: "contact.changed", primaryKey: 1, changes: ["name"]),
            EventPublication(event: "contact.deleted", primaryKey: 2, data: .object(["reason": "merge"])),
            EventPublication(event: "person.created"),
        ])
        #expect(batch.map(\.matchedWebhooks) == [1, 1, 0])
        #expect(Set(batch.map(\.eventId)).count == 3)

        let deliveries = try await client.listAllDeliveries(DeliveryFilter(webhookId: hook.id))
        #expect(deliveries.count == 3)
        #expect(deliveries.allSatisfy { $0.webhookId == hook.id })
        #expect(Set(deliveries.map(\.event)) == ["contact.created", "contact.changed", "contact.deleted"])
        let firstPage = try await client.deliveries(DeliveryFilter(webhookId: hook.id, limit: 2))
        #expect(firstPage.deliveries.count == 2)
        #expect(firstPage.nextAfterId != nil)

        var attempts: [DeliveryAttempt] = []
        for _ in 0..<100 where attempts.isEmpty {
            attempts = try await client.attempts(deliveryId: deliveries[0].id)
            if attempts.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(attempts.count == 1)
        #expect(attempts.first?.deliveryId == deliveries[0].id)
        #expect(attempts.first?.status == 200)
        let missing = await #expect(throws: HookwireError.self) { try await client.attempts(deliveryId: 999_999) }
        #expect(missing?.message == "delivery 999999 not found")

        let stats = try await client.stats()
        #expect(stats.webhooks == 2)
        #expect(stats.activeWebhooks == 1)
        #expect(stats.eventsPublished == 5)
    }

    @Test func recordResultLastErrorAndUsage() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        let hook = try await client.save(Self.hook("Counted"))
        #expect(try await client.lastError(id: hook.id) == nil)
        let change = try await client.recordResult(
            id: hook.id, result: WebhookResult(succeeded: false, message: "HTTP 500 from target"))
        #expect(change == nil)
        #expect(try await client.lastError(id: hook.id) == "HTTP 500 from target")
        let usage = try await client.usage(id: hook.id)
        #expect(usage.totalCalls == 1)
        #expect(usage.totalErrors == 1)
        #expect(usage.consecutiveErrors == 1)

        let gone = try await client.recordResult(
            id: hook.id, result: WebhookResult(succeeded: false, permanentFailure: true, message: "HTTP 410 Gone"))
        #expect(gone?.to == .tooManyErrors)
        #expect(try await client.get(id: hook.id).state == .tooManyErrors)
    }

    @Test func rotateSecretReturnsNewSecret() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        let hook = try await client.save(Self.hook("Rotated"))
        let rotation = try await client.rotateSecret(id: hook.id)
        #expect(rotation.secret.hasPrefix("whsec_"))
        #expect(rotation.secret != hook.secret)
        let expires = try #require(rotation.previousSecretExpires)
        #expect(abs(expires.timeIntervalSinceNow - 86400) < 120)
    }

    @Test func testAndWatchAgainstReceiver() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        let hook = try await client.save(Self.hook("Live", url: "http://127.0.0.1:\(receiver.port)/hook"))
        let result = try await client.test(id: hook.id)
        #expect(result.succeeded, "test delivery failed: \(result.message)")
        #expect(receiver.requests == 1)

        let stream = client.watch(webhookId: hook.id)
        var iterator = stream.makeAsyncIterator()
        // The watch call is registered once the server has responded to a later call on the same
        // connection, because the server reads the calls of one connection in order.
        _ = try await client.stats()
        let published = try await client.publish(EventPublication(event: "contact.created", primaryKey: 11))
        #expect(published.matchedWebhooks == 1)
        let outcome = try #require(try await iterator.next())
        #expect(outcome.delivery.webhookId == hook.id)
        #expect(outcome.delivery.eventId == published.eventId)
        #expect(outcome.delivery.state == .succeeded)
        #expect(outcome.attempt.status == 200)
    }

    @Test func redeliverFailedDeliveries() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        let hook = try await client.save(Self.hook("Nothing failed"))
        #expect(try await client.redeliver(webhookId: hook.id, since: Date(timeIntervalSince1970: 0)) == 0)
        let missing = await #expect(throws: HookwireError.self) { try await client.redeliver(deliveryId: 424_242) }
        #expect(missing?.code == .notFound)
        #expect(missing?.message == "delivery 424242 not found")
    }

    @Test func blockingCallsFromThreads() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        let hook = try client.performBlocking(.save(Self.hook("Blocking")))
        let names = Mutex<[String]>([])
        let threads = (0..<8).map { _ in
            Thread {
                if let fetched = try? client.performBlocking(.get(id: hook.id)) {
                    names.withLock { $0.append(fetched.name) }
                }
            }
        }
        for thread in threads { thread.start() }
        #expect(eventually { names.withLock { $0.count } == 8 })
        #expect(names.withLock { $0 }.allSatisfy { $0 == "Blocking" })
        let error = #expect(throws: HookwireError.self) { try client.performBlocking(.delete(id: 777)) }
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("webhook 777") == true)
    }

    @Test func wrongTokenIsUnauthenticated() async throws {
        let tokens = try TokenTable(tokens: [(token: "right-token-0123456789", application: "crm")])
        let server = try ClientEngineServer(tokens: tokens)
        defer { server.stop(); server.removeFiles() }

        let rejected = try HookwireClient(server: server.address, token: "wrong-token-0123456789")
        defer { rejected.close() }
        let error = await #expect(throws: HookwireError.self) { try await rejected.stats() }
        #expect(error?.code == .unauthenticated)

        let accepted = try HookwireClient(server: server.address, token: "right-token-0123456789")
        defer { accepted.close() }
        try accepted.connect()
        let hook = try await accepted.save(Self.hook("Owned"))
        #expect(hook.applicationToken == "crm")
    }
}
