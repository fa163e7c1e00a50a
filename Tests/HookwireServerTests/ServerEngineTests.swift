import Foundation
import Hookwire
import HookwireCore
import HookwireProtocol
import Testing

@testable import HookwireServer

/// The server in front of a real engine on a SQLite file in a temporary directory.
final class EngineTestServer {
    let directory: URL
    let engine: HookwireEngine
    let server: HookwireServer
    let port: Int

    init(tokens: TokenTable? = nil, deliversEvents: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookwire-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var engineConfiguration = HookwireEngine.Configuration(databasePath: directory.appendingPathComponent("hookwire.db").path)
        engineConfiguration.deliversEvents = deliversEvents
        engineConfiguration.allowPrivateTargets = true
        engineConfiguration.retrySchedule = RetrySchedule(delays: [1])
        engine = try HookwireEngine.open(engineConfiguration)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.eventLoopCount = 2
        configuration.workerThreadCount = 4
        configuration.tokens = tokens
        server = HookwireServer(engine: engine, configuration: configuration)
        port = try server.start().port
    }

    func client(token: String = "") throws -> RawClient {
        let client = try RawClient(port: port)
        client.sendFrame(.hello, payload: Wire.Hello(token: token, clientName: "server-tests").encoded())
        let welcome = try client.expectFrame("WELCOME")
        guard welcome.type == .welcome, welcome.status == .ok else {
            throw RawClientError.closed("an OK WELCOME, got \(welcome.status)")
        }
        return client
    }

    deinit {
        server.shutdown(gracePeriod: 1)
        engine.shutdown(timeout: 2)
        try? FileManager.default.removeItem(at: directory)
    }
}

extension RawClient {
    /// Sends one call and returns its final frame, skipping frames of other streams.
    func call(_ method: HookwireProtocol.Method, _ message: some ProtobufMessage, stream: UInt32) throws -> ReceivedFrame {
        sendFrame(.request, streamId: stream, code: method.rawValue, payload: message.encoded())
        while true {
            let frame = try expectFrame("the \(method) response")
            if frame.streamId == stream && (frame.type == .response || frame.type == .error) { return frame }
        }
    }

    /// Sends one call and decodes its response, failing with the server's status.
    func call<Response: ProtobufMessage>(
        _ method: HookwireProtocol.Method, _ message: some ProtobufMessage, stream: UInt32, as type: Response.Type
    ) throws -> Response {
        let frame = try call(method, message, stream: stream)
        guard frame.type == .response else {
            throw HookwireError(wire: try Wire.Status(decoding: frame.payload))
        }
        return try Response(decoding: frame.payload)
    }
}

func wireHook(_ name: String, url: String = "https://hooks.example.com/crm", events: [String] = ["contact.created"]) -> Wire.Webhook {
    var hook = Wire.Webhook()
    hook.name = name
    hook.targetURL = url
    hook.events = events
    return hook
}

@Suite(.serialized) struct ServerEngineTests {
    static let crmToken = "k3J9xQ2mWb7rT4vZ"
    static let billingToken = "q8Lz0PfR2sYd6hNc"
    static let tokens = try! TokenTable(parsing: "# test tokens\n\(crmToken) crm-sync\n\(billingToken) billing\n")

    @Test func webhookLifecycleThroughServer() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        let saved = try client.call(
            .saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("crm")), stream: 1, as: Wire.Webhook.self)
        #expect(saved.id > 0)
        #expect(saved.secret?.hasPrefix("whsec_") == true)

        let fetched = try client.call(.getWebhook, Wire.GetWebhookRequest(id: saved.id), stream: 3, as: Wire.Webhook.self)
        #expect(fetched.name == "crm")
        #expect(fetched.events == ["contact.created"])
        #expect(fetched.secret == nil)

        let list = try client.call(.listWebhooks, Wire.ListWebhooksRequest(), stream: 5, as: Wire.ListWebhooksResponse.self)
        #expect(list.webhooks.map(\.id) == [saved.id])
        #expect(list.webhooks.allSatisfy { $0.secret == nil })

        _ = try client.call(.deleteWebhook, Wire.DeleteWebhookRequest(id: saved.id), stream: 7, as: Wire.Empty.self)
        let missing = try client.call(.getWebhook, Wire.GetWebhookRequest(id: saved.id), stream: 9)
        #expect(missing.type == .error)
        #expect(missing.status == .notFound)
        #expect(try Wire.Status(decoding: missing.payload).message == "webhook \(saved.id) not found")
    }

    @Test func ownershipRuleFollowsTokens() throws {
        let fixture = try EngineTestServer(tokens: Self.tokens)
        let crm = try fixture.client(token: Self.crmToken)
        let billing = try fixture.client(token: Self.billingToken)
        let saved = try crm.call(.saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("crm")), stream: 1, as: Wire.Webhook.self)
        #expect(saved.applicationToken == "crm-sync")

        let refused = try billing.call(.deleteWebhook, Wire.DeleteWebhookRequest(id: saved.id), stream: 1)
        #expect(refused.type == .error)
        #expect(refused.status == .permissionDenied)

        var renamed = saved
        renamed.name = "taken over"
        let refusedSave = try billing.call(.saveWebhook, Wire.SaveWebhookRequest(webhook: renamed), stream: 3)
        #expect(refusedSave.status == .permissionDenied)

        let read = try billing.call(.getWebhook, Wire.GetWebhookRequest(id: saved.id), stream: 5, as: Wire.Webhook.self)
        #expect(read.name == "crm")

        _ = try crm.call(.deleteWebhook, Wire.DeleteWebhookRequest(id: saved.id), stream: 3, as: Wire.Empty.self)
    }

    @Test func malformedRequestGetsInvalidArgument() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        client.sendFrame(.request, streamId: 1, code: HookwireProtocol.Method.saveWebhook.rawValue, payload: [0x0A, 0xFF, 0x01])
        let error = try client.expectFrame()
        #expect(error.type == .error)
        #expect(error.status == .invalidArgument)
        #expect(try Wire.Status(decoding: error.payload).message.contains("malformed SaveWebhook request"))

        client.sendFrame(.request, streamId: 3, code: HookwireProtocol.Method.getWebhook.rawValue, payload: [0x08])
        #expect(try client.expectFrame().status == .invalidArgument)

        let stats = try client.call(.stats, Wire.StatsRequest(), stream: 5, as: Wire.Stats.self)
        #expect(stats.webhooks == 0)
    }

    @Test func invalidWebhookNamesTheValue() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        let error = try client.call(.saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("bad", url: "ftp://x")), stream: 1)
        #expect(error.type == .error)
        #expect(error.status == .invalidArgument)
        #expect(try Wire.Status(decoding: error.payload).message.contains("ftp://x"))
    }

    @Test func publishQueuesDeliveries() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        let hook = try client.call(.saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("crm")), stream: 1, as: Wire.Webhook.self)
        var event = Wire.Event()
        event.event = "contact.created"
        event.primaryKey = 42
        let published = try client.call(.publish, Wire.PublishRequest(event: event), stream: 3, as: Wire.PublishResult.self)
        #expect(published.matched == 1)
        #expect(published.eventId.count == 36)

        let batch = try client.call(
            .publishBatch, Wire.PublishBatchRequest(events: [event, event]), stream: 5, as: Wire.PublishBatchResponse.self)
        #expect(batch.results.map(\.matched) == [1, 1])

        let deliveries = try client.call(
            .listDeliveries, Wire.ListDeliveriesRequest(), stream: 7, as: Wire.ListDeliveriesResponse.self)
        #expect(deliveries.deliveries.count == 3)
        #expect(deliveries.deliveries.allSatisfy { $0.webhookId == hook.id })

        let stats = try client.call(.stats, Wire.StatsRequest(), stream: 9, as: Wire.Stats.self)
        #expect(stats.eventsPublished == 3)
        #expect(stats.deliveriesPending == 3)
    }

    @Test func deliveriesOfUnknownWebhookNotFound() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        let hook = try client.call(.saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("crm")), stream: 1, as: Wire.Webhook.self)

        var unknown = Wire.ListDeliveriesRequest()
        unknown.webhookId = hook.id + 98
        let error = try client.call(.listDeliveries, unknown, stream: 3)
        #expect(error.type == .error)
        #expect(error.status == .notFound)
        #expect(try Wire.Status(decoding: error.payload).message == "webhook \(hook.id + 98) not found")

        // A known hook without deliveries gets an empty page, not an error.
        var known = Wire.ListDeliveriesRequest()
        known.webhookId = hook.id
        let empty = try client.call(.listDeliveries, known, stream: 5, as: Wire.ListDeliveriesResponse.self)
        #expect(empty.deliveries.isEmpty)

        // A deleted hook's deliveries stay listed, and a page past them or a state it has none
        // in is empty, not an error.
        var event = Wire.Event()
        event.event = "contact.created"
        _ = try client.call(.publish, Wire.PublishRequest(event: event), stream: 7, as: Wire.PublishResult.self)
        _ = try client.call(.deleteWebhook, Wire.DeleteWebhookRequest(id: hook.id), stream: 9)
        let deletedHookPage = try client.call(.listDeliveries, known, stream: 11, as: Wire.ListDeliveriesResponse.self)
        #expect(deletedHookPage.deliveries.count == 1)
        var pastEnd = known
        pastEnd.afterId = deletedHookPage.deliveries.last?.id ?? 0
        let after = try client.call(.listDeliveries, pastEnd, stream: 13, as: Wire.ListDeliveriesResponse.self)
        #expect(after.deliveries.isEmpty)
        var succeeded = known
        succeeded.state = .succeeded
        let none = try client.call(.listDeliveries, succeeded, stream: 15, as: Wire.ListDeliveriesResponse.self)
        #expect(none.deliveries.isEmpty)
    }

    @Test func rotateSecretReturnsNewSecret() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        let hook = try client.call(.saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("crm")), stream: 1, as: Wire.Webhook.self)
        let rotated = try client.call(
            .rotateSecret, Wire.RotateSecretRequest(webhookId: hook.id), stream: 3, as: Wire.RotateSecretResponse.self)
        #expect(rotated.secret.hasPrefix("whsec_"))
        #expect(rotated.secret != hook.secret)
        let dayFromNow = Int64(Date().timeIntervalSince1970 * 1000) + 86_400_000
        #expect(abs(rotated.previousExpiresUnixMilliseconds - dayFromNow) < 60_000)
    }

    @Test func watchOfUnknownWebhookNotFound() throws {
        let fixture = try EngineTestServer()
        let client = try fixture.client()
        let error = try client.call(.watch, Wire.WatchRequest(webhookId: 987_654), stream: 1)
        #expect(error.type == .error)
        #expect(error.status == .notFound)
        #expect(try Wire.Status(decoding: error.payload).message == "webhook 987654 not found")
    }

    @Test func watchStreamsOutcomesUntilCancelled() throws {
        let receiver = try LoopbackHTTPReceiver()
        defer { receiver.stop() }
        let fixture = try EngineTestServer(deliversEvents: true)
        let client = try fixture.client()
        let hook = try client.call(
            .saveWebhook, Wire.SaveWebhookRequest(webhook: wireHook("local", url: "http://127.0.0.1:\(receiver.port)/hook")),
            stream: 1, as: Wire.Webhook.self)

        client.sendFrame(.request, streamId: 2, code: HookwireProtocol.Method.watch.rawValue, payload: Wire.WatchRequest(webhookId: hook.id).encoded())
        // The watch subscribes on a worker; a PING round trip after it lets the subscription settle.
        client.sendFrame(.ping, payload: [UInt8](repeating: 9, count: 8))
        #expect(try client.expectFrame("PONG").type == .pong)
        usleep(100_000)

        var event = Wire.Event()
        event.event = "contact.created"
        _ = try client.call(.publish, Wire.PublishRequest(event: event), stream: 3, as: Wire.PublishResult.self)

        var item: ReceivedFrame?
        for _ in 0..<10 {
            let frame = try client.expectFrame("a watch item")
            if frame.type == .streamItem {
                item = frame
                break
            }
        }
        let streamItem = try #require(item)
        #expect(streamItem.streamId == 2)
        let outcome = try Wire.DeliveryOutcome(decoding: streamItem.payload)
        #expect(outcome.delivery.webhookId == hook.id)
        #expect(outcome.attempt.status == 200)
        #expect(receiver.requestCount >= 1)

        client.sendFrame(.cancel, streamId: 2)
        let end = try client.expectFrame("the end of the watch")
        #expect(end.type == .error)
        #expect(end.streamId == 2)
        #expect(end.status == .cancelled)
    }
}
