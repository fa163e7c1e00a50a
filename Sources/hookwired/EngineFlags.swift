import Foundation
import Hookwire

extension DaemonOptions {
    /// Flags for the engine's delivery settings.
    static let engineFlags: [DaemonFlag] = [
        DaemonFlag(
            name: "--allow-private-targets", valueName: nil,
            help: "deliver to loopback, private and link-local addresses too (rejected by default)"
        ) { options, _ in options.engine.allowPrivateTargets = true },
        DaemonFlag(
            name: "--allow-range", valueName: "CIDR",
            help: "allow one non-public range such as 10.1.0.0/16 without --allow-private-targets; repeatable"
        ) { options, value in
            // Checked here so that a bad range is a usage error, before any database is created.
            do {
                _ = try AddressRange(value)
            } catch let error as HookwireError {
                throw UsageError("\(error.message) for --allow-range")
            }
            options.engine.allowedRanges.append(value)
        },
        DaemonFlag(
            name: "--max-payload-size", valueName: "BYTES",
            help: "largest event accepted, JSON envelope and data included (default 1048576)"
        ) { $0.engine.maximumPayloadBytes = try integer($1, flag: "--max-payload-size", range: 1...(64 << 20)) },
        DaemonFlag(
            name: "--retry-schedule", valueName: "DELAYS",
            help: "comma-separated delays before each retry, such as 5s,5m,30m,2h,5h,10h,10h (the default); "
                + "units s, m, h, d; each delay is spread by ±20 %"
        ) { options, value in
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw UsageError("invalid value \"\" for --retry-schedule: expected at least one delay, such as 5s,5m,30m")
            }
            let delays = try value.split(separator: ",", omittingEmptySubsequences: false).map {
                try duration(String($0), flag: "--retry-schedule")
            }
            options.engine.retrySchedule = RetrySchedule(delays: delays)
        },
        DaemonFlag(
            name: "--max-in-flight", valueName: "COUNT", help: "HTTP requests in flight at once across all hooks (default 256)"
        ) { $0.engine.maximumInFlight = try integer($1, flag: "--max-in-flight", range: 1...100_000) },
        DaemonFlag(
            name: "--max-in-flight-per-hook", valueName: "COUNT", help: "HTTP requests in flight at once to one hook (default 8)"
        ) { $0.engine.maximumInFlightPerWebhook = try integer($1, flag: "--max-in-flight-per-hook", range: 1...10_000) },
        DaemonFlag(
            name: "--connect-timeout", valueName: "DURATION", help: "time allowed to connect to a target, TCP and TLS (default 5s)"
        ) { $0.engine.connectTimeout = try duration($1, flag: "--connect-timeout") },
        DaemonFlag(
            name: "--request-timeout", valueName: "DURATION", help: "time allowed for a whole delivery request (default 15s)"
        ) { $0.engine.requestTimeout = try duration($1, flag: "--request-timeout") },
        DaemonFlag(
            name: "--lease", valueName: "DURATION",
            help: "time a claimed delivery stays reserved before a crash makes it due again; above --request-timeout (default 60s)"
        ) { $0.engine.leaseDuration = try duration($1, flag: "--lease") },
        DaemonFlag(
            name: "--ca-file", valueName: "PATH", help: "PEM file of CA certificates to trust instead of the system's"
        ) { $0.engine.caFile = $1 },
        DaemonFlag(
            name: "--retention", valueName: "DURATION", help: "time finished deliveries and their attempts are kept (default 7d)"
        ) { $0.engine.retention = try duration($1, flag: "--retention", allowZero: true) },
        DaemonFlag(
            name: "--prune-interval", valueName: "DURATION", help: "time between passes that delete expired deliveries (default 1h)"
        ) { $0.engine.pruneInterval = try duration($1, flag: "--prune-interval") },
        DaemonFlag(
            name: "--secret-overlap", valueName: "DURATION",
            help: "time a rotated-out secret keeps signing next to the new one (default 24h)"
        ) { $0.engine.secretRotationOverlap = try duration($1, flag: "--secret-overlap", allowZero: true) },
        DaemonFlag(
            name: "--error-limit", valueName: "COUNT",
            help: "consecutive failed attempts that switch a hook to TooManyErrors (default 9)"
        ) { $0.engine.consecutiveErrorLimit = Int64(try integer($1, flag: "--error-limit", range: 1...1_000_000)) },
        DaemonFlag(
            name: "--plugin-threads", valueName: "COUNT", help: "threads running non-HTTP plugin deliveries (default 4)"
        ) { $0.engine.pluginThreads = try integer($1, flag: "--plugin-threads", range: 1...256) },
    ]

    /// Parses a duration: a number with an optional unit `s` (the default), `m`, `h` or `d`.
    static func duration(_ text: String, flag: String, allowZero: Bool = false) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var number = Substring(trimmed)
        var scale = 1.0
        if let last = trimmed.last, let unit = units[last] {
            number = number.dropLast()
            scale = unit
        }
        guard let value = Double(number), value.isFinite, value > 0 || (allowZero && value == 0) else {
            throw UsageError(
                "invalid duration \"\(text)\" for \(flag): expected a \(allowZero ? "non-negative" : "positive") number "
                    + "with an optional unit s, m, h or d, such as 30s or 2h")
        }
        return value * scale
    }

    /// Lists the engine settings for the start line as `name=value` pairs.
    static func describeEngine(_ configuration: HookwireEngine.Configuration) -> [String] {
        [
            "allow-private-targets=\(configuration.allowPrivateTargets)",
            "allowed-ranges=\(configuration.allowedRanges.isEmpty ? "none" : configuration.allowedRanges.joined(separator: ","))",
            "max-payload-size=\(configuration.maximumPayloadBytes)",
            "retry-schedule=\(configuration.retrySchedule.delays.map { "\(Int($0))s" }.joined(separator: ","))",
            "max-in-flight=\(configuration.maximumInFlight)",
            "max-in-flight-per-hook=\(configuration.maximumInFlightPerWebhook)",
            "connect-timeout=\(configuration.connectTimeout)s",
            "request-timeout=\(configuration.requestTimeout)s",
            "lease=\(configuration.leaseDuration)s",
            "ca-file=\(configuration.caFile ?? "system")",
            "retention=\(configuration.retention)s",
            "secret-overlap=\(configuration.secretRotationOverlap)s",
            "error-limit=\(configuration.consecutiveErrorLimit)",
        ]
    }
}

/// Logs the engine's delivery attempts and every webhook state change.
enum DaemonEvents {
    static func subscribe(engine: HookwireEngine, log: @escaping @Sendable (String) -> Void) {
        _ = engine.watch { outcome in log(describe(outcome)) }
        _ = engine.watchStateChanges { change in
            let reason = change.reason.isEmpty ? "" : ": \(change.reason)"
            log("webhook \(change.webhookId) state changed from \(change.from.name) to \(change.to.name)\(reason)")
        }
    }

    /// Formats one line per attempt: ids, the attempt number (0 for the first, as in
    /// `X-Hookwire-Retry` and `hookwire attempts`), the result and what happens next.
    static func describe(_ outcome: DeliveryOutcome) -> String {
        let delivery = outcome.delivery
        let attempt = outcome.attempt
        var line =
            "delivery \(delivery.id) (webhook \(delivery.webhookId), event \(delivery.event) \(delivery.eventId), "
            + "message \(delivery.messageId)) attempt \(attempt.number): "
        if attempt.status != 0 { line += "HTTP \(attempt.status)" } else { line += attempt.errorKind.rawValue }
        if let error = attempt.error, !error.isEmpty { line += " (\(error.prefix(200)))" }
        line += " in \(attempt.durationMilliseconds) ms; now \(delivery.state.name)"
        if delivery.state == .pending, let next = delivery.nextAttemptAt {
            line += ", retry in \(Int(next.timeIntervalSinceNow.rounded())) s"
        }
        return line
    }
}
