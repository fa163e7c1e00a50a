import CCurl
import Foundation
import Hookwire
import Testing

@testable import HookwireDelivery

/// Delivering over https to an nginx on loopback that serves certificates from a throwaway CA:
/// certificate verification, the CA file setting, HTTP/2 by ALPN, connection reuse, and the error
/// kinds recorded for TLS and DNS failures.
@Suite(.serialized) struct TLSDeliveryTests {
    /// The protocol nginx logs for a delivery, `HTTP/2.0` when libcurl can negotiate HTTP/2. A
    /// libcurl built without nghttp2 offers only http/1.1 by ALPN, so there deliveries arrive as
    /// `HTTP/1.1`.
    static let expectedProtocol = libcurlSupportsHTTP2 ? "HTTP/2.0" : "HTTP/1.1"
    /// The start of the status line libcurl records for that protocol.
    static let expectedStatusLine = libcurlSupportsHTTP2 ? "HTTP/2 200" : "HTTP/1.1 200"

    @Test func httpsDeliveryNegotiatesHTTP2() throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture { $0.caFile = peer.certificates.caFile }
        let hook = try fixture.saveHook(targetURL: peer.nginx.url("/orders"))
        _ = try fixture.publish()

        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .succeeded).first)
        let attempts = try fixture.engine.attempts(deliveryId: delivery.id)
        #expect(attempts.count == 1)
        let attempt = try #require(attempts.first)
        #expect(attempt.status == 200)
        #expect(attempt.errorKind == .none)
        #expect(attempt.responseHeaders.hasPrefix(Self.expectedStatusLine))
        #expect(attempt.responseBody == "ok\n")

        let logged = peer.nginx.requests(port: peer.nginx.http2Port)
        try #require(logged.count == 1)
        #expect(logged[0].protocolName == Self.expectedProtocol)
        #expect(logged[0].method == "POST")
        #expect(logged[0].webhookId == delivery.messageId)
        #expect(["TLSv1.2", "TLSv1.3"].contains(logged[0].tlsVersion))
    }

    @Test func dnsNameInCertificateVerifies() throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture { $0.caFile = peer.certificates.caFile }
        // `localhost` matches the certificate's DNS name, which libcurl checks for a host name
        // instead of the IP address entry.
        let hook = try fixture.saveHook(targetURL: "https://localhost:\(peer.nginx.http2Port)/by-name")
        _ = try fixture.publish()

        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .succeeded).first)
        let attempt = try #require(try fixture.engine.attempts(deliveryId: delivery.id).first)
        #expect(attempt.status == 200)
        let logged = peer.nginx.requests(port: peer.nginx.http2Port)
        #expect(logged.map(\.webhookId) == [delivery.messageId])
    }

    @Test func targetWithoutHTTP2UsesHTTP1() throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture { $0.caFile = peer.certificates.caFile }
        let hook = try fixture.saveHook(targetURL: peer.nginx.url("/legacy", port: peer.nginx.http1Port))
        _ = try fixture.publish()

        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .succeeded).first)
        let attempt = try #require(try fixture.engine.attempts(deliveryId: delivery.id).first)
        #expect(attempt.status == 200)
        #expect(attempt.responseHeaders.hasPrefix("HTTP/1.1 200"))
        let logged = peer.nginx.requests(port: peer.nginx.http1Port)
        try #require(logged.count == 1)
        #expect(logged[0].protocolName == "HTTP/1.1")
        #expect(logged[0].webhookId == delivery.messageId)
    }

    /// The nginx port to deliver to, with or without HTTP/2 offered by ALPN.
    enum Listener: String, CaseIterable, CustomTestStringConvertible {
        case http2
        case http1

        var testDescription: String { rawValue }

        func port(of nginx: TLSNginx) -> Int { self == .http2 ? nginx.http2Port : nginx.http1Port }

        var expectedProtocol: String { self == .http2 ? TLSDeliveryTests.expectedProtocol : "HTTP/1.1" }
    }

    @Test(arguments: Listener.allCases)
    func sequentialDeliveriesReuseOneConnection(listener: Listener) throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture { $0.caFile = peer.certificates.caFile }
        let port = listener.port(of: peer.nginx)
        let hook = try fixture.saveHook(targetURL: peer.nginx.url("/sequential", port: port))
        // Each publish waits for the previous delivery, so every request finds the connection
        // idle in libcurl's cache.
        for key in 1...5 {
            _ = try fixture.publish(primaryKey: Int64(key))
            try fixture.waitForDeliveries(of: hook, count: key, state: .succeeded)
        }

        let logged = peer.nginx.requests(port: port)
        try #require(logged.count == 5)
        #expect(Set(logged.map(\.connection)).count == 1)
        #expect(logged.map(\.connectionRequest) == [1, 2, 3, 4, 5])
        #expect(logged.allSatisfy { $0.protocolName == listener.expectedProtocol })
    }

    @Test(arguments: Listener.allCases)
    func concurrentDeliveriesShareConnections(listener: Listener) throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture { $0.caFile = peer.certificates.caFile }
        let port = listener.port(of: peer.nginx)
        let first = try fixture.saveHook(targetURL: peer.nginx.url("/first", port: port), name: "first")
        let second = try fixture.saveHook(targetURL: peer.nginx.url("/second", port: port), name: "second")
        let events = (1...12).map { EventPublication(event: "contact.created", primaryKey: Int64($0)) }
        _ = try fixture.engine.publish(batch: events)

        try fixture.waitForDeliveries(of: first, count: 12, state: .succeeded)
        try fixture.waitForDeliveries(of: second, count: 12, state: .succeeded)
        let logged = peer.nginx.requests(port: port)
        try #require(logged.count == 24)
        #expect(logged.allSatisfy { $0.protocolName == listener.expectedProtocol })
        let connections = Set(logged.map(\.connection))
        #expect(connections.count < logged.count, "\(connections.count) connections for \(logged.count) requests")
        if listener.expectedProtocol == "HTTP/2.0" {
            // Every https transfer waits for a connection that can multiplex (CURLOPT_PIPEWAIT),
            // so the 24 requests of both hooks share the first HTTP/2 connection.
            #expect(connections.count == 1, "\(connections.count) connections for \(logged.count) requests")
        }
    }

    @Test func unknownAuthorityFailsAsTLS() throws {
        let peer = try HTTPSPeer()
        // Without a CA file libcurl trusts the system's CAs, which do not include the throwaway CA.
        let fixture = try EngineFixture { $0.retrySchedule = RetrySchedule(delays: []) }
        let hook = try fixture.saveHook(targetURL: peer.nginx.url("/untrusted"))
        _ = try fixture.publish()

        let (delivery, attempt) = try fixture.onlyFailedAttempt(of: hook)
        #expect(delivery.state == .failed)
        #expect(attempt.status == 0)
        #expect(attempt.errorKind == .tls)
        let error = try #require(attempt.error)
        #expect(error.contains("certificate"))
        #expect(error.contains(peer.nginx.url("/untrusted")))
        // The handshake failed, so nginx never saw a request.
        #expect(peer.nginx.requests().isEmpty)
        #expect(try fixture.engine.registry.usage(id: hook.id).lastError?.contains("certificate") == true)

        #expect(error.contains("unable to get local issuer certificate"))
    }

    @Test func mismatchedHostNameFailsAsTLS() throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture {
            $0.caFile = peer.certificates.caFile
            $0.retrySchedule = RetrySchedule(delays: [])
        }
        // The certificate on this port is signed by the trusted CA but names only `localhost`.
        let hook = try fixture.saveHook(targetURL: peer.nginx.url("/mismatch", port: peer.nginx.mismatchPort))
        _ = try fixture.publish()

        let (_, attempt) = try fixture.onlyFailedAttempt(of: hook)
        #expect(attempt.status == 0)
        #expect(attempt.errorKind == .tls)
        let error = try #require(attempt.error)
        #expect(error.contains("certificate"))
        #expect(peer.nginx.requests().isEmpty)

        #expect(error.contains("no alternative certificate subject name matches target host name"))
    }

    // NOTE: with a CA file set, the transport also clears libcurl's default CA directory
    // (/etc/ssl/certs in Debian's libcurl 7.88), so that only the file is trusted. No test covers
    // that, because it needs a server certificate from a CA in the system's store.
    @Test func missingCAFileFailsAtOpen() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing-ca.pem").path
        for path in [missing, directory.path] {
            var configuration = EngineFixture.configuration(directory: directory) { $0.caFile = path }
            configuration.deliversEvents = false
            let error = #expect(throws: HookwireError.self) { try HookwireEngine.open(configuration) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("invalid caFile \(path)") == true)
        }
    }

    @Test func stalledHandshakeHitsConnectTimeout() throws {
        let listener = try SilentListener()
        let fixture = try EngineFixture {
            $0.connectTimeout = 1
            $0.requestTimeout = 10
            $0.leaseDuration = 20
            $0.retrySchedule = RetrySchedule(delays: [])
        }
        let hook = try fixture.saveHook(targetURL: "https://127.0.0.1:\(listener.port)/stalled")
        _ = try fixture.publish()

        let (_, attempt) = try fixture.onlyFailedAttempt(of: hook)
        #expect(attempt.status == 0)
        #expect(attempt.errorKind == .timeout)
        // The TCP connection succeeds at once, so only a connect timeout that covers the TLS
        // handshake ends the attempt before the 10-second request timeout.
        #expect(attempt.durationMilliseconds >= 900)
        #expect(attempt.durationMilliseconds < 5000, "the attempt took \(attempt.durationMilliseconds) ms")
    }

    @Test func pingOverHTTPSReportsProtocol() throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture { $0.caFile = peer.certificates.caFile }
        let hook = try fixture.saveHook(targetURL: peer.nginx.url("/ping"))
        let result = try fixture.engine.test(webhookId: hook.id)
        #expect(result.succeeded)
        #expect(result.message.contains(Self.expectedStatusLine))
        let logged = peer.nginx.requests(port: peer.nginx.http2Port)
        #expect(logged.map(\.protocolName) == [Self.expectedProtocol])

        let untrusting = try EngineFixture()
        let untrusted = try untrusting.saveHook(targetURL: peer.nginx.url("/ping"))
        let failure = try untrusting.engine.test(webhookId: untrusted.id)
        #expect(!failure.succeeded)
        #expect(failure.message.contains("certificate"))
        #expect(peer.nginx.requests().count == 1)
    }

    /// A host name whose first label has 64 characters. DNS limits a label to 63 octets (RFC 1035),
    /// so no stub resolver can encode a query for it. glibc's `getaddrinfo` checks `/etc/hosts`
    /// and then fails without sending a packet (seen with strace on glibc 2.36), so the lookup
    /// stays on the machine. A name that fits in a query is not used, because the resolver would
    /// send it to the DNS server in `/etc/resolv.conf`.
    static let unencodableHost = String(repeating: "a", count: 64) + ".hookwire.invalid"

    @Test func unresolvableHostFailsAsDNS() throws {
        let peer = try HTTPSPeer()
        let fixture = try EngineFixture {
            $0.caFile = peer.certificates.caFile
            $0.retrySchedule = RetrySchedule(delays: [])
        }
        let url = "https://\(Self.unencodableHost):\(peer.nginx.http2Port)/dns"
        let hook = try fixture.saveHook(targetURL: url)
        _ = try fixture.publish()

        let (_, attempt) = try fixture.onlyFailedAttempt(of: hook)
        #expect(attempt.status == 0)
        #expect(attempt.errorKind == .dns)
        #expect(attempt.error?.contains("resolve") == true)
        #expect(attempt.error?.contains(Self.unencodableHost) == true)
        #expect(peer.nginx.requests().isEmpty)
    }

    @Test func curlCodesMapToErrorKinds() {
        #expect(Transfer.kind(of: CURLE_COULDNT_RESOLVE_HOST) == .dns)
        #expect(Transfer.kind(of: CURLE_PEER_FAILED_VERIFICATION) == .tls)
        #expect(Transfer.kind(of: CURLE_SSL_CONNECT_ERROR) == .tls)
        #expect(Transfer.kind(of: CURLE_SSL_CACERT_BADFILE) == .tls)
        #expect(Transfer.kind(of: CURLE_OPERATION_TIMEDOUT) == .timeout)
        #expect(Transfer.kind(of: CURLE_COULDNT_CONNECT) == .connectionRefused)
    }
}

extension EngineFixture {
    /// Saves an active HTTP hook listening to `contact.created` that posts to `targetURL`.
    func saveHook(targetURL: String, name: String = "https hook") throws -> Webhook {
        try engine.registry.save(
            Webhook(name: name, events: ["contact.created"], targetURL: targetURL, secret: testSecret))
    }

    /// Waits for the hook's only delivery to fail, and returns it with its only attempt.
    func onlyFailedAttempt(of hook: Webhook) throws -> (Delivery, DeliveryAttempt) {
        let delivery = try #require(try waitForDeliveries(of: hook, state: .failed).first)
        let attempts = try engine.attempts(deliveryId: delivery.id)
        try #require(attempts.count == 1)
        return (delivery, attempts[0])
    }
}
