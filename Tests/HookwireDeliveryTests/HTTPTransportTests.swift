import Foundation
import HookwireCore
import HookwireSigning
import Testing

@testable import HookwireDelivery

/// Sends requests through the transport to the Python receiver on loopback.
@Suite(.serialized) struct HTTPTransportTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    func loopbackConfiguration() throws -> HTTPTransportConfiguration {
        var configuration = HTTPTransportConfiguration()
        configuration.addressPolicy = AddressPolicy(allowedRanges: [try AddressRange("127.0.0.0/8")])
        configuration.requestTimeout = 3
        configuration.userAgent = "Hookwire/test"
        return configuration
    }

    /// Sends one request and returns its exchange.
    func send(_ request: HTTPRequest, configuration: HTTPTransportConfiguration) throws -> HTTPExchange {
        let transport = try HTTPTransport(configuration: configuration)
        transport.start(request, token: 7)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let done = transport.poll(timeoutMilliseconds: 100).first {
                #expect(done.token == 7)
                return done.exchange
            }
        }
        throw HookwireError(.timedOut, "no exchange within 20 seconds")
    }

    func signedRequest(url: String, body: [UInt8], attempt: Int32 = 0) -> HTTPRequest {
        let hook = PreparedWebhook(
            webhook: Webhook(id: 3, name: "r", events: ["*"], targetURL: url, secret: Self.secret,
                             headers: ["X-Tenant": "north", "webhook-id": "forged", "X-Hookwire-Extra": "forged",
                                       "X-Empty": ""]),
            previousSecrets: [])
        return DeliveryRequest.make(
            hook: hook, body: body, messageId: "msg_1", event: "contact.created", eventId: "e-1", attempt: attempt,
            timestamp: Int64(Date().timeIntervalSince1970), isTest: false)
    }

    @Test func signedPostVerifiesAtReceiver() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(secrets: [Self.secret], directory: directory)
        let body = Array(#"{"Event":"contact.created","Name":"Åse 🐟"}"#.utf8)
        let exchange = try send(signedRequest(url: receiver.url("/ok"), body: body), configuration: loopbackConfiguration())
        #expect(exchange.status == 200)
        #expect(exchange.errorKind == .none)
        #expect(exchange.body == "ok")
        #expect(exchange.statusLine.hasPrefix("HTTP/1.1 200"))

        let request = try #require(receiver.requests(path: "/ok").first)
        #expect(request.body == body)
        #expect(request.standard == [true])
        #expect(request.bodyOnly == [true])
        #expect(request.headers["content-type"] == "application/json; charset=utf-8")
        #expect(request.headers["user-agent"] == "Hookwire/test")
        #expect(request.headers["webhook-id"] == "msg_1")
        #expect(request.headers["x-hookwire-event"] == "contact.created")
        #expect(request.headers["x-hookwire-event-id"] == "e-1")
        #expect(request.headers["x-hookwire-retry"] == "0")
        #expect(request.headers["x-tenant"] == "north")
        #expect(request.headers["x-empty"] == "")
        #expect(request.headers["x-hookwire-extra"] == nil)
        #expect(request.headers["x-hook-test"] == nil)
        #expect(request.headers["expect"] == nil)
    }

    @Test func rotationSendsBothSignatures() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let newSecret = try SigningSecret.generate()
        let receiver = try Receiver(secrets: [Self.secret, newSecret], directory: directory)
        let hook = PreparedWebhook(
            webhook: Webhook(id: 3, name: "r", events: ["*"], targetURL: receiver.url("/rotated"), secret: newSecret),
            previousSecrets: [Self.secret])
        let request = DeliveryRequest.make(
            hook: hook, body: Array("{}".utf8), messageId: "msg_2", event: "a.b", eventId: "e-2", attempt: 1,
            timestamp: Int64(Date().timeIntervalSince1970), isTest: true)
        _ = try send(request, configuration: loopbackConfiguration())
        let received = try #require(receiver.requests(path: "/rotated").first)
        #expect(received.standard == [true, true])
        #expect(received.bodyOnly == [true, true])
        #expect(received.headers["webhook-signature"]?.split(separator: " ").count == 2)
        #expect(received.headers["x-hook-test"] == "true")
        #expect(received.headers["x-hookwire-retry"] == "1")
    }

    @Test func redirectIsNotFollowed() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        let target = receiver.url("/moved?status=302&header=Location:\(receiver.url("/elsewhere"))")
        let exchange = try send(signedRequest(url: target, body: [0x7B, 0x7D]), configuration: loopbackConfiguration())
        #expect(exchange.status == 302)
        #expect(exchange.header("location") == receiver.url("/elsewhere"))
        Thread.sleep(forTimeInterval: 0.2)
        #expect(receiver.requests(path: "/elsewhere").isEmpty)
        #expect(receiver.requests(path: "/moved").count == 1)
    }

    @Test func privateTargetRefusedByDefault() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        var configuration = try loopbackConfiguration()
        configuration.addressPolicy = AddressPolicy()
        // A host name, so the check must happen on the resolved address, not on the URL text.
        let url = "http://localhost:\(receiver.port)/private"
        let exchange = try send(signedRequest(url: url, body: [0x7B, 0x7D]), configuration: configuration)
        #expect(exchange.status == 0)
        #expect(exchange.errorKind == .blockedAddress)
        let error = try #require(exchange.error)
        #expect(error.contains("127.0.0.1") || error.contains("::1"))
        #expect(error.contains("allowPrivateTargets"))
        #expect(receiver.requests(path: "/private").isEmpty)
    }

    @Test func privateTargetAllowedWhenConfigured() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        var configuration = try loopbackConfiguration()
        configuration.addressPolicy = AddressPolicy(allowPrivateTargets: true)
        let exchange = try send(signedRequest(url: receiver.url("/allowed"), body: [0x7B, 0x7D]), configuration: configuration)
        #expect(exchange.status == 200)
        #expect(receiver.requests(path: "/allowed").count == 1)
    }

    @Test func slowTargetTimesOut() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        var configuration = try loopbackConfiguration()
        configuration.requestTimeout = 0.5
        let exchange = try send(signedRequest(url: receiver.url("/slow?delay=3"), body: [0x7B, 0x7D]), configuration: configuration)
        #expect(exchange.status == 0)
        #expect(exchange.errorKind == .timeout)
        #expect(exchange.error?.contains("/slow") == true)
    }

    @Test func closedPortIsConnectionRefused() throws {
        // Bind a port and close it again, so nothing listens on it.
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        let port = receiver.port
        receiver.stop()
        let exchange = try send(
            signedRequest(url: "http://127.0.0.1:\(port)/gone", body: [0x7B, 0x7D]), configuration: loopbackConfiguration())
        #expect(exchange.errorKind == .connectionRefused)
    }

    @Test func responseBodyIsCutAtFourKiB() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        let long = String(repeating: "x", count: 6000)
        let exchange = try send(
            signedRequest(url: receiver.url("/long?status=500&body=\(long)"), body: [0x7B, 0x7D]),
            configuration: loopbackConfiguration())
        #expect(exchange.status == 500)
        #expect(exchange.body.utf8.count == 4096)
    }
}
