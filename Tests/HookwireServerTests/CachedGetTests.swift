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
        let webhook = try #require(try Self.cachedReply(handler, id: saved.id, caller: .administrator))
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

    @Test func cachedReplyHasNoSecret() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let handler = EngineCallHandler(engine: server.engine)
        let saved = try server.engine.registry.save(
            Webhook(name: "Secret", events: ["contact.*"], targetURL: "https://example.invalid/s", secret: "whsec_c2VjcmV0LXZhbHVlLTAxMjM0NTY3ODlhYmM="))
        _ = try server.engine.registry.get(id: saved.id)

        let request = Wire.GetWebhookRequest(id: saved.id).encoded()
        let result = try #require(handler.handleWithoutBlocking(.getWebhook, request: request[...], caller: .administrator))
        guard case .success(let bytes) = result else {
            Issue.record("a cached get returned \(result) instead of encoded bytes")
            return
        }
        #expect(try Wire.Webhook(decoding: bytes[...]).secret == nil)
        #expect(!Self.contains(bytes, "c2VjcmV0LXZhbHVlLTAxMjM0NTY3ODlhYmM="))

        // The rotated secret stays out of the reply too.
        let rotated = try server.engine.rotateSecret(webhookId: saved.id, overlap: nil, caller: .administrator)
        _ = try server.engine.registry.get(id: saved.id)
        guard case .success(let after)? = handler.handleWithoutBlocking(.getWebhook, request: request[...], caller: .administrator)
        else {
            Issue.record("the get after rotating the secret was not served from the cache")
            return
        }
        #expect(!Self.contains(after, String(rotated.dropFirst("whsec_".count))))
        #expect(try Wire.Webhook(decoding: after[...]).secret == nil)
    }

    @Test func cachedReplySeesSwiftSaves() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }
        let saved = try await client.save(Webhook(name: "Before", events: ["contact.*"], targetURL: "https://example.invalid/b"))
        #expect(try await client.get(id: saved.id).name == "Before")
        #expect(try await client.get(id: saved.id).name == "Before")

        // A save through the Swift API, not the protocol, must reach the next get.
        var renamed = try #require(try server.engine.registry.get(id: saved.id))
        renamed.name = "After"
        renamed.description = "changed in Swift"
        _ = try server.engine.registry.save(renamed)
        let fetched = try await client.get(id: saved.id)
        #expect(fetched.name == "After")
        #expect(fetched.description == "changed in Swift")
        #expect(try await client.get(id: saved.id).name == "After")
    }

    @Test func cachedReplySeesSecondEngineOnFile() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }
        let saved = try await client.save(Webhook(name: "Shared", events: ["contact.*"], targetURL: "https://example.invalid/e"))
        #expect(try await client.get(id: saved.id).name == "Shared")
        #expect(try await client.get(id: saved.id).name == "Shared")

        // A second engine on the same file, as a C host in the same process opens one.
        let other = try HookwireEngine.open(HookwireEngine.Configuration(databasePath: server.directory + "/hookwire.db"))
        defer { other.shutdown(timeout: 2) }
        var changed = try #require(try other.registry.get(id: saved.id))
        changed.name = "Changed by another engine"
        changed.state = .stopped
        _ = try other.registry.save(changed)
        let fetched = try await client.get(id: saved.id)
        #expect(fetched.name == "Changed by another engine")
        #expect(fetched.state == .stopped)

        try other.registry.delete(id: saved.id)
        let error = await #expect(throws: HookwireError.self) { try await client.get(id: saved.id) }
        #expect(error?.code == .notFound)
    }

    @Test func cachedReplySeesStateChanges() async throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }
        let first = try await client.save(Webhook(name: "Swift", events: ["contact.*"], targetURL: "https://example.invalid/1"))
        let second = try await client.save(Webhook(name: "Wire", events: ["contact.*"], targetURL: "https://example.invalid/2"))
        for id in [first.id, second.id] {
            #expect(try await client.get(id: id).state == .active)
            #expect(try await client.get(id: id).state == .active)
        }

        // A delivery result recorded in Swift, as the delivery engine records them.
        let swiftChange = try server.engine.registry.recordResult(
            id: first.id, result: WebhookResult(succeeded: false, permanentFailure: true, message: "HTTP 410 Gone"))
        #expect(swiftChange?.to == .tooManyErrors)
        #expect(try await client.get(id: first.id).state == .tooManyErrors)

        // The same through the protocol's RecordResult method.
        let wireChange = try await client.recordResult(
            id: second.id, result: WebhookResult(succeeded: false, permanentFailure: true, message: "HTTP 410 Gone"))
        #expect(wireChange?.to == .tooManyErrors)
        #expect(try await client.get(id: second.id).state == .tooManyErrors)

        // Counters are not part of the reply, so a result that keeps the state keeps it cached.
        _ = try server.engine.registry.recordResult(id: first.id, result: WebhookResult(succeeded: true))
        #expect(try await client.get(id: first.id).state == .tooManyErrors)
    }

    @Test func cachedReplySeesDeliveryFailure() async throws {
        let receiver = try LoopbackReceiver(status: 410)
        defer { receiver.stop() }
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }
        let saved = try await client.save(
            Webhook(name: "Gone", events: ["contact.*"], targetURL: "http://127.0.0.1:\(receiver.port)/gone"))
        #expect(try await client.get(id: saved.id).state == .active)
        #expect(try await client.get(id: saved.id).state == .active)

        // 410 Gone is a permanent failure, so the delivery engine stops the hook by itself.
        let published = try await client.publish(EventPublication(event: "contact.created", primaryKey: 7))
        #expect(published.matchedWebhooks == 1)
        // The counters are not cached, so they show when the result is recorded. The state
        // changes in the same transaction.
        let recorded = eventually { ((try? server.engine.registry.usage(id: saved.id))?.totalErrors ?? 0) >= 1 }
        #expect(recorded, "the delivery engine did not record the 410 within 10 s")
        #expect(receiver.requests >= 1)
        #expect(try await client.get(id: saved.id).state == .tooManyErrors)
        #expect(try await client.get(id: saved.id).state == .tooManyErrors)
    }

    @Test func applicationCallersGetSameReply() async throws {
        let tokens = try TokenTable(tokens: [
            (token: "crm-token-0123456789abcdef", application: "crm"),
            (token: "billing-token-0123456789ab", application: "billing"),
        ])
        let server = try ClientEngineServer(tokens: tokens)
        defer { server.stop(); server.removeFiles() }
        let owner = try HookwireClient(server: server.address, token: "crm-token-0123456789abcdef")
        defer { owner.close() }
        let other = try HookwireClient(server: server.address, token: "billing-token-0123456789ab")
        defer { other.close() }

        let saved = try await owner.save(Webhook(name: "Owned", events: ["contact.*"], targetURL: "https://example.invalid/o"))
        #expect(saved.applicationToken == "crm")
        #expect(saved.secret != nil)

        // Every authenticated caller may read any hook, on the worker and from the cache alike,
        // and only the owner may change it. Neither reply carries the secret.
        for _ in 0..<3 {
            let seenByOwner = try await owner.get(id: saved.id)
            let seenByOther = try await other.get(id: saved.id)
            #expect(seenByOwner == seenByOther)
            #expect(seenByOther.applicationToken == "crm")
            #expect(seenByOther.secret == nil)
        }
        var renamed = saved
        renamed.name = "Taken over"
        renamed.secret = nil
        let error = await #expect(throws: HookwireError.self) { try await other.save(renamed) }
        #expect(error?.code == .permissionDenied)
        #expect(try await other.get(id: saved.id).name == "Owned")

        let handler = EngineCallHandler(engine: server.engine)
        let caller = Caller(applicationToken: "billing")
        let request = Wire.GetWebhookRequest(id: saved.id).encoded()
        guard case .message(let message) = handler.handle(.getWebhook, request: request[...], caller: caller),
            let worker = message as? Wire.Webhook
        else {
            Issue.record("the worker path returned no Webhook message")
            return
        }
        #expect(try Self.cachedReply(handler, id: saved.id, caller: caller) == worker)
    }

    @Test func encodingMadeDuringSaveIsNotKept() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let registry = server.engine.registry
        let saved = try registry.save(Webhook(name: "Original", events: ["contact.*"], targetURL: "https://example.invalid/r"))
        #expect(registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(NameFormat.self)) { _ in [] } == nil)
        _ = try registry.get(id: saved.id)

        // A save lands while the cached copy is being encoded. The caller still gets the bytes of
        // the copy it read, but they must not be kept for later calls.
        let during = registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(NameFormat.self)) { hook in
            var changed = hook
            changed.name = "Saved meanwhile"
            _ = try? registry.save(changed)
            return Array(hook.name.utf8)
        }
        #expect(during == Array("Original".utf8))
        #expect(registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(NameFormat.self)) { Array($0.name.utf8) } == nil)
        _ = try registry.get(id: saved.id)
        let after = registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(NameFormat.self)) { Array($0.name.utf8) }
        #expect(after == Array("Saved meanwhile".utf8))
    }

    @Test func encodingIsKeptPerFormat() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let registry = server.engine.registry
        let saved = try registry.save(Webhook(name: "Formats", events: ["contact.*"], targetURL: "https://example.invalid/f"))
        _ = try registry.get(id: saved.id)

        var encodings = 0
        for _ in 0..<3 {
            let name = registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(NameFormat.self)) { hook in
                encodings += 1
                return Array(hook.name.utf8)
            }
            #expect(name == Array("Formats".utf8))
        }
        #expect(encodings == 1)

        // Another format replaces the kept encoding and never returns the first one's bytes.
        let url = registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(URLFormat.self)) { Array($0.targetURL.utf8) }
        #expect(url == Array("https://example.invalid/f".utf8))
        let name = registry.cachedEncoding(id: saved.id, format: ObjectIdentifier(NameFormat.self)) { Array($0.name.utf8) }
        #expect(name == Array("Formats".utf8))
    }

    /// Format keys for the encoding tests: a hook's name, and its target URL.
    enum NameFormat {}
    enum URLFormat {}

    /// Decodes the reply a cached get returns, or nil when the call would go to a worker.
    static func cachedReply(_ handler: EngineCallHandler, id: Int64, caller: Caller) throws -> Wire.Webhook? {
        let request = Wire.GetWebhookRequest(id: id).encoded()
        switch handler.handleWithoutBlocking(.getWebhook, request: request[...], caller: caller) {
        case nil:
            return nil
        case .success(let bytes)?:
            return try Wire.Webhook(decoding: bytes[...])
        case let other?:
            Issue.record("a cached get returned \(other) instead of encoded bytes")
            return nil
        }
    }

    /// Returns whether `text`'s UTF-8 bytes occur in `bytes`.
    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
