import CLinuxShim
import Foundation
import HookwireClient
import HookwireCore
import HookwireProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `hookwire-bench protocol`: calls per second and latency percentiles of get-by-id and
/// publish over the binary protocol, printed beside `redis-benchmark -t get` with the same
/// connection count and pipelining depth, measured in the same invocation.
enum ProtocolBenchmark {
    static let usage = """
        usage: hookwire-bench protocol [-c CONNECTIONS] [-P DEPTH] [-n REQUESTS] [--publish-requests N]
                                       [--server HOST:PORT] [--token TOKEN] [--hookwired PATH]
                                       [--event-loops N] [--methods get,publish] [--no-redis]
                                       [--match-redis-rate]

          -c CONNECTIONS        TCP connections, all driven by one thread as in redis-benchmark (default 50)
          -P DEPTH              requests pipelined per connection before waiting (default 1)
          -n REQUESTS           get-by-id calls, and redis GET requests (default 200000)
          --publish-requests N  publish calls, each one durable event (default 20000)
          --server HOST:PORT    a running hookwired to measure; by default the benchmark starts
                                hookwired on a free loopback port with a database in a temporary
                                directory, and stops it at the end
          --token TOKEN         the token for --server, when it has a token file
          --hookwired PATH      the hookwired binary to start (default: next to hookwire-bench)
          --event-loops N       event loop threads of the hookwired it starts (default: hookwired's
                                own default, one per processor but one). redis-server serves from one
                                thread, so 1 compares the same number of server threads
          --methods LIST        which calls to measure: get, publish or both (default get,publish)
          --no-redis            skip redis-benchmark
          --match-redis-rate    run redis-benchmark first, then pace get-by-id to redis's GET rate,
                                so that both servers get the same load; latency is still measured
                                from each batch's write, as redis-benchmark measures it
          --client-api          also measure get-by-id through HookwireClient's async API, with
                                C clients and P concurrent tasks per client

        get-by-id reads one stopped webhook. The publish calls publish `bench.created`, which
        matches no active webhook (only active ones get deliveries), so each call stores one event
        durably and no HTTP request is made.
        """

    struct Options {
        var connections = 50
        var pipeline = 1
        var requests = 200_000
        var publishRequests = 20_000
        var server: String?
        var token = ""
        var hookwired: String?
        /// Passed to the started hookwired as `--event-loops`; nil keeps its default.
        var eventLoops: Int?
        var methods: Set<String> = ["get", "publish"]
        var runsRedis = true
        var measuresClientAPI = false
        /// Runs redis-benchmark first and paces get-by-id to its rate.
        var matchesRedisRate = false
    }

    /// Runs the benchmark. A failure is printed to standard error with exit status 1.
    static func run(arguments: [String]) {
        do {
            guard let options = try parse(arguments) else { return }
            try measure(options)
        } catch {
            FileHandle.standardError.write(Data("hookwire-bench protocol: \(error)\n".utf8))
            exit(1)
        }
    }

    static func measure(_ options: Options) throws {

        var daemon: ChildProcess?
        defer { daemon?.stop() }
        var scratch: String?
        defer { scratch.map { try? FileManager.default.removeItem(atPath: $0) } }
        let address: ServerAddress
        if let server = options.server {
            address = try ServerAddress(parsing: server)
        } else {
            let directory = try ChildProcess.temporaryDirectory(prefix: "hookwire-bench")
            scratch = directory
            let started = try startHookwired(path: options.hookwired, eventLoops: options.eventLoops, directory: directory)
            daemon = started.process
            address = started.address
        }

        let client = HookwireClient(
            configuration: HookwireClient.Configuration(address: address, token: options.token.isEmpty ? nil : options.token))
        defer { client.close() }
        var target = Webhook(name: "bench", events: ["bench.*"], targetURL: "https://bench.invalid/hook")
        target.state = .stopped
        let hook = try client.performBlocking(.save(target))

        let loops = options.server != nil ? "" : ", event loops: \(options.eventLoops.map(String.init) ?? "default")"
        print(
            "protocol benchmark: \(options.connections) connections, pipeline depth \(options.pipeline), hookwired at \(address)"
                + loops)
        print(row("", "calls/s", "p50 ms", "p99 ms", "p99.9 ms", "errors", "server CPU µs/call"))
        var redisResult: RedisComparison.Result?
        if options.matchesRedisRate {
            redisResult = try RedisComparison.run(
                connections: options.connections, pipeline: options.pipeline, requests: options.requests)
        }
        var getResult: ProtocolLoadGenerator.Result?
        if options.methods.contains("get") {
            var generator = ProtocolLoadGenerator(
                host: address.host, port: Int(address.port),
                target: .hookwire(token: options.token, method: .getWebhook, payload: Wire.GetWebhookRequest(id: hook.id).encoded()),
                connections: options.connections, pipeline: options.pipeline, requests: options.requests)
            generator.rate = redisResult?.requestsPerSecond
            let cpuBefore = daemon?.cpuSeconds
            var result = try generator.run()
            result.serverCPUSeconds = daemon?.cpuSeconds.flatMap { after in cpuBefore.map { after - $0 } }
            print(resultRow(options.matchesRedisRate ? "hookwire get, paced" : "hookwire get-by-id", result))
            getResult = result
        }
        if options.measuresClientAPI {
            let result = try runAsync {
                try await ClientAPILoad.run(
                    address: address, token: options.token.isEmpty ? nil : options.token,
                    connections: options.connections, concurrency: options.pipeline, requests: options.requests,
                    call: .get(id: hook.id))
            }
            print(resultRow("HookwireClient get", result))
        }
        if options.methods.contains("publish") {
            var event = EventPublication(event: "bench.created", primaryKey: 4711, changes: ["name"])
            event.fieldValues = ["name": "Nordlys Fiskeri AS", "country_id": 578]
            let generator = ProtocolLoadGenerator(
                host: address.host, port: Int(address.port),
                target: .hookwire(token: options.token, method: .publish, payload: Wire.PublishRequest(event: Wire.Event(event)).encoded()),
                connections: options.connections, pipeline: options.pipeline, requests: options.publishRequests)
            print(resultRow("hookwire publish", try generator.run()))
        }

        guard options.runsRedis else { return }
        let redis = try redisResult
            ?? RedisComparison.run(
                connections: options.connections, pipeline: options.pipeline, requests: options.requests,
                alsoSameGenerator: getResult != nil)
        print(
            row(
                "redis-benchmark GET", String(format: "%.0f", redis.requestsPerSecond), String(format: "%.3f", redis.p50),
                String(format: "%.3f", redis.p99), "n/a", "-", "-"))
        if let sameGenerator = redis.sameGenerator {
            print(resultRow("redis GET, this client", sameGenerator))
        }
        if let getResult {
            let rateMet = getResult.callsPerSecond >= redis.requestsPerSecond
            if options.matchesRedisRate {
                print(String(format: "get-by-id was paced to redis's GET rate: %.0f vs %.0f calls/s", getResult.callsPerSecond, redis.requestsPerSecond))
            } else {
                print(
                    "get-by-id rate \(rateMet ? "meets" : "misses") redis GET: "
                        + String(format: "%.0f vs %.0f calls/s", getResult.callsPerSecond, redis.requestsPerSecond))
            }
            let p99Met = getResult.percentile(0.99) <= redis.p99
            print(
                "get-by-id p99 \(p99Met ? "meets" : "misses") redis GET: "
                    + String(format: "%.3f vs %.3f ms", getResult.percentile(0.99), redis.p99)
                    + (options.connections == 50 && options.pipeline == 1 ? "" : " (the p99 target is set at -c 50 -P 1)"))
            if let sameGenerator = redis.sameGenerator {
                let p99Lower = getResult.percentile(0.99) <= sameGenerator.percentile(0.99)
                print(
                    "with the same client, get-by-id \(p99Lower ? "has a p99 at or below" : "has a higher p99 than") redis GET: "
                        + String(format: "%.3f vs %.3f ms, at %.0f vs %.0f calls/s", getResult.percentile(0.99),
                            sameGenerator.percentile(0.99), getResult.callsPerSecond, sameGenerator.callsPerSecond))
            }
        }
    }

    /// Runs async work to its end from synchronous code, on a new task.
    private static func runAsync<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Mutex<Result<T, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, Error>
            do { result = .success(try await work()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    /// Parses the flags. Returns nil after printing the usage for `--help`.
    static func parse(_ arguments: [String]) throws -> Options? {
        var options = Options()
        var index = 0
        func value(_ flag: String) throws -> String {
            guard index + 1 < arguments.count else { throw ProtocolBenchmarkError("\(flag) needs a value\n\(usage)") }
            index += 1
            return arguments[index]
        }
        func count(_ flag: String) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), number > 0 else {
                throw ProtocolBenchmarkError("\(flag) needs a positive integer, got \"\(text)\"")
            }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "-c", "--connections": options.connections = try count("-c")
            case "-P", "--pipeline": options.pipeline = try count("-P")
            case "-n", "--requests": options.requests = try count("-n")
            case "--publish-requests": options.publishRequests = try count("--publish-requests")
            case "--server": options.server = try value("--server")
            case "--token": options.token = try value("--token")
            case "--hookwired": options.hookwired = try value("--hookwired")
            case "--event-loops": options.eventLoops = try count("--event-loops")
            case "--methods":
                options.methods = Set(try value("--methods").split(separator: ",").map(String.init))
                guard !options.methods.isEmpty, options.methods.isSubset(of: ["get", "publish"]) else {
                    throw ProtocolBenchmarkError("--methods takes get, publish or get,publish")
                }
            case "--no-redis": options.runsRedis = false
            case "--client-api": options.measuresClientAPI = true
            case "--match-redis-rate": options.matchesRedisRate = true
            case "-h", "--help":
                print(usage)
                return nil
            default:
                throw ProtocolBenchmarkError("unknown flag \"\(arguments[index])\"\n\(usage)")
            }
            index += 1
        }
        if options.matchesRedisRate && !options.runsRedis {
            throw ProtocolBenchmarkError("--match-redis-rate needs redis-benchmark; drop --no-redis")
        }
        if options.server != nil && (options.eventLoops != nil || options.hookwired != nil) {
            throw ProtocolBenchmarkError("--event-loops and --hookwired apply to a hookwired the benchmark starts, not to --server")
        }
        guard options.pipeline <= 100 else {
            throw ProtocolBenchmarkError("-P \(options.pipeline) is over the server's default limit of 100 streams per connection")
        }
        return options
    }

    /// Starts hookwired on a free loopback port with its database and log in `directory`.
    static func startHookwired(
        path: String?, eventLoops: Int?, directory: String
    ) throws -> (process: ChildProcess, address: ServerAddress) {
        let binary = try path ?? siblingExecutable("hookwired")
        let port = try freeLoopbackPort()
        var arguments = ["--db", directory + "/bench.db", "--listen", "127.0.0.1:\(port)"]
        if let eventLoops { arguments += ["--event-loops", String(eventLoops)] }
        let process = try ChildProcess(
            binary,
            arguments: arguments,
            logFile: directory + "/hookwired.log", directory: directory)
        try process.waitForPort(port, what: "hookwired (log: \(directory)/hookwired.log)")
        return (process, ServerAddress(host: "127.0.0.1", port: UInt16(port)))
    }

    private static func row(_ columns: String...) -> String {
        let widths = [24, 12, 10, 10, 10, 8, 8]
        return zip(columns, widths).map { column, width in
            column.count >= width ? column + " " : column + String(repeating: " ", count: width - column.count)
        }.joined()
    }

    private static func resultRow(_ label: String, _ result: ProtocolLoadGenerator.Result) -> String {
        var text = row(
            label, String(format: "%.0f", result.callsPerSecond), String(format: "%.3f", result.percentile(0.5)),
            String(format: "%.3f", result.percentile(0.99)), String(format: "%.3f", result.percentile(0.999)),
            String(result.errors), result.serverMicrosecondsPerCall.map { String(format: "%.1f", $0) } ?? "-")
        if let firstError = result.firstError { text += "  first error: \(firstError)" }
        return text
    }
}

/// Finds an executable built next to this one, such as `hookwired`.
func siblingExecutable(_ name: String) throws -> String {
    let own = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let candidate = URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: candidate) else {
        throw ProtocolBenchmarkError("\(name) not found at \(candidate); build it or pass its path")
    }
    return candidate
}

/// Returns a loopback TCP port that was free a moment ago.
func freeLoopbackPort() throws -> Int {
    var port: Int32 = 0
    let descriptor = hw_tcp_listen("127.0.0.1", 0, 0, 1, &port)
    guard descriptor >= 0 else { throw ProtocolBenchmarkError("cannot find a free loopback port") }
    close(descriptor)
    return Int(port)
}
