import Foundation
import Hookwire
import HookwireClient
import HookwireProtocol
import Synchronization
import Testing

@testable import HookwireServer

/// The `hookwire` command line end to end: the built `hookwire-cli` binary is spawned against a
/// server on a real engine, and its exit status, standard output and standard error checked.
@Suite(.serialized) struct ClientCommandLineTests {
    /// The output of one run of the tool.
    struct Run {
        var status: Int32
        var output: String
        var error: String

        /// Standard output parsed as JSON.
        func json() throws -> JSONValue { try JSONValue(parsing: output) }
    }

    /// The webhook keys of `--json` output, in the order they are printed.
    static let webhookKeys = [
        "id", "name", "targetUrl", "events", "type", "state", "appToken", "headers", "properties", "description",
        "registered", "updated",
    ]

    /// Returns the path of the built `hookwire-cli`: `$HOOKWIRE_CLI`, or the binary next to the
    /// test binary or in a directory above it.
    static func toolPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["HOOKWIRE_CLI"] { return path }
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("hookwire-cli").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw HookwireError(
            .notFound, "hookwire-cli not found near \(testBinary); build it with `swift build --product hookwire-cli`")
    }

    /// Runs the tool with `arguments` and an environment without `HOOKWIRE_*` variables, plus
    /// `environment`. The run is killed after 30 seconds.
    static func run(_ arguments: [String], environment: [String: String] = [:], input: Data? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try toolPath())
        process.arguments = arguments
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HOOKWIRE_") }
        variables.merge(environment) { _, new in new }
        process.environment = variables
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(input)
            try inputPipe.fileHandleForWriting.close()
        }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: watchdog)
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return Run(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData, as: UTF8.self))
    }

    /// Returns the top-level keys of a JSON object, in the order the text lists them.
    static func keyOrder(_ text: String) -> [String] {
        var keys: [String] = []
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "{" || character == "[" { depth += 1 }
            if character == "}" || character == "]" { depth -= 1 }
            if character == "\"" {
                var end = text.index(after: index)
                while text[end] != "\"" { end = text.index(end, offsetBy: text[end] == "\\" ? 2 : 1) }
                let string = String(text[text.index(after: index)..<end])
                let next = text.index(after: end)
                if depth == 1, next < text.endIndex, text[next] == ":" { keys.append(string) }
                index = next
                continue
            }
            index = text.index(after: index)
        }
        return keys
    }

    @Test func saveGetListDeleteWithJSON() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]

        let saved = try Self.run(
            global + [
                "save", "--name", "Orders", "--url", "https://example.invalid/orders", "--events",
                "contact.created,contact.changed", "--header", "X-Team=sales", "--property", "priority=3",
                "--property", "region=north", "--description", "order changes",
            ])
        #expect(saved.status == 0, "stderr: \(saved.error)")
        #expect(Self.keyOrder(saved.output) == Self.webhookKeys + ["secret"])
        guard case .object(let created) = try saved.json(), case .integer(let id)? = created["id"] else {
            Issue.record("save printed no webhook object: \(saved.output)")
            return
        }
        #expect(created["name"] == "Orders")
        #expect(created["targetUrl"] == "https://example.invalid/orders")
        #expect(created["events"] == .array(["contact.created", "contact.changed"]))
        #expect(created["type"] == "webhook")
        #expect(created["state"] == "Active")
        #expect(created["appToken"] == .null)
        #expect(created["headers"] == .object(["X-Team": "sales"]))
        #expect(created["properties"] == .object(["priority": 3, "region": "north"]))
        #expect(created["description"] == "order changes")
        guard case .string(let secret)? = created["secret"] else {
            Issue.record("save of a new hook printed no secret")
            return
        }
        #expect(secret.hasPrefix("whsec_"))

        let fetched = try Self.run(global + ["get", String(id)])
        #expect(fetched.status == 0, "stderr: \(fetched.error)")
        #expect(Self.keyOrder(fetched.output) == Self.webhookKeys)
        #expect(!fetched.output.contains(secret))

        let changed = try Self.run(global + ["save", "--id", String(id), "--state", "stopped"])
        #expect(changed.status == 0, "stderr: \(changed.error)")
        #expect(Self.keyOrder(changed.output) == Self.webhookKeys)
        guard case .object(let updated) = try changed.json() else { throw HookwireError.invalidArgument(changed.output) }
        #expect(updated["state"] == "Stopped")
        #expect(updated["name"] == "Orders")

        let listed = try Self.run(global + ["list", "--state", "Stopped"])
        #expect(listed.status == 0, "stderr: \(listed.error)")
        guard case .array(let hooks) = try listed.json() else { throw HookwireError.invalidArgument(listed.output) }
        #expect(hooks.count == 1)
        #expect(!listed.output.contains(secret))
        let none = try Self.run(global + ["list", "--name", "Nobody"])
        #expect(try none.json() == .array([]))

        let deleted = try Self.run(global + ["delete", String(id)])
        #expect(deleted.status == 0, "stderr: \(deleted.error)")
        let missing = try Self.run(global + ["get", String(id)])
        #expect(missing.status == 1)
        #expect(missing.output.isEmpty)
        #expect(missing.error.contains("webhook \(id) not found"))
    }

    @Test func saveRemovesHeadersPropertiesAndToken() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]
        let saved = try Self.run(
            global + [
                "save", "--name", "Trimmed", "--url", "https://example.invalid/t", "--events", "*",
                "--header", "X-Team=sales", "--header", "X-Keep=1", "--property", "region=north",
                "--property", "tier=2", "--app-token", "crm",
            ])
        guard case .object(let created) = try saved.json(), case .integer(let id)? = created["id"] else {
            throw HookwireError.invalidArgument("save failed: \(saved.error)")
        }
        #expect(created["appToken"] == "crm")

        let changed = try Self.run(
            global + [
                "save", "--id", String(id), "--remove-header", "x-team", "--remove-property", "region",
                "--app-token", "",
            ])
        #expect(changed.status == 0, "stderr: \(changed.error)")
        guard case .object(let updated) = try changed.json() else { throw HookwireError.invalidArgument(changed.output) }
        #expect(updated["headers"] == .object(["X-Keep": "1"]))
        #expect(updated["properties"] == .object(["tier": 2]))
        #expect(updated["appToken"] == .null)
    }

    @Test func usageErrorsExitWithTwo() throws {
        let cases: [([String], String)] = [
            (["get"], "missing ID"),
            (["get", "abc"], "ID must be a positive integer, got \"abc\""),
            (["frobnicate"], "unknown command \"frobnicate\""),
            (["--bogus", "list"], "unknown option \"--bogus\""),
            (["list", "--bogus"], "unknown option --bogus"),
            (["save", "--state", "sleeping"], "got \"sleeping\""),
            (["save", "--header", "novalue"], "needs KEY=VALUE, got \"novalue\""),
            (["publish", "contact.created", "--data", "{bad"], "option --data needs JSON"),
            (["redeliver", "--webhook", "3"], "options --webhook and --since go together"),
            (["--server", "host:99999", "stats"], "invalid server address \"host:99999\""),
            ([], "missing command"),
        ]
        for (arguments, message) in cases {
            let server = arguments.contains("--server") ? [] : ["--server", "127.0.0.1:1"]
            let run = try Self.run(server + arguments)
            #expect(run.status == 2, "\(arguments): \(run.error)")
            #expect(run.error.contains(message), "\(arguments): \(run.error)")
            #expect(run.error.contains("usage: hookwire"), "\(arguments): \(run.error)")
        }
        let help = try Self.run(["save", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("--app-token TOKEN"))
    }

    @Test func versionMatchesLibrary() throws {
        let run = try Self.run(["--version"])
        #expect(run.status == 0)
        #expect(run.output == "hookwire \(HookwireVersion.string)\n")
    }

    @Test func unreachableServerExitsWithOne() throws {
        let run = try Self.run(["--server", "127.0.0.1:1", "stats"])
        #expect(run.status == 1)
        #expect(run.error.contains("cannot connect to 127.0.0.1:1"))
    }

    @Test func secretsOnlyFromNewHooksAndRotation() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let environment = ["HOOKWIRE_SERVER": server.address]

        let saved = try Self.run(
            ["save", "--name", "Secretive", "--url", "https://example.invalid/s", "--events", "*", "--secret",
             "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0"],
            environment: environment)
        #expect(saved.status == 0, "stderr: \(saved.error)")
        #expect(saved.output.contains("whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0"))
        let id = try #require(
            saved.output.split(separator: "\n").first { $0.hasPrefix("id:") }.flatMap {
                Int64($0.dropFirst(3).trimmingCharacters(in: .whitespaces))
            })

        let rotated = try Self.run(["rotate-secret", String(id)], environment: environment)
        #expect(rotated.status == 0, "stderr: \(rotated.error)")
        let newSecret = try #require(
            rotated.output.split(separator: " ").map(String.init).first { $0.hasPrefix("whsec_") }?
                .trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(newSecret != "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0")

        // With --overlap the previous secret expires after that many seconds, not 24 hours.
        let before = Date()
        let shortOverlap = try Self.run(["--json", "rotate-secret", String(id), "--overlap", "60"], environment: environment)
        #expect(shortOverlap.status == 0, "stderr: \(shortOverlap.error)")
        let rotation = try #require(
            try JSONSerialization.jsonObject(with: Data(shortOverlap.output.utf8)) as? [String: Any])
        let expiresText = try #require(rotation["previousSecretExpires"] as? String)
        let expires = try #require(ISO8601DateFormatter().date(from: expiresText))
        #expect(expires.timeIntervalSince(before) > 50)
        #expect(expires.timeIntervalSince(before) < 70)
        #expect(try Self.run(["rotate-secret", String(id), "--overlap", "0"], environment: environment).status == 2)

        for arguments in [["get", String(id)], ["list"], ["--json", "get", String(id)], ["--json", "list"]] {
            let run = try Self.run(arguments, environment: environment)
            #expect(run.status == 0, "\(arguments): \(run.error)")
            #expect(run.output.contains("Secretive"), "\(arguments)")
            #expect(!run.output.contains("whsec_"), "\(arguments) printed a secret")
        }
        let changed = try Self.run(["save", "--id", String(id), "--name", "Renamed"], environment: environment)
        #expect(changed.status == 0, "stderr: \(changed.error)")
        #expect(!changed.output.contains("whsec_"))
    }

    @Test func publishFileInBatches() throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]
        let saved = try Self.run(
            global + ["save", "--name", "Receiving", "--url", "http://127.0.0.1:\(receiver.port)/h", "--events",
                      "contact.*"])
        guard case .object(let hook) = try saved.json(), case .integer(let id)? = hook["id"] else {
            throw HookwireError.invalidArgument("save failed: \(saved.error)")
        }

        let file = server.directory + "/events.jsonl"
        var lines = [
            #"{"event": "contact.created", "entity": "contact", "primaryKey": 4711, "changes": ["name"], "fieldValues": {"name": "Nordlys"}, "contextIdentifier": "Cust1"}"#,
            "",
            #"{"event": "person.created", "primaryKey": 1}"#,
        ]
        for key in 1...598 {
            lines.append(#"{"event": "contact.changed", "primaryKey": \#(key), "data": {"n": \#(key)}}"#)
        }
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let published = try Self.run(global + ["publish", "--file", file])
        #expect(published.status == 0, "stderr: \(published.error)")
        #expect(try published.json() == .object(["events": 600, "matchedWebhooks": 599]))
        #expect(published.error.isEmpty, "a progress line was printed without a terminal: \(published.error)")

        let deliveries = try Self.run(global + ["deliveries", "--webhook", String(id)])
        #expect(deliveries.status == 0, "stderr: \(deliveries.error)")
        guard case .array(let rows) = try deliveries.json() else { throw HookwireError.invalidArgument(deliveries.output) }
        #expect(rows.count == 599)

        let human = try Self.run(["--server", server.address, "publish", "--file", file])
        #expect(human.output == "published 600 events, 599 deliveries queued\n")

        let badFile = server.directory + "/bad.jsonl"
        try "{\"event\": \"contact.created\"}\n{\"primaryKey\": 3}\n".write(toFile: badFile, atomically: true, encoding: .utf8)
        let rejected = try Self.run(global + ["publish", "--file", badFile])
        #expect(rejected.status == 1)
        #expect(rejected.error.contains("bad.jsonl line 2: missing \"event\""))
        let stats = try Self.run(global + ["stats"])
        guard case .object(let counters) = try stats.json() else { throw HookwireError.invalidArgument(stats.output) }
        #expect(counters["eventsPublished"] == .integer(1200), "the bad file must publish nothing")
    }

    /// Returns the `eventsPublished` counter that `stats` prints.
    static func eventsPublished(server address: String) throws -> JSONValue? {
        let stats = try run(["--server", address, "--json", "stats"])
        guard case .object(let counters) = try stats.json() else { throw HookwireError.invalidArgument(stats.output) }
        return counters["eventsPublished"]
    }

    /// Returns a JSON Lines event whose data contains a string of `dataSize` bytes.
    static func eventLine(primaryKey: Int, dataSize: Int) -> String {
        #"{"event": "contact.changed", "primaryKey": \#(primaryKey), "data": {"text": "\#(String(repeating: "x", count: dataSize))"}}"#
    }

    @Test func publishFileLateBadLineSendsNothing() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]

        let lateFile = server.directory + "/late.jsonl"
        var lines = (0..<1200).map { #"{"event": "a.b", "primaryKey": \#($0)}"# }
        lines.append(#"{"event": "a..b"}"#)
        try (lines.joined(separator: "\n") + "\n").write(toFile: lateFile, atomically: true, encoding: .utf8)
        let late = try Self.run(global + ["publish", "--file", lateFile])
        #expect(late.status == 1)
        #expect(late.error.contains("\(lateFile) line 1201: invalid event name \"a..b\""), "stderr: \(late.error)")
        #expect(late.output.isEmpty)
        #expect(try Self.eventsPublished(server: server.address) == .integer(0))

        let shortFile = server.directory + "/short.jsonl"
        try "{\"event\": \"a.b\"}\n{\"event\": \"a..b\"}\n".write(toFile: shortFile, atomically: true, encoding: .utf8)
        let short = try Self.run(global + ["publish", "--file", shortFile])
        #expect(short.status == 1)
        #expect(short.error.contains("\(shortFile) line 2: invalid event name \"a..b\""), "stderr: \(short.error)")

        let entityFile = server.directory + "/entity.jsonl"
        try "{\"event\": \"a.b\"}\n\n{\"event\": \"a.c\", \"entity\": \"\"}\n"
            .write(toFile: entityFile, atomically: true, encoding: .utf8)
        let entity = try Self.run(global + ["publish", "--file", entityFile])
        #expect(entity.status == 1)
        #expect(entity.error.contains("\(entityFile) line 3: invalid entity \"\""), "stderr: \(entity.error)")
        #expect(try Self.eventsPublished(server: server.address) == .integer(0), "a file with a bad line must publish nothing")
    }

    @Test func publishFileSplitsLargeLines() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let file = server.directory + "/large.jsonl"
        var lines = (1...3).map { Self.eventLine(primaryKey: $0, dataSize: 400_000) }
        lines.append(#"{"event": "contact.created", "primaryKey": 4}"#)
        lines.append(Self.eventLine(primaryKey: 5, dataSize: 400_000))
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let published = try Self.run(["--server", server.address, "--json", "publish", "--file", file])
        #expect(published.status == 0, "stderr: \(published.error)")
        #expect(try published.json() == .object(["events": 5, "matchedWebhooks": 0]))
        #expect(try Self.eventsPublished(server: server.address) == .integer(5))
    }

    @Test func publishFileNamesOversizedLine() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let file = server.directory + "/big.jsonl"
        let lines = [
            Self.eventLine(primaryKey: 1, dataSize: 10), Self.eventLine(primaryKey: 2, dataSize: 1_100_000),
            Self.eventLine(primaryKey: 3, dataSize: 10),
        ]
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let rejected = try Self.run(["--server", server.address, "--json", "publish", "--file", file])
        #expect(rejected.status == 1)
        // The server's payload limit (1 MiB by default) stops the line before the frame size does.
        #expect(rejected.error.contains("\(file) line 2: event contact.changed is 11"), "stderr: \(rejected.error)")
        #expect(rejected.error.contains("over the server's limit of 1048576 bytes"), "stderr: \(rejected.error)")
        #expect(rejected.error.hasSuffix("nothing was published\n"), "stderr: \(rejected.error)")
        #expect(try Self.eventsPublished(server: server.address) == .integer(0))
    }

    /// A server on a fresh engine with a small maximum frame size and event payload size, so
    /// that a file can break a rule the client cannot check.
    final class LimitedServer {
        let directory: String
        let engine: HookwireEngine
        let server: HookwireServer
        let address: String

        /// - Parameter announcesPayloadLimit: false serves the engine as a server that does not
        ///   announce its payload limit in WELCOME, so that the limit is checked only there.
        init(maxFrameSize: Int, maximumPayloadBytes: Int, announcesPayloadLimit: Bool = true) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookwire-limited-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var engineConfiguration = HookwireEngine.Configuration(databasePath: directory + "/hookwire.db")
            engineConfiguration.maximumPayloadBytes = maximumPayloadBytes
            engine = try HookwireEngine.open(engineConfiguration)
            var configuration = ServerConfiguration()
            configuration.host = "127.0.0.1"
            configuration.port = 0
            configuration.eventLoopCount = 1
            configuration.workerThreadCount = 2
            configuration.maxFrameSize = maxFrameSize
            let handler = EngineCallHandler(engine: engine)
            server = HookwireServer(
                handler: announcesPayloadLimit ? handler : UnannouncedLimitHandler(handler), configuration: configuration)
            address = "127.0.0.1:\(try server.start().port)"
        }

        /// Stops the server and the engine and removes the temporary directory.
        func stop() {
            server.shutdown(gracePeriod: 1)
            engine.shutdown(timeout: 2)
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func publishFileUsesAnnouncedFrameSize() throws {
        // A payload limit above the frame size, so that the frame size is what stops a line.
        let server = try LimitedServer(maxFrameSize: 65_536, maximumPayloadBytes: 1_000_000)
        defer { server.stop() }
        let file = server.directory + "/medium.jsonl"
        let lines = (1...20).map { Self.eventLine(primaryKey: $0, dataSize: 6_000) }
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let published = try Self.run(["--server", server.address, "--json", "publish", "--file", file])
        #expect(published.status == 0, "stderr: \(published.error)")
        #expect(try published.json() == .object(["events": 20, "matchedWebhooks": 0]))
        #expect(try Self.eventsPublished(server: server.address) == .integer(20))

        let bigFile = server.directory + "/big.jsonl"
        try Self.eventLine(primaryKey: 1, dataSize: 70_000).write(toFile: bigFile, atomically: true, encoding: .utf8)
        let rejected = try Self.run(["--server", server.address, "--json", "publish", "--file", bigFile])
        #expect(rejected.status == 1)
        #expect(rejected.error.contains("\(bigFile) line 1: the event needs a request of 70"), "stderr: \(rejected.error)")
        #expect(rejected.error.contains("maximum frame size of 65536 bytes"), "stderr: \(rejected.error)")
    }

    /// Publishes a file of 1,000 small events whose line 700 is over the 10,000-byte payload
    /// limit of `server`, and returns the file and the run.
    static func publishFileWithLargeLine(to server: LimitedServer) throws -> (file: String, run: Run) {
        let file = server.directory + "/payload.jsonl"
        var lines = (1...1000).map { #"{"event": "contact.changed", "primaryKey": \#($0)}"# }
        lines[699] = eventLine(primaryKey: 700, dataSize: 12_000)
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return (file, try run(["--server", server.address, "--json", "publish", "--file", file]))
    }

    @Test func publishFileChecksAnnouncedPayloadLimit() throws {
        let server = try LimitedServer(maxFrameSize: 1 << 20, maximumPayloadBytes: 10_000)
        defer { server.stop() }
        let (file, rejected) = try Self.publishFileWithLargeLine(to: server)
        #expect(rejected.status == 1)
        #expect(rejected.error.contains("\(file) line 700: event contact.changed is "), "stderr: \(rejected.error)")
        #expect(
            rejected.error.contains("over the server's limit of 10000 bytes (hookwired --max-payload-size); nothing was published"),
            "stderr: \(rejected.error)")
        #expect(try Self.eventsPublished(server: server.address) == .integer(0))
    }

    @Test func publishFileServerRejectionNamesLine() throws {
        // A server that does not announce its payload limit rejects the event itself.
        let server = try LimitedServer(maxFrameSize: 1 << 20, maximumPayloadBytes: 10_000, announcesPayloadLimit: false)
        defer { server.stop() }
        let (file, rejected) = try Self.publishFileWithLargeLine(to: server)
        #expect(rejected.status == 1)
        #expect(rejected.error.contains("\(file) line 700: event contact.changed is "), "stderr: \(rejected.error)")
        #expect(!rejected.error.contains("of the batch"), "stderr: \(rejected.error)")
        #expect(
            rejected.error.contains("the server published 500 events (lines 1 to 500) before this one and no event after"),
            "stderr: \(rejected.error)")
        #expect(try Self.eventsPublished(server: server.address) == .integer(500))
    }

    @Test func publishOneEventAndReadStats() throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]
        _ = try Self.run(
            global + ["save", "--name", "All", "--url", "http://127.0.0.1:\(receiver.port)/a", "--events", "*"])

        let published = try Self.run(
            global + ["publish", "contact.created", "--primary-key", "5", "--changes", "name,email", "--data",
                      #"{"source": "import"}"#])
        #expect(published.status == 0, "stderr: \(published.error)")
        guard case .object(let result) = try published.json() else { throw HookwireError.invalidArgument(published.output) }
        #expect(result["matchedWebhooks"] == 1)

        let stats = try Self.run(global + ["stats"])
        #expect(stats.status == 0, "stderr: \(stats.error)")
        guard case .object(let counters) = try stats.json() else { throw HookwireError.invalidArgument(stats.output) }
        #expect(counters["eventsPublished"] == 1)
        #expect(counters["webhooks"] == 1)

        let table = try Self.run(["--server", server.address, "deliveries"])
        #expect(table.status == 0)
        #expect(table.output.hasPrefix("ID"))
        #expect(table.output.contains("contact.created"))
    }

    @Test func publishDataFromFileAndStandardInput() throws {
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hookwire-data-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("data.json")
        // Larger than Linux lets one command-line argument be (128 KiB).
        try Data(#"{"note": ""#.utf8 + Data(repeating: UInt8(ascii: "x"), count: 200_000) + Data(#""}"#.utf8)).write(to: good)
        let bad = directory.appendingPathComponent("bad.json")
        try Data("{bad".utf8).write(to: bad)

        let fromFile = try Self.run(global + ["publish", "contact.created", "--data", "@" + good.path])
        #expect(fromFile.status == 0, "stderr: \(fromFile.error)")
        let fromInput = try Self.run(
            global + ["publish", "contact.created", "--data", "-"], input: Data(#"{"source": "stdin"}"#.utf8))
        #expect(fromInput.status == 0, "stderr: \(fromInput.error)")
        let badInput = try Self.run(global + ["publish", "contact.created", "--data", "-"], input: Data("[1,".utf8))
        #expect(badInput.status == 2)
        #expect(badInput.error.contains("option --data needs JSON"))
        let badFile = try Self.run(global + ["publish", "contact.created", "--data", "@" + bad.path])
        #expect(badFile.status == 2)
        #expect(badFile.error.contains("option --data needs JSON"))
        let missing = try Self.run(global + ["publish", "contact.created", "--data", "@" + directory.path + "/none.json"])
        #expect(missing.status == 1)
        #expect(missing.error.contains("cannot read --data file \(directory.path)/none.json"))

        let stats = try Self.run(global + ["stats"])
        guard case .object(let counters) = try stats.json() else { throw HookwireError.invalidArgument(stats.output) }
        #expect(counters["eventsPublished"] == 2)
    }

    @Test func testAttemptsAndLastErrorCommands() throws {
        let receiver = try LoopbackReceiver(status: 500)
        defer { receiver.stop() }
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let global = ["--server", server.address, "--json"]
        let saved = try Self.run(
            global + ["save", "--name", "Broken", "--url", "http://127.0.0.1:\(receiver.port)/b", "--events", "*"])
        guard case .object(let hook) = try saved.json(), case .integer(let id)? = hook["id"] else {
            throw HookwireError.invalidArgument("save failed: \(saved.error)")
        }

        let tested = try Self.run(["--server", server.address, "test", String(id)])
        #expect(tested.status == 1)
        #expect(tested.output.isEmpty)
        #expect(tested.error.contains("test of webhook \(id) failed"), "stderr: \(tested.error)")

        let published = try Self.run(global + ["publish", "contact.created", "--primary-key", "9"])
        #expect(published.status == 0, "stderr: \(published.error)")
        let listed = try Self.run(global + ["deliveries", "--webhook", String(id)])
        guard case .array(let rows) = try listed.json(), case .object(let first)? = rows.first,
            case .integer(let deliveryId)? = first["id"]
        else {
            throw HookwireError.invalidArgument("no delivery listed: \(listed.output) \(listed.error)")
        }
        var attempts: [JSONValue] = []
        let attempted = try eventually {
            let run = try Self.run(global + ["attempts", String(deliveryId)])
            if case .array(let rows) = try run.json() { attempts = rows }
            return !attempts.isEmpty
        }
        #expect(attempted, "no attempt of delivery \(deliveryId) was recorded")
        if case .object(let attempt)? = attempts.first {
            #expect(attempt["status"] == 500)
            #expect(attempt["deliveryId"] == .integer(deliveryId))
        }

        let lastError = try Self.run(global + ["last-error", String(id)])
        #expect(lastError.status == 0, "stderr: \(lastError.error)")
        guard case .object(let report) = try lastError.json() else { throw HookwireError.invalidArgument(lastError.output) }
        #expect(report["id"] == .integer(id))
        if case .string(let text)? = report["lastError"] {
            #expect(text.contains("500"), "last error: \(text)")
        } else {
            Issue.record("no last error after a failed attempt: \(lastError.output)")
        }

        let redelivered = try Self.run(
            global + ["redeliver", "--webhook", String(id), "--since", "1970-01-01T00:00:00Z"])
        #expect(redelivered.status == 0, "stderr: \(redelivered.error)")
        guard case .object(let count) = try redelivered.json(), case .integer? = count["redelivered"] else {
            throw HookwireError.invalidArgument(redelivered.output)
        }
        let missing = try Self.run(global + ["redeliver", "987654"])
        #expect(missing.status == 1)
        #expect(missing.error.contains("delivery 987654 not found"))

        let unknownHook = try Self.run(global + ["deliveries", "--webhook", "987654"])
        #expect(unknownHook.status == 1)
        #expect(unknownHook.output.isEmpty)
        #expect(unknownHook.error.contains("webhook 987654 not found"), "stderr: \(unknownHook.error)")
    }

    @Test func watchPrintsOutcomesAsJSONLines() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        let server = try ClientEngineServer()
        defer { server.stop(); server.removeFiles() }
        let client = try HookwireClient(server: server.address)
        defer { client.close() }
        let hook = try await client.save(
            Webhook(name: "Watched", events: ["contact.*"], targetURL: "http://127.0.0.1:\(receiver.port)/w"))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.toolPath())
        process.arguments = ["--server", server.address, "--json", "watch", "--webhook", String(hook.id)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }

        // The watch starts once the tool has connected, so events are published until the
        // first outcome line arrives, for at most 10 seconds.
        let reader = output.fileHandleForReading
        let firstLine = Mutex<String?>(nil)
        let readerThread = Thread {
            var buffer = Data()
            while true {
                let chunk = reader.availableData
                if chunk.isEmpty { return }
                buffer += chunk
                if let newline = buffer.firstIndex(of: 0x0A) {
                    firstLine.withLock { $0 = String(decoding: buffer[..<newline], as: UTF8.self) }
                    return
                }
            }
        }
        readerThread.start()
        var published: [String] = []
        for _ in 0..<20 where firstLine.withLock({ $0 }) == nil {
            published.append(try await client.publish(EventPublication(event: "contact.changed")).eventId)
            try await Task.sleep(for: .milliseconds(500))
        }
        let line = try #require(firstLine.withLock { $0 }, "watch printed no outcome")
        guard case .object(let outcome) = try JSONValue(parsing: line), case .object(let delivery)? = outcome["delivery"],
            case .object(let attempt)? = outcome["attempt"]
        else {
            Issue.record("watch printed no outcome object: \(line)")
            return
        }
        #expect(delivery["webhookId"] == .integer(hook.id))
        if case .string(let eventId)? = delivery["eventId"] {
            #expect(published.contains(eventId))
        }
        #expect(attempt["status"] == 200)
    }
}

/// Serves the engine like `EngineCallHandler` but announces no payload limit in WELCOME, as a
/// server from before that field did.
final class UnannouncedLimitHandler: CallHandler {
    private let wrapped: EngineCallHandler

    init(_ wrapped: EngineCallHandler) { self.wrapped = wrapped }

    func handle(_ method: HookwireProtocol.Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult {
        wrapped.handle(method, request: request, caller: caller)
    }

    func watch(
        request: ArraySlice<UInt8>, caller: Caller, emit: @escaping @Sendable (any ProtobufMessage) -> Void
    ) -> Result<any WatchSubscription, CallFailure> {
        wrapped.watch(request: request, caller: caller, emit: emit)
    }
}
