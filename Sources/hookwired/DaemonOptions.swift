import Foundation
import Hookwire
import HookwireCore
import HookwireServer

/// The settings `hookwired` runs with, built from its command-line arguments.
struct DaemonOptions: Sendable {
    var engine = HookwireEngine.Configuration()
    var server = ServerConfiguration()
    var listen = "127.0.0.1:7600"
    var tokenFile: String?
    /// Seconds that running calls and deliveries get to finish after SIGTERM or SIGINT.
    var shutdownGracePeriod: Double = 10
    var showHelp = false
    var showVersion = false
}

/// A command-line mistake: printed with a hint to run `--help`, and the process exits with 2.
struct UsageError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One command-line flag: its name, the name of its value (nil for a switch), its help text and
/// how it changes the options.
struct DaemonFlag: Sendable {
    var name: String
    var valueName: String?
    var help: String
    var apply: @Sendable (inout DaemonOptions, String) throws -> Void
}

extension DaemonOptions {
    /// Parses the arguments after the program name. Accepts `--flag value` and `--flag=value`.
    ///
    /// - Throws: `UsageError` naming the flag or value at fault.
    static func parse(_ arguments: [String]) throws -> DaemonOptions {
        var options = DaemonOptions()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" {
                options.showHelp = true
                continue
            }
            if argument == "--version" {
                options.showVersion = true
                continue
            }
            guard argument.hasPrefix("--") else {
                throw UsageError("unexpected argument \"\(argument)\"; hookwired takes only flags")
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let flag = flags.first(where: { $0.name == name }) else {
                throw UsageError("unknown flag \(name)")
            }
            var value = ""
            if flag.valueName != nil {
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw UsageError("\(name) needs a value (\(flag.valueName!))") }
                    value = arguments[index]
                    index += 1
                }
            } else if inlineValue != nil {
                throw UsageError("\(name) takes no value")
            }
            try flag.apply(&options, value)
        }
        let (host, port) = try parseListenAddress(options.listen)
        options.server.host = host
        options.server.port = port
        do {
            try options.server.validate()
        } catch let error as HookwireError {
            throw UsageError(error.message)
        }
        do {
            try options.engine.validate()
        } catch let error as HookwireError {
            throw UsageError(naming(flagsIn: error.message))
        }
        return options
    }

    /// The engine's settings that flags set, with those flags, longest name first so that a
    /// name is never replaced inside a longer one.
    static let flagsOfSettings: [(setting: String, flag: String)] = [
        ("maximumInFlightPerWebhook", "--max-in-flight-per-hook"),
        ("maximumPayloadBytes", "--max-payload-size"),
        ("maximumInFlight", "--max-in-flight"),
        ("connectTimeout", "--connect-timeout"),
        ("requestTimeout", "--request-timeout"),
        ("leaseDuration", "--lease"),
        ("retrySchedule", "--retry-schedule"),
        ("pluginThreads", "--plugin-threads"),
        ("pruneInterval", "--prune-interval"),
        ("retention", "--retention"),
        ("caFile", "--ca-file"),
    ]

    /// Returns an engine error message with each setting name replaced by its flag, because
    /// the person who reads it typed flags.
    static func naming(flagsIn message: String) -> String {
        var named = message
        for (setting, flag) in flagsOfSettings {
            named = named.replacingOccurrences(of: setting, with: flag)
        }
        return named
    }

    /// Splits `HOST:PORT` or `[IPV6]:PORT`.
    static func parseListenAddress(_ text: String) throws -> (host: String, port: Int) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw UsageError("invalid --listen address \"\(text)\": expected [IPV6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw UsageError("invalid --listen address \"\(text)\": expected HOST:PORT, such as 127.0.0.1:7600")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else {
            throw UsageError("invalid --listen address \"\(text)\": the host is missing (use 0.0.0.0 for every interface)")
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw UsageError("invalid --listen address \"\(text)\": port \"\(portText)\" is not a number from 0 to 65535")
        }
        return (String(host), port)
    }

    static func integer(_ value: String, flag: String, range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value), range.contains(number) else {
            throw UsageError("invalid value \"\(value)\" for \(flag): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    static let cores = ProcessInfo.processInfo.activeProcessorCount

    static let flags: [DaemonFlag] = [
        DaemonFlag(name: "--db", valueName: "PATH", help: "SQLite database file, created if missing (default hookwire.db)") {
            $0.engine.databasePath = $1
        },
        DaemonFlag(
            name: "--listen", valueName: "HOST:PORT",
            help: "address to listen on; [::1]:PORT for IPv6, port 0 picks a free port (default 127.0.0.1:7600)"
        ) { $0.listen = $1 },
        DaemonFlag(
            name: "--token-file", valueName: "PATH",
            help: "file of client tokens, one \"TOKEN APPLICATION-NAME\" per line (tokens of at least 16 characters), # starts a comment; "
                + "without it only loopback clients are accepted, as administrators"
        ) { $0.tokenFile = $1 },
        DaemonFlag(
            name: "--max-frame-size", valueName: "BYTES",
            help: "largest frame accepted, header included, at most 16777216 (default 1048576)"
        ) { $0.server.maxFrameSize = try integer($1, flag: "--max-frame-size", range: 1024...(16 << 20)) },
        DaemonFlag(
            name: "--max-metadata-size", valueName: "BYTES", help: "largest call metadata accepted in a frame (default 8192)"
        ) { $0.server.maxMetadataSize = try integer($1, flag: "--max-metadata-size", range: 0...65535) },
        DaemonFlag(
            name: "--max-connections", valueName: "COUNT", help: "open client connections; more are closed at once (default 10000)"
        ) { $0.server.maxConnections = try integer($1, flag: "--max-connections", range: 1...1_000_000) },
        DaemonFlag(
            name: "--max-concurrent-streams", valueName: "COUNT",
            help: "calls running at once per connection; more end with RESOURCE_EXHAUSTED (default 100)"
        ) { $0.server.maxConcurrentStreams = try integer($1, flag: "--max-concurrent-streams", range: 1...100_000) },
        DaemonFlag(
            name: "--max-buffered-bytes", valueName: "BYTES",
            help: "response bytes buffered per connection before its requests stop being read (default 4194304)"
        ) {
            $0.server.maxBufferedBytesPerConnection = try integer($1, flag: "--max-buffered-bytes", range: 1024...(1 << 30))
        },
        DaemonFlag(
            name: "--handshake-timeout", valueName: "DURATION", help: "time a new connection has to send HELLO (default 10s)"
        ) { $0.server.handshakeTimeout = try duration($1, flag: "--handshake-timeout") },
        DaemonFlag(
            name: "--idle-timeout", valueName: "DURATION",
            help: "time a connection without running calls may stay silent before it is closed (default 5m)"
        ) { $0.server.idleTimeout = try duration($1, flag: "--idle-timeout") },
        DaemonFlag(
            name: "--event-loops", valueName: "COUNT", help: "epoll event loop threads (default: one per processor but one, at least 1: \(max(1, cores - 1)))"
        ) { $0.server.eventLoopCount = try integer($1, flag: "--event-loops", range: 1...256) },
        DaemonFlag(
            name: "--worker-threads", valueName: "COUNT",
            help: "threads running reads and registry calls (default: the number of processors, at least 2, here \(max(2, cores)))"
        ) { $0.server.workerThreadCount = try integer($1, flag: "--worker-threads", range: 1...1024) },
        DaemonFlag(
            name: "--waiting-worker-threads", valueName: "COUNT",
            help: "threads running publish, test and redeliver calls, which wait on fsync or the network (default 64)"
        ) { $0.server.waitingWorkerThreadCount = try integer($1, flag: "--waiting-worker-threads", range: 1...4096) },
        DaemonFlag(
            name: "--shutdown-grace", valueName: "DURATION",
            help: "time running calls and deliveries get to finish after SIGTERM or SIGINT (default 10s)"
        ) { $0.shutdownGracePeriod = try duration($1, flag: "--shutdown-grace") },
    ] + engineFlags

    /// The text `--help` prints.
    static var helpText: String {
        var text = """
            Usage: hookwired [FLAGS]

            Serves the Hookwire binary protocol on TCP and delivers webhooks from a SQLite database.
            SIGTERM or SIGINT sends GOAWAY to clients and drains running work before exiting.
            Logs go to standard error, one line per event. A DURATION is a number with an optional
            unit s (the default), m, h or d, such as 30s or 2h.

            Flags:

            """
        for flag in flags {
            let head = flag.valueName.map { "  \(flag.name) \($0)" } ?? "  \(flag.name)"
            text += head + "\n      " + flag.help + "\n"
        }
        text += "  --help\n      print this text and exit\n"
        text += "  --version\n      print the version and exit\n"
        return text
    }
}
