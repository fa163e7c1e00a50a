import CLinuxShim
import Foundation
import Glibc
import Hookwire
import HookwireClient
import HookwireProtocol
import Synchronization
import Testing

@testable import HookwireServer

// Fixtures of the client tests: a server on a real engine and a temporary SQLite file, a
// loopback HTTP receiver, and a message type that carries the scripted handler's raw requests.

/// A `hookwired`-equivalent server on 127.0.0.1 with a free port (or a given one, to restart
/// on the same address), backed by an engine on a SQLite file in a temporary directory.
final class ClientEngineServer {
    let directory: String
    let engine: HookwireEngine
    let server: HookwireServer
    let port: Int

    /// `HOST:PORT` for clients.
    var address: String { "127.0.0.1:\(port)" }

    init(port: Int = 0, directory: String? = nil, tokens: TokenTable? = nil) throws {
        let directory = directory ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("hookwire-client-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        var engineConfiguration = HookwireEngine.Configuration(databasePath: directory + "/hookwire.db")
        engineConfiguration.allowPrivateTargets = true
        engineConfiguration.connectTimeout = 2
        engineConfiguration.requestTimeout = 5
        engine = try HookwireEngine.open(engineConfiguration)
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.eventLoopCount = 1
        configuration.workerThreadCount = 4
        configuration.tokens = tokens
        server = HookwireServer(engine: engine, configuration: configuration)
        self.port = try server.start().port
    }

    /// Stops the server and the engine; the database file stays for a restart.
    func stop() {
        server.shutdown(gracePeriod: 1)
        engine.shutdown(timeout: 2)
    }

    /// Removes the temporary directory.
    func removeFiles() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        server.shutdown(gracePeriod: 0)
        engine.shutdown(timeout: 1)
    }
}

/// An HTTP server on 127.0.0.1 that responds to every request with `status` and an empty body, and
/// counts the requests. It serves one request per connection.
final class LoopbackReceiver: Sendable {
    let port: Int
    private let listener: Int32
    private let requestCount = Atomic<Int>(0)
    private let isStopped = Atomic<Bool>(false)

    var requests: Int { requestCount.load(ordering: .relaxed) }

    init(status: Int = 200) throws {
        var bound: Int32 = 0
        let descriptor = hw_tcp_listen("127.0.0.1", 0, 0, 64, &bound)
        guard descriptor >= 0 else { throw HookwireError(.unavailable, "cannot listen for the test receiver") }
        _ = hw_set_nonblocking(descriptor, 0)
        listener = descriptor
        port = Int(bound)
        let thread = Thread { [self] in serve(status: status) }
        thread.start()
    }

    private func serve(status: Int) {
        while !isStopped.load(ordering: .relaxed) {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16 << 10)
            while true {
                let count = recv(connection, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += buffer[0..<count]
                if let body = Self.bodyStart(received), received.count >= body.offset + body.length { break }
            }
            requestCount.add(1, ordering: .relaxed)
            let response = Array("HTTP/1.1 \(status) Test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            _ = response.withUnsafeBytes { hw_send_nosignal(connection, $0.baseAddress, UInt($0.count)) }
            close(connection)
        }
    }

    /// Returns the offset of the body and its Content-Length once the headers are complete.
    private static func bodyStart(_ bytes: [UInt8]) -> (offset: Int, length: Int)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let headers = text[..<end.lowerBound].lowercased()
        var length = 0
        for line in headers.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return (text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound), length)
    }

    func stop() {
        isStopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// A request or response message of raw bytes, for the scripted test handler that reads its
/// script from the request payload and responds with raw bytes.
struct RawBytesMessage: ProtobufMessage {
    var bytes: [UInt8] = []

    init() {}
    init(_ text: String) { bytes = Array(text.utf8) }

    func encode(into buffer: inout [UInt8]) { buffer.append(contentsOf: bytes) }
    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) { self.bytes = Array(bytes) }
}

/// A call of the scripted handler: `echo:TEXT`, `wait:GATE`, `fail`.
func scriptedCall(_ script: String) -> HookwireCall<String> {
    HookwireCall(
        method: .getWebhook, request: RawBytesMessage(script), response: RawBytesMessage.self,
        convert: { message throws(HookwireError) in String(decoding: message.bytes, as: UTF8.self) })
}

/// Polls `condition` every 10 ms for up to `seconds`; returns whether it became true.
func eventually(seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}

@Suite struct ClientTestServerTests {
    @Test func receiverAnswersAndCounts() throws {
        let receiver = try LoopbackReceiver(status: 204)
        defer { receiver.stop() }
        let descriptor = hw_tcp_connect("127.0.0.1", Int32(receiver.port))
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let request = Array("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi".utf8)
        _ = request.withUnsafeBytes { hw_send_nosignal(descriptor, $0.baseAddress, UInt($0.count)) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer[0..<max(count, 0)], as: UTF8.self).hasPrefix("HTTP/1.1 204"))
        #expect(receiver.requests == 1)
    }
}
