import CLinuxShim
import Foundation
import Glibc
import Hookwire
import HookwireClient
import HookwireProtocol
import Synchronization
import Testing

@testable import HookwireServer

/// The client's connection handling: multiplexing, out-of-order completion, stream limits,
/// timeouts, cancellation and reconnecting. Most tests use the scripted handler, whose calls
/// finish when a test opens their gate.
@Suite(.serialized) struct ClientConnectionTests {
    @Test func manyConcurrentCallsShareOneConnection() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        // 300 calls are three times the server's limit of 100 streams, so the client must
        // queue the rest instead of getting RESOURCE_EXHAUSTED.
        let replies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<300 {
                group.addTask { (index, try await client.perform(scriptedCall("echo:\(index)"))) }
            }
            var replies: [Int: String] = [:]
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
        #expect(replies.count == 300)
        #expect((0..<300).allSatisfy { replies[$0] == "\($0)" })
        #expect(server.server.connectionCount == 1)
        #expect(server.handler.calls.load(ordering: .relaxed) == 300)
    }

    @Test func responsesCompleteOutOfOrder() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        let first = Task { try await client.perform(scriptedCall("wait:first")) }
        #expect(eventually { server.handler.started.load(ordering: .relaxed) == 1 })
        let second = try await client.perform(scriptedCall("echo:second"))
        #expect(second == "second")
        server.handler.gates.open("first")
        #expect(try await first.value == "first")
        #expect(server.server.connectionCount == 1)
    }

    @Test func serverErrorCarriesStatusAndMessage() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        let error = await #expect(throws: HookwireError.self) { try await client.perform(scriptedCall("fail")) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "webhook 42 not found")
        #expect(try await client.perform(scriptedCall("echo:after")) == "after")
    }

    @Test func callTimesOutAndConnectionStaysUsable() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        let started = ContinuousClock.now
        let error = await #expect(throws: HookwireError.self) {
            try await client.perform(scriptedCall("wait:never"), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut)
        #expect(ContinuousClock.now - started >= .milliseconds(200))
        #expect(try await client.perform(scriptedCall("echo:still here")) == "still here")
        #expect(server.server.connectionCount == 1)
        server.handler.gates.open("never")
    }

    @Test func shortDeadlineWakesSleepingReader() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        // The reader sleeps until the first call's deadline, 60 s away; the second call's
        // deadline is earlier, so starting it must wake the reader.
        let long = Task { try await client.perform(scriptedCall("wait:long"), timeout: .seconds(60)) }
        #expect(eventually { server.handler.started.load(ordering: .relaxed) == 1 })
        usleep(50_000)
        let started = ContinuousClock.now
        let error = await #expect(throws: HookwireError.self) {
            try await client.perform(scriptedCall("wait:short"), timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut)
        #expect(ContinuousClock.now - started < .seconds(5))
        server.handler.gates.open("long")
        server.handler.gates.open("short")
        #expect(try await long.value == "long")
    }

    @Test func idleClientReaderSleeps() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let before = Set(clientReaderThreads())
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }
        #expect(try await client.perform(scriptedCall("echo:once"), timeout: .seconds(30)) == "once")

        // The finished call's 30 s deadline must not keep the reader waking up to check it.
        // Another suite's client may start at the same time, so the quietest new reader counts.
        let readers = clientReaderThreads().filter { !before.contains($0) }
        #expect(!readers.isEmpty)
        let switchesBefore = readers.map(voluntarySwitches)
        usleep(500_000)
        let wakeUps = zip(readers.map(voluntarySwitches), switchesBefore).map { $0 - $1 }.min() ?? 0
        #expect(wakeUps <= 5, "the idle reader woke \(wakeUps) times in 0.5 s")
    }

    @Test func blockingCallTimesOut() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        let error = #expect(throws: HookwireError.self) {
            try client.performBlocking(scriptedCall("wait:blocked"), timeout: .milliseconds(100))
        }
        #expect(error?.code == .timedOut)
        server.handler.gates.open("blocked")
        #expect(try client.performBlocking(scriptedCall("echo:next")) == "next")
    }

    @Test func cancelledTaskEndsItsCall() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        let task = Task { try await client.perform(scriptedCall("wait:cancelled")) }
        #expect(eventually { server.handler.started.load(ordering: .relaxed) == 1 })
        task.cancel()
        let error = await #expect(throws: HookwireError.self) { try await task.value }
        #expect(error?.code == .cancelled)
        server.handler.gates.open("cancelled")
        #expect(try await client.perform(scriptedCall("echo:ok")) == "ok")
    }

    @Test func callsInFlightFailWhenConnectionIsLost() async throws {
        let server = try TestServer()
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        defer { client.close() }

        let pending = Task { try await client.perform(scriptedCall("wait:lost")) }
        #expect(eventually { server.handler.started.load(ordering: .relaxed) == 1 })
        let running = server.server
        let stopper = Thread { running.shutdown(gracePeriod: 0.2) }
        stopper.start()
        let error = await #expect(throws: HookwireError.self) { try await pending.value }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("127.0.0.1:\(server.port)") == true)
        server.handler.gates.open("lost")
    }

    @Test func nextCallReconnectsAfterServerRestart() async throws {
        let first = try ClientEngineServer()
        let client = try HookwireClient(server: first.address)
        defer { client.close() }
        let hook = try await client.save(Webhook(name: "Survivor", events: ["*"], targetURL: "https://example.invalid/"))
        first.stop()

        let lost = await #expect(throws: HookwireError.self) { try await client.get(id: hook.id) }
        #expect(lost?.code == .unavailable)

        let second = try ClientEngineServer(port: first.port, directory: first.directory)
        defer { second.stop(); second.removeFiles() }
        let fetched = try await client.get(id: hook.id)
        #expect(fetched.name == "Survivor")
        #expect(second.server.connectionCount == 1)
    }

    @Test func unreachableServerIsUnavailable() async throws {
        var port: Int32 = 0
        let listener = hw_tcp_listen("127.0.0.1", 0, 0, 1, &port)
        try #require(listener >= 0)
        close(listener)
        let client = try HookwireClient(server: "127.0.0.1:\(port)")
        let error = await #expect(throws: HookwireError.self) { try await client.stats() }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "cannot connect to 127.0.0.1:\(port): Connection refused")
    }

    @Test func closedClientRejectsCalls() async throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try HookwireClient(server: "127.0.0.1:\(server.port)")
        #expect(try await client.perform(scriptedCall("echo:open")) == "open")
        client.close()
        let error = await #expect(throws: HookwireError.self) { try await client.perform(scriptedCall("echo:late")) }
        #expect(error?.code == .cancelled)
    }

    @Test func serverAddressParsing() throws {
        #expect(try ServerAddress(parsing: "127.0.0.1:7600") == ServerAddress(host: "127.0.0.1", port: 7600))
        #expect(try ServerAddress(parsing: "[::1]:9000") == ServerAddress(host: "::1", port: 9000))
        #expect(try ServerAddress(parsing: "localhost") == ServerAddress(host: "localhost", port: 7600))
        #expect(ServerAddress(host: "::1", port: 7600).description == "[::1]:7600")
        for bad in ["", ":7600", "host:0", "host:70000", "host:port", "[::1", "[::1]7600"] {
            let error = #expect(throws: HookwireError.self) { try ServerAddress(parsing: bad) }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.contains("\"\(bad)\"") == true)
        }
    }
}

/// Returns the thread ids of this process's client reader threads.
private func clientReaderThreads() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.filter { tid in
        (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8))?.hasPrefix("hw-client-read") == true
    }
}

/// Returns how many times a thread of this process gave up its processor to wait, read from `/proc`.
private func voluntarySwitches(_ tid: String) -> Int {
    let status = (try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
    return line.flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
}
