import Foundation
import HookwireCore
import HookwireProtocol
import Synchronization

@testable import HookwireServer

/// Named semaphores that scripted calls wait on, so a test decides when each call finishes.
final class Gates: Sendable {
    private let semaphores = Mutex<[String: DispatchSemaphore]>([:])

    func semaphore(_ name: String) -> DispatchSemaphore {
        semaphores.withLock { table in
            if let semaphore = table[name] { return semaphore }
            let semaphore = DispatchSemaphore(value: 0)
            table[name] = semaphore
            return semaphore
        }
    }

    /// Lets up to 100 calls waiting on `name` finish.
    func open(_ name: String) {
        let semaphore = semaphore(name)
        for _ in 0..<100 { semaphore.signal() }
    }
}

/// A call handler driven by the request text, for testing the server's connection handling:
/// `echo:TEXT` returns TEXT, `caller` returns the caller's application (or `administrator`),
/// `wait:NAME` waits for the gate NAME then returns NAME, `big:N` returns N bytes, `fail`
/// throws not-found. Every call counts in `calls`.
final class ScriptedHandler: CallHandler {
    let gates = Gates()
    let calls = Atomic<Int>(0)
    let started = Atomic<Int>(0)

    func handle(_ method: HookwireProtocol.Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult {
        calls.add(1, ordering: .relaxed)
        let text = String(decoding: request, as: UTF8.self)
        if text.hasPrefix("echo:") {
            return .success(Array(text.utf8.dropFirst(5)))
        }
        if text == "caller" {
            let name = caller.isAdministrator ? "administrator" : caller.applicationToken ?? "anonymous"
            return .success(Array(name.utf8))
        }
        if text.hasPrefix("wait:") {
            started.add(1, ordering: .relaxed)
            let name = String(text.dropFirst(5))
            _ = gates.semaphore(name).wait(timeout: .now() + 20)
            return .success(Array(name.utf8))
        }
        if text.hasPrefix("big:"), let count = Int(text.dropFirst(4)) {
            return .success([UInt8](repeating: 0x61, count: count))
        }
        if text == "fail" {
            return .failure(HookwireError.notFound("webhook 42 not found"))
        }
        return .failure(.invalidArgument, "unknown script \(text)", .invalidArgument)
    }

    /// Open watch streams; `emitToWatchers` sends an item to each one not cancelled.
    let watchers = Mutex<[ScriptedWatch]>([])

    func watch(
        request: ArraySlice<UInt8>, caller: Caller, emit: @escaping @Sendable (any ProtobufMessage) -> Void
    ) -> Result<any WatchSubscription, CallFailure> {
        if String(decoding: request, as: UTF8.self) == "refuse" {
            return .failure(CallFailure(status: .permissionDenied, message: "watch refused by the script", code: .permissionDenied))
        }
        let watch = ScriptedWatch(emit: emit)
        watchers.withLock { $0.append(watch) }
        return .success(watch)
    }

    /// Sends `item` to every open watch stream and returns how many received it.
    @discardableResult
    func emitToWatchers(_ item: any ProtobufMessage) -> Int {
        let open = watchers.withLock { $0.filter { !$0.isCancelled } }
        for watch in open { watch.emit(item) }
        return open.count
    }
}

/// A watch stream of `ScriptedHandler`, cancelled by the server.
final class ScriptedWatch: WatchSubscription {
    let emit: @Sendable (any ProtobufMessage) -> Void
    private let cancelled = Atomic<Bool>(false)

    init(emit: @escaping @Sendable (any ProtobufMessage) -> Void) { self.emit = emit }

    var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

/// Keeps the server's log lines so that tests can check what it logged.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    func record(_ line: String) { lines.withLock { $0.append(line) } }

    var all: [String] { lines.withLock { $0 } }
}

/// A running server on 127.0.0.1 with a free port, shut down by `stop()`.
final class TestServer {
    let server: HookwireServer
    let port: Int
    let handler: ScriptedHandler
    let log = LogRecorder()

    init(handler: ScriptedHandler = ScriptedHandler(), configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.eventLoopCount = 2
        configuration.workerThreadCount = 4
        configure(&configuration)
        let log = self.log
        configuration.log = { line in log.record(line) }
        self.handler = handler
        server = HookwireServer(handler: handler, configuration: configuration)
        port = try server.start().port
    }

    /// Connects a client and completes the handshake.
    func connectedClient(token: String = "") throws -> RawClient {
        let client = try RawClient(port: port)
        client.sendFrame(.hello, payload: TestWire.hello(token: token))
        let welcome = try client.expectFrame("WELCOME")
        guard welcome.type == .welcome, welcome.status == .ok else {
            throw RawClientError.closed("an OK WELCOME, got \(welcome.type) \(welcome.status)")
        }
        return client
    }

    /// Checks that a fresh client can still complete a handshake and a call.
    func servesWellBehavedClient() throws -> Bool {
        let client = try connectedClient()
        client.sendFrame(.request, streamId: 1, code: Method.getWebhook.rawValue, payload: Array("echo:alive".utf8))
        let response = try client.expectFrame("the echo response")
        return response.type == .response && response.payload == Array("alive".utf8)
    }

    /// Waits up to 10 s for the open connection count to reach `count`.
    func waitForConnectionCount(_ count: Int) -> Bool {
        for _ in 0..<1000 {
            if server.connectionCount == count { return true }
            usleep(10_000)
        }
        return server.connectionCount == count
    }

    func stop() {
        server.shutdown(gracePeriod: 2)
    }

    deinit { server.shutdown(gracePeriod: 0) }
}

/// Encodes the REQUEST payload of a scripted call.
func script(_ text: String) -> [UInt8] { Array(text.utf8) }

let scriptedMethod = Method.getWebhook.rawValue
