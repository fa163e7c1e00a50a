import Foundation
import Hookwire
import HookwireClient
import HookwireProtocol
import Testing

@testable import HookwireServer

/// Gets served on the event loop from the registry's memory cache, against a real engine and
/// server on a temporary SQLite file.
@Suite(.serialized) struct CachedGetTests {
    @Test func loopServesCachedGetsOnly() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let handler = EngineCallHandler(engine: server.engine)
        let saved = try server.engine.registry.save(Webhook(name: "Cached", events: ["contact.*"], targetURL: "https://example.invalid/c"))
        let request = Wire.GetWebhookRequest(id: saved.id).encoded()

        // Nothing read the hook yet, so it is not cached and the call must go to a worker.
        #expect(handler.handleWithoutBlocking(.getWebhook, request: request[...], caller: .administrator) == nil)
        _ = try server.engine.registry.get(id: saved.id)
        let result = try #require(handler.handleWithoutBlocking(.getWebhook, request: request[...], caller: .administrator))
        guard case .message(let message) = result, let webhook = message as? Wire.Webhook else {
            Issue.record("a cached get returned \(result) instead of a Webhook message")
            return
        }
        #expect(webhook.id == saved.id)
        #expect(webhook.name == "Cached")
        #expect(webhook.secret == nil)

        // Other methods, and a request that does not decode, always go to a worker.
        let usage = Wire.GetUsageRequest(id: saved.id).encoded()
        #expect(handler.handleWithoutBlocking(.getUsage, request: usage[...], caller: .administrator) == nil)
        #expect(handler.handleWithoutBlocking(.getWebhook, request: [0xFF][...], caller: .administrator) == nil)
    }

    @Test func repeatedGetsSeeSavesAndDeletes() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }

        let saved = try await client.save(Webhook(name: "First", events: ["contact.*"], targetURL: "https://example.invalid/r"))
        #expect(saved.secret?.hasPrefix("whsec_") == true)
        for _ in 0..<3 {
            let fetched = try await client.get(id: saved.id)
            #expect(fetched.name == "First")
            #expect(fetched.secret == nil)
        }
        #expect(server.engine.registry.cachedWebhook(id: saved.id) != nil)

        var renamed = saved
        renamed.name = "Second"
        renamed.secret = nil
        _ = try await client.save(renamed)
        for _ in 0..<3 {
            #expect(try await client.get(id: saved.id).name == "Second")
        }

        try await client.delete(id: saved.id)
        let error = await #expect(throws: HookwireError.self) { try await client.get(id: saved.id) }
        #expect(error?.code == .notFound)
    }
}

