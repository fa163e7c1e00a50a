import Foundation
import HookwireCore
import Testing

@testable import HookwireProtocol

/// Encodes and decodes `message` and checks that the copy is equal.
func expectRoundTrip<Message: ProtobufMessage>(
    _ message: Message, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let decoded = try Message(decoding: message.encoded())
    #expect(decoded == message, sourceLocation: sourceLocation)
}

/// A hook with every field set, secrets and Unicode included.
let sampleWebhook = Webhook(
    id: 9_007_199_254_740_993, name: "CRM sync ✓", events: ["contact.created", "sale.*"],
    targetURL: "https://hooks.example.com/crm?x=1", type: "webhook", secret: "whsec_c2VjcmV0",
    state: .tooManyErrors, headers: ["X-Tenant": "Cust1234", "Authorization": "Bearer abc"],
    properties: ["region": "eu", "weights": .array([.integer(-1), .double(2.5)]), "nested": .object(["ok": true])],
    applicationToken: "app-7", description: "two\nlines",
    registered: Date(timeIntervalSince1970: 1_700_000_000.123), registeredAssociateId: 7,
    updated: Date(timeIntervalSince1970: 1_700_000_100.456), updatedAssociateId: -3)

let sampleDelivery = Delivery(
    id: 77, messageId: "msg_2b", webhookId: 5, eventId: "0b7f6f5e-0000-4000-8000-000000000001",
    event: "contact.changed", state: .failed, attempts: 9, createdAt: Date(timeIntervalSince1970: 1_700_000_000),
    nextAttemptAt: Date(timeIntervalSince1970: 1_700_000_060), lastStatus: 503, lastError: "HTTP 503")

let sampleAttempt = DeliveryAttempt(
    deliveryId: 77, number: 3, startedAt: Date(timeIntervalSince1970: 1_700_000_030.5), durationMilliseconds: 1200,
    status: 0, errorKind: .connectionRefused, error: "connection refused", responseHeaders: "",
    responseBody: "")

@Suite struct MessageRoundTripTests {
    @Test func connectionMessagesRoundTrip() throws {
        try expectRoundTrip(Wire.Hello(versions: [1, 2, 300], token: "tok", clientName: "x", maxFrameSize: 2 << 20))
        try expectRoundTrip(
            Wire.Welcome(
                version: 1, supportedVersions: [1], maxFrameSize: 1 << 20, maxMetadataSize: 8192,
                maxConcurrentStreams: 100, idleTimeoutMilliseconds: 60_000, serverName: "s", application: "app",
                message: "m"))
        try expectRoundTrip(Wire.CallMetadata(timeoutMilliseconds: 5, associateId: -9, traceId: "t"))
        try expectRoundTrip(Wire.Status(code: .unauthenticated, message: "invalid token", errorCode: 12))
        try expectRoundTrip(Wire.Status(code: StatusCode(rawValue: 999), message: "future code"))
        try expectRoundTrip(Wire.GoAway(lastStreamId: .max, message: "bye"))
        try expectRoundTrip(Wire.Empty())
        #expect(Wire.Empty().encoded().isEmpty)
    }

    @Test func webhookConvertsBothWays() throws {
        let wire = Wire.Webhook(sampleWebhook)
        try expectRoundTrip(wire)
        let back = try Webhook(wire: Wire.Webhook(decoding: wire.encoded()))
        #expect(back.id == sampleWebhook.id)
        #expect(back.properties == sampleWebhook.properties)
        #expect(back.headers == sampleWebhook.headers)
        #expect(back.registered == Date(timeIntervalSince1970: 1_700_000_000.123))
        #expect(back == sampleWebhook)
    }

    @Test func webhookSecretLeftOutOnRequest() throws {
        let wire = Wire.Webhook(sampleWebhook, includeSecret: false)
        #expect(wire.secret == nil)
        let text = String(decoding: wire.encoded(), as: UTF8.self)
        #expect(!text.contains("whsec_"))
    }

    @Test func emptyOptionalStringsKeepPresence() throws {
        var request = Wire.ListWebhooksRequest()
        request.name = ""
        let decoded = try Wire.ListWebhooksRequest(decoding: request.encoded())
        #expect(decoded.name == "")
        #expect(decoded.event == nil)
    }

    @Test func webhookCallMessagesRoundTrip() throws {
        try expectRoundTrip(Wire.SaveWebhookRequest(webhook: Wire.Webhook(sampleWebhook)))
        try expectRoundTrip(Wire.GetWebhookRequest(id: -1))
        try expectRoundTrip(Wire.DeleteWebhookRequest(id: 3))
        try expectRoundTrip(Wire.LastErrorRequest(id: 4))
        try expectRoundTrip(Wire.TestWebhookRequest(id: 5))
        try expectRoundTrip(Wire.GetUsageRequest(id: 6))
        try expectRoundTrip(Wire.ListWebhooksRequest(WebhookFilter(name: "n", event: "e", applicationToken: "a", state: .stopped, limit: 10, afterId: 99)))
        try expectRoundTrip(Wire.ListWebhooksResponse(webhooks: [Wire.Webhook(sampleWebhook), Wire.Webhook()], nextAfterId: 12))
        try expectRoundTrip(Wire.LastErrorResponse(lastError: "HTTP 500"))
        try expectRoundTrip(Wire.LastErrorResponse(lastError: nil))
        try expectRoundTrip(Wire.RecordResultRequest(id: 8, result: Wire.WebhookResult(WebhookResult(succeeded: false, permanentFailure: true, message: "410"))))
        try expectRoundTrip(Wire.RecordResultResponse(stateChange: Wire.WebhookStateChange(WebhookStateChange(webhookId: 8, from: .active, to: .tooManyErrors, reason: "HTTP 410 Gone"))))
        try expectRoundTrip(Wire.RecordResultResponse(stateChange: nil))
        try expectRoundTrip(Wire.RotateSecretRequest(webhookId: 8, overlapSeconds: 3600))
        try expectRoundTrip(Wire.RotateSecretResponse(secret: "whsec_x", previousExpiresUnixMilliseconds: 1_700_000_000_000))
        var usage = WebhookUsage(totalCalls: 10, totalErrors: 2, consecutiveErrors: 1, lastError: "timeout", lastErrorTime: Date(timeIntervalSince1970: 1_700_000_000))
        try expectRoundTrip(Wire.WebhookUsage(usage))
        #expect(WebhookUsage(wire: try Wire.WebhookUsage(decoding: Wire.WebhookUsage(usage).encoded())) == usage)
        usage.lastErrorTime = nil
        #expect(WebhookUsage(wire: try Wire.WebhookUsage(decoding: Wire.WebhookUsage(usage).encoded())) == usage)
    }

    @Test func filtersConvertBothWays() throws {
        let filter = WebhookFilter(name: "n", event: "contact.created", applicationToken: "app", state: .active, limit: 5, afterId: 10)
        #expect(WebhookFilter(wire: try Wire.ListWebhooksRequest(decoding: Wire.ListWebhooksRequest(filter).encoded())) == filter)
        #expect(WebhookFilter(wire: Wire.ListWebhooksRequest()).limit == WebhookFilter.defaultLimit)
        let deliveryFilter = DeliveryFilter(webhookId: 5, state: .pending, limit: 20, afterId: 3)
        let wire = try Wire.ListDeliveriesRequest(decoding: Wire.ListDeliveriesRequest(deliveryFilter).encoded())
        // Pending is the enum's zero value, so it must survive as an explicitly set optional.
        #expect(wire.state == .pending)
        #expect(DeliveryFilter(wire: wire) == deliveryFilter)
        #expect(DeliveryFilter(wire: Wire.ListDeliveriesRequest()) == DeliveryFilter())
    }

    @Test func eventConvertsBothWays() throws {
        let event = EventPublication(
            event: "contact.created", primaryKey: 123, changes: ["name", "email"],
            fieldValues: ["name": "Ada", "age": 36, "big": .integer(9_007_199_254_740_993)],
            changedByAssociateId: 4, contextIdentifier: "Cust1234", data: .object(["k": .null]))
        let wire = Wire.Event(event)
        try expectRoundTrip(wire)
        #expect(try EventPublication(wire: Wire.Event(decoding: wire.encoded())) == event)
        try expectRoundTrip(Wire.PublishRequest(event: wire))
        try expectRoundTrip(Wire.PublishBatchRequest(events: [wire, Wire.Event(), wire]))

        var minimal = Wire.Event()
        minimal.event = "sale.won"
        let defaults = try EventPublication(wire: minimal)
        #expect(defaults.entity == "sale")
        #expect(defaults.contextIdentifier == "Default")
        #expect(defaults.data == nil)
        #expect(defaults.fieldValues.isEmpty)
    }

    @Test func invalidJSONNamesField() {
        var wire = Wire.Event()
        wire.event = "x.y"
        wire.fieldValuesJSON = "[1,2]"
        #expect(throws: HookwireError.self) { try EventPublication(wire: wire) }
        do {
            _ = try EventPublication(wire: wire)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.message.contains("field_values_json"))
        }
        var hook = Wire.Webhook()
        hook.propertiesJSON = "{bad"
        #expect(throws: HookwireError.self) { try Webhook(wire: hook) }
    }

    @Test func publishResultsRoundTrip() throws {
        let result = PublishResult(eventId: "0b7f6f5e-0000-4000-8000-000000000001", matchedWebhooks: 3)
        #expect(PublishResult(wire: try Wire.PublishResult(decoding: Wire.PublishResult(result).encoded())) == result)
        try expectRoundTrip(Wire.PublishBatchResponse(results: [Wire.PublishResult(result), Wire.PublishResult()]))
    }

    @Test func deliveriesConvertBothWays() throws {
        #expect(Delivery(wire: try Wire.Delivery(decoding: Wire.Delivery(sampleDelivery).encoded())) == sampleDelivery)
        #expect(try DeliveryAttempt(wire: Wire.DeliveryAttempt(decoding: Wire.DeliveryAttempt(sampleAttempt).encoded())) == sampleAttempt)
        let outcome = DeliveryOutcome(delivery: sampleDelivery, attempt: sampleAttempt)
        #expect(try DeliveryOutcome(wire: Wire.DeliveryOutcome(decoding: Wire.DeliveryOutcome(outcome).encoded())) == outcome)
        try expectRoundTrip(Wire.ListDeliveriesResponse(deliveries: [Wire.Delivery(sampleDelivery)], nextAfterId: 78))
        try expectRoundTrip(Wire.ListAttemptsRequest(deliveryId: 77))
        try expectRoundTrip(Wire.ListAttemptsResponse(attempts: [Wire.DeliveryAttempt(sampleAttempt)]))
        try expectRoundTrip(Wire.RedeliverRequest(webhookId: 5, sinceUnixMilliseconds: 1_700_000_000_000))
        try expectRoundTrip(Wire.RedeliverResponse(redelivered: 12))
        try expectRoundTrip(Wire.WatchRequest(webhookId: 0))
        #expect(try Wire.WatchRequest(decoding: Wire.WatchRequest(webhookId: 0).encoded()).webhookId == 0)
        #expect(try Wire.WatchRequest(decoding: Wire.WatchRequest(webhookId: nil).encoded()).webhookId == nil)
        try expectRoundTrip(Wire.StatsRequest())
    }

    @Test func unknownErrorKindRejected() throws {
        var wire = Wire.DeliveryAttempt(sampleAttempt)
        wire.errorKind = "cosmic_ray"
        #expect(throws: HookwireError.self) { try DeliveryAttempt(wire: wire) }
        wire.errorKind = ""
        #expect(try DeliveryAttempt(wire: wire).errorKind == DeliveryErrorKind.none)
    }

    @Test func statsConvertBothWays() throws {
        var stats = EngineStats()
        stats.webhooks = 1
        stats.activeWebhooks = 2
        stats.eventsPublished = 3
        stats.deliveriesPending = 4
        stats.deliveriesInFlight = 5
        stats.deliveriesSucceeded = 6
        stats.deliveriesFailed = 7
        stats.deliveriesHeld = 8
        stats.attemptsMade = 9
        #expect(EngineStats(wire: try Wire.Stats(decoding: Wire.Stats(stats).encoded())) == stats)
    }

    @Test func errorsConvertBothWays() {
        let error = HookwireError(.permissionDenied, "webhook 4 belongs to another application")
        let status = Wire.Status(error)
        #expect(status.code == .permissionDenied)
        #expect(HookwireError(wire: status) == error)
        #expect(HookwireError(wire: Wire.Status(code: .notFound, message: "gone")).code == .notFound)
    }

    @Test func longNestedMessageLengthsShiftCorrectly() throws {
        // A nested message of 200 bytes needs a two-byte length, so the writer shifts it.
        var webhook = Wire.Webhook()
        webhook.description = String(repeating: "d", count: 200)
        let request = Wire.SaveWebhookRequest(webhook: webhook)
        let encoded = request.encoded()
        #expect(Array(encoded.prefix(3)) == [0x0A, 0xCB, 0x01])
        try expectRoundTrip(request)
        webhook.description = String(repeating: "e", count: 70_000)
        try expectRoundTrip(Wire.SaveWebhookRequest(webhook: webhook))
    }

    @Test func negativeIntegersUseTenBytes() throws {
        var buffer: [UInt8] = []
        buffer.appendInt32Field(1, -1)
        #expect(buffer == [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try Wire.CallMetadata(decoding: [0x10] + buffer.dropFirst()).associateId == -1)
    }
}
