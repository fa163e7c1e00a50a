import Foundation
import Glibc
import HookwireCore
import HookwireProtocol
import Testing

@testable import HookwireServer

/// A running `hookwired` process whose standard error is collected line by line.
final class Daemon: Sendable {
    let process: Process
    private let lines = LogRecorder()

    /// Returns the path of the built `hookwired`: `$HOOKWIRED`, or the binary next to the test
    /// binary or in a directory above it.
    static func path() throws -> String {
        if let path = ProcessInfo.processInfo.environment["HOOKWIRED"] { return path }
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("hookwired").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw HookwireError(.notFound, "hookwired not found near \(testBinary); build it with `swift build --product hookwired`")
    }

    /// Starts `hookwired` with `arguments`, through `/bin/sh` with `ulimit -n` when
    /// `descriptorLimit` is set, and with `environment` added to this process's variables.
    init(_ arguments: [String], descriptorLimit: Int? = nil, environment: [String: String] = [:]) throws {
        process = Process()
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let binary = try Self.path()
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let reader = errors.fileHandleForReading
        Thread.detachNewThread { [lines] in
            var pending = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                pending += chunk
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    lines.record(line)
                    pending = Data(pending[(newline + 1)...])
                }
            }
        }
    }

    var log: [String] { lines.all }

    /// Waits up to 10 s for a log line containing `text` and returns it.
    func waitForLine(containing text: String) -> String? {
        for _ in 0..<1000 {
            if let line = log.first(where: { $0.contains(text) }) { return line }
            if !process.isRunning { return log.first(where: { $0.contains(text) }) }
            usleep(10_000)
        }
        return nil
    }

    /// Waits for the `listening on HOST:PORT` line and returns its port.
    func waitForPort() -> Int? {
        guard let line = waitForLine(containing: "listening on ") else { return nil }
        let address = line.components(separatedBy: "listening on ")[1].split(separator: " ")[0]
        return address.split(separator: ":").last.flatMap { Int($0) }
    }

    /// Waits up to 20 s for the process to exit and returns its status, or nil.
    func waitForExit() -> Int32? {
        for _ in 0..<2000 {
            if !process.isRunning { return process.terminationStatus }
            usleep(10_000)
        }
        return nil
    }

    /// CPU seconds the process has used, from /proc.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

@Suite(.serialized) struct DaemonTests {
    func temporaryDatabase() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("hookwired-\(UUID().uuidString).db").path
    }

    func handshake(_ port: Int) throws -> RawClient {
        let client = try RawClient(port: port)
        client.sendFrame(.hello, payload: TestWire.hello())
        let welcome = try client.expectFrame("WELCOME")
        guard welcome.type == .welcome, welcome.status == .ok else {
            throw RawClientError.closed("an OK WELCOME, got \(welcome.type) \(welcome.status)")
        }
        return client
    }

    @Test func badFlagExitsWithUsageError() throws {
        let daemon = try Daemon(["--max-connections", "many"])
        #expect(daemon.waitForExit() == 2)
        #expect(daemon.waitForLine(containing: "invalid value \"many\" for --max-connections") != nil)
    }

    @Test func badRangeCreatesNoDatabase() throws {
        let database = temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: database) }
        let daemon = try Daemon(["--db", database, "--allow-range", "10.0.0.0/33"])
        #expect(daemon.waitForExit() == 2)
        #expect(daemon.waitForLine(containing: "\"10.0.0.0/33\": expected 0 to 32 for --allow-range") != nil)
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test func engineSettingErrorsNameFlags() throws {
        let database = temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: database) }
        let cases: [([String], String)] = [
            (["--ca-file", "/nonexistent/ca.pem"], "invalid --ca-file /nonexistent/ca.pem: no readable file there"),
            (["--lease", "10s", "--request-timeout", "15s"], "invalid --lease 10 s: expected more than --request-timeout (15 s)"),
        ]
        for (flags, expected) in cases {
            let daemon = try Daemon(["--db", database] + flags)
            #expect(daemon.waitForExit() == 2)
            #expect(daemon.waitForLine(containing: expected) != nil)
            #expect(!FileManager.default.fileExists(atPath: database))
        }
    }

    @Test func environmentProxyIsNotUsed() throws {
        let proxy = try LoopbackReceiver()
        let receiver = try LoopbackReceiver()
        defer {
            proxy.stop()
            receiver.stop()
        }
        let database = temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: database) }
        // Through a proxy, the address check would see the proxy's address, not the target's.
        let proxyURL = "http://127.0.0.1:\(proxy.port)"
        let daemon = try Daemon(
            ["--db", database, "--listen", "127.0.0.1:0", "--allow-range", "127.0.0.0/8"],
            environment: ["http_proxy": proxyURL, "https_proxy": proxyURL, "all_proxy": proxyURL, "no_proxy": ""])
        let port = try #require(daemon.waitForPort())
        let server = ["--server", "127.0.0.1:\(port)", "--json"]
        let saved = try ClientCommandLineTests.run(
            server + ["save", "--name", "direct", "--url", "http://127.0.0.1:\(receiver.port)/hook", "--events", "*"])
        #expect(saved.status == 0, "stderr: \(saved.error)")
        let published = try ClientCommandLineTests.run(server + ["publish", "contact.created"])
        #expect(published.status == 0, "stderr: \(published.error)")

        #expect(eventually(seconds: 10) { receiver.requests + proxy.requests >= 1 })
        #expect(receiver.requests == 1)
        #expect(proxy.requests == 0)
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func secondServerOnDatabaseRefused() throws {
        let database = temporaryDatabase()
        defer {
            for suffix in ["", ".lock", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        }
        let first = try Daemon(["--db", database, "--listen", "127.0.0.1:0"])
        _ = try #require(first.waitForPort())

        let second = try Daemon(["--db", database, "--listen", "127.0.0.1:0"])
        #expect(second.waitForExit() == 1)
        let expected = "database \(database) is in use by another process (process \(first.process.processIdentifier))"
        #expect(second.waitForLine(containing: expected) != nil, "log: \(second.log)")

        kill(first.process.processIdentifier, SIGTERM)
        #expect(first.waitForExit() == 0)
        let third = try Daemon(["--db", database, "--listen", "127.0.0.1:0"])
        #expect(third.waitForPort() != nil, "log: \(third.log)")
        kill(third.process.processIdentifier, SIGTERM)
        #expect(third.waitForExit() == 0)
    }

    @Test func stateChangesAreLogged() throws {
        let gone = try LoopbackReceiver(status: 410)
        defer { gone.stop() }
        let database = temporaryDatabase()
        defer {
            for suffix in ["", ".lock", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: database + suffix) }
        }
        let daemon = try Daemon(["--db", database, "--listen", "127.0.0.1:0", "--allow-range", "127.0.0.0/8"])
        let port = try #require(daemon.waitForPort())
        let server = ["--server", "127.0.0.1:\(port)", "--json"]
        func save(_ name: String, _ arguments: [String]) throws -> Int64 {
            let saved = try ClientCommandLineTests.run(server + ["save", "--name", name] + arguments)
            guard case .object(let hook) = try saved.json(), case .integer(let id)? = hook["id"] else {
                throw HookwireError.invalidArgument("save failed: \(saved.error)")
            }
            return id
        }

        // A 410 on the hook's first attempt disables it at once.
        let disabled = try save("gone", ["--url", "http://127.0.0.1:\(gone.port)/gone", "--events", "contact.created"])
        let published = try ClientCommandLineTests.run(server + ["publish", "contact.created"])
        #expect(published.status == 0, "stderr: \(published.error)")
        let errors = daemon.waitForLine(containing: "webhook \(disabled) state changed from Active to TooManyErrors")
        #expect(errors?.contains("410") == true, "log: \(daemon.log)")

        // A save that stops a hook is a change too.
        let stopped = try save("paused", ["--url", "http://127.0.0.1:\(gone.port)/paused", "--events", "sale.sold"])
        _ = try save("paused", ["--id", String(stopped), "--url", "http://127.0.0.1:\(gone.port)/paused", "--events", "sale.sold", "--state", "stopped"])
        #expect(daemon.waitForLine(containing: "webhook \(stopped) state changed from Active to Stopped") != nil, "log: \(daemon.log)")

        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }

    @Test func missingTokenFileNamesReason() throws {
        let daemon = try Daemon(["--db", temporaryDatabase(), "--token-file", "/nonexistent/tokens"])
        #expect(daemon.waitForExit() == 2)
        #expect(daemon.waitForLine(containing: "cannot read token file /nonexistent/tokens: ") != nil)
    }

    @Test func sigtermDrainsClientsAndExits() throws {
        let database = temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: database) }
        let daemon = try Daemon(["--db", database, "--listen", "127.0.0.1:0"])
        let port = try #require(daemon.waitForPort())
        #expect(daemon.log.first?.contains("hookwired \(HookwireServer.version) starting") == true)
        let client = try handshake(port)

        kill(daemon.process.processIdentifier, SIGTERM)
        let goAway = try client.expectFrame("GOAWAY")
        #expect(goAway.type == .goAway)
        #expect(goAway.status == .ok)
        #expect(try client.readUntilClosed() == [])
        #expect(daemon.waitForExit() == 0)
        #expect(daemon.waitForLine(containing: "received SIGTERM") != nil)
        #expect(daemon.waitForLine(containing: "stopped") != nil)
    }

    @Test func fullDescriptorTableDoesNotSpin() throws {
        let database = temporaryDatabase()
        defer { try? FileManager.default.removeItem(atPath: database) }
        let daemon = try Daemon(["--db", database, "--listen", "127.0.0.1:0"], descriptorLimit: 48)
        let port = try #require(daemon.waitForPort())
        var clients: [RawClient] = []
        for _ in 0..<80 {
            clients.append(try RawClient(port: port))
        }
        #expect(daemon.waitForLine(containing: "Too many open files") != nil)
        let before = daemon.cpuSeconds
        usleep(2_000_000)
        let spent = daemon.cpuSeconds - before
        #expect(spent < 0.5, "hookwired used \(spent) s of CPU in 2 s with its descriptor table full")
        clients.removeAll()
        usleep(500_000)
        let client = try handshake(port)
        client.sendFrame(.ping, payload: [UInt8](repeating: 3, count: 8))
        #expect(try client.expectFrame().type == .pong)
        kill(daemon.process.processIdentifier, SIGTERM)
        #expect(daemon.waitForExit() == 0)
    }
}
