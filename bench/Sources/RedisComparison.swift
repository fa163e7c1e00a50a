import CLinuxShim
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `redis-benchmark -t get` against a `redis-server` started for the purpose on a free
/// loopback port, with no persistence, in a temporary directory. Then, when asked, hookwire-bench's
/// own load generator sends the same GET to the same server.
enum RedisComparison {
    /// The figures `redis-benchmark --csv` prints for GET.
    struct Result {
        var requestsPerSecond: Double
        /// Median latency in milliseconds.
        var p50: Double
        /// 99th percentile latency in milliseconds.
        var p99: Double
        /// The same GETs sent by hookwire-bench's load generator, when measured.
        var sameGenerator: ProtocolLoadGenerator.Result?
    }

    /// The key `redis-benchmark -t get` reads when no `-r` is given. Nothing stores it, so every
    /// GET gets the nil reply, from either client.
    static let benchmarkKey = "key:__rand_int__"

    static func run(connections: Int, pipeline: Int, requests: Int, alsoSameGenerator: Bool = false) throws -> Result {
        let directory = try ChildProcess.temporaryDirectory(prefix: "hookwire-bench-redis")
        let port = try freeLoopbackPort()
        let server = try ChildProcess(
            "redis-server",
            arguments: [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory,
                "--daemonize", "no",
            ],
            logFile: directory + "/redis.log", directory: directory)
        defer {
            server.stop()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try server.waitForPort(port, what: "redis-server (log: \(directory)/redis.log)")

        let output = try ChildProcess.output(
            of: "redis-benchmark",
            arguments: [
                "-h", "127.0.0.1", "-p", String(port), "-t", "get", "-c", String(connections), "-P", String(pipeline),
                "-n", String(requests), "--csv",
            ])
        var result = try parse(csv: output)
        if alsoSameGenerator {
            let generator = ProtocolLoadGenerator(
                host: "127.0.0.1", port: port, target: .redisGet(key: benchmarkKey), connections: connections,
                pipeline: pipeline, requests: requests)
            let cpuBefore = server.cpuSeconds
            var sameGenerator = try generator.run()
            sameGenerator.serverCPUSeconds = server.cpuSeconds.flatMap { after in cpuBefore.map { after - $0 } }
            result.sameGenerator = sameGenerator
        }
        return result
    }

    /// Reads the GET row of `redis-benchmark --csv`: the header names the columns, so the
    /// columns are found by name rather than position.
    static func parse(csv: String) throws -> Result {
        let lines = csv.split(whereSeparator: \.isNewline).map { line in
            line.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        guard let header = lines.first(where: { $0.first == "test" }),
            let get = lines.first(where: { $0.first == "GET" }),
            let rateColumn = header.firstIndex(of: "rps"),
            let p50Column = header.firstIndex(of: "p50_latency_ms"),
            let p99Column = header.firstIndex(of: "p99_latency_ms"),
            get.count == header.count,
            let rate = Double(get[rateColumn]), let p50 = Double(get[p50Column]), let p99 = Double(get[p99Column])
        else {
            throw ProtocolBenchmarkError("unexpected redis-benchmark output:\n\(csv)")
        }
        return Result(requestsPerSecond: rate, p50: p50, p99: p99)
    }
}

/// A child process this benchmark started, with its output in a log file. `stop()` sends
/// SIGTERM to that process only and waits for it. When the benchmark itself gets SIGINT or
/// SIGTERM, its running children get SIGTERM too, so none outlives it.
final class ChildProcess {
    private let process = Process()
    private var slot: Int?

    /// Process ids of running children, 0 for a free slot. Atomics, because the signal handler
    /// reads them and may take no lock.
    private static let firstChild = Atomic<Int32>(0)
    private static let secondChild = Atomic<Int32>(0)
    private static let thirdChild = Atomic<Int32>(0)
    private static let installsHandlers: Void = {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber) { signalNumber in
                for child in [
                    ChildProcess.firstChild.load(ordering: .relaxed),
                    ChildProcess.secondChild.load(ordering: .relaxed),
                    ChildProcess.thirdChild.load(ordering: .relaxed),
                ] where child > 0 {
                    kill(child, SIGTERM)
                }
                _exit(128 + signalNumber)
            }
        }
    }()

    private static func register(_ pid: Int32) -> Int? {
        _ = installsHandlers
        if firstChild.compareExchange(expected: 0, desired: pid, ordering: .relaxed).exchanged { return 0 }
        if secondChild.compareExchange(expected: 0, desired: pid, ordering: .relaxed).exchanged { return 1 }
        if thirdChild.compareExchange(expected: 0, desired: pid, ordering: .relaxed).exchanged { return 2 }
        return nil
    }

    private static func unregister(_ slot: Int) {
        switch slot {
        case 0: firstChild.store(0, ordering: .relaxed)
        case 1: secondChild.store(0, ordering: .relaxed)
        default: thirdChild.store(0, ordering: .relaxed)
        }
    }

    init(_ executable: String, arguments: [String], logFile: String, directory: String) throws {
        process.executableURL = URL(fileURLWithPath: try ChildProcess.resolve(executable))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        slot = ChildProcess.register(process.processIdentifier)
    }

    /// Waits up to 10 seconds until something accepts connections on the loopback port.
    func waitForPort(_ port: Int, what: String) throws {
        for _ in 0..<1000 {
            guard process.isRunning else { throw ProtocolBenchmarkError("\(what) exited with status \(process.terminationStatus)") }
            let descriptor = hw_tcp_connect("127.0.0.1", Int32(port))
            if descriptor >= 0 {
                close(descriptor)
                return
            }
            usleep(10_000)
        }
        throw ProtocolBenchmarkError("\(what) did not listen on port \(port) within 10 s")
    }

    /// The CPU time the process used so far, user and system, in seconds; nil when
    /// `/proc` cannot tell. The kernel counts it in clock ticks, usually 10 ms.
    var cpuSeconds: Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let nameEnd = stat.lastIndex(of: ")")
        else { return nil }
        // After the command name: state is field 3 of stat(5), utime 14 and stime 15.
        let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        if let slot { ChildProcess.unregister(slot) }
        slot = nil
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// Runs a program to its end and returns its standard output.
    /// - Throws: when it cannot start or exits with a status other than 0.
    static func output(of executable: String, arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable))
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProtocolBenchmarkError("\(executable) exited with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Creates a new directory under the system's temporary directory.
    static func temporaryDirectory(prefix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Finds a program by path or in `PATH`.
    private static func resolve(_ executable: String) throws -> String {
        if executable.contains("/") { return executable }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ProtocolBenchmarkError("\(executable) not found in PATH; run scripts/setup.sh to install it")
    }
}
