import CHookwireHeader
import Foundation
import Hookwire
import HookwireCore

/// The object behind a `hw_engine` handle.
///
/// The handle table, each running call and each in-process server hold a reference. When the
/// last one goes, the engine shuts down and then the plugins' user data is released, so no
/// callback can run after its free function.
final class EngineObject: HandleKind, @unchecked Sendable {
    static let handleName = "engine"

    let engine: HookwireEngine
    let lastError = LastErrorSlot()
    let shutdownTimeout: Double
    /// Plugins registered from C, released after the shutdown. `lock` guards it.
    private var plugins: [CPlugin] = []
    private let lock = NSLock()

    init(engine: HookwireEngine, shutdownTimeout: Double) {
        self.engine = engine
        self.shutdownTimeout = shutdownTimeout
    }

    func keep(_ plugin: CPlugin) {
        lock.lock()
        plugins.append(plugin)
        lock.unlock()
    }

    deinit {
        engine.shutdown(timeout: shutdownTimeout)
        for plugin in plugins { plugin.releaseUserData() }
    }
}

/// Engine settings read from a host's `hw_engine_options`.
struct EngineOptions {
    var allowPrivateTargets = false
    var connectTimeout: Double = 5
    var requestTimeout: Double = 15
    var maximumInFlight = 256
    var maximumInFlightPerWebhook = 8
    var maximumPayloadBytes = 1 << 20
    var consecutiveErrorLimit: Int64 = 9
    var retryDelays: [Double]?
    var caFile: String?
    var shutdownTimeout: Double = 10

    init(_ pointer: UnsafePointer<hw_engine_options>?) throws {
        guard let pointer else { return }
        let options = try VersionedStruct(pointer, name: "options", lastFirstVersionField: \.shutdown_timeout_ms)
        allowPrivateTargets = options.field(\.allow_private_targets, default: false)
        connectTimeout = try Self.seconds(options.field(\.connect_timeout_ms, default: 0), "connect_timeout_ms") ?? connectTimeout
        requestTimeout = try Self.seconds(options.field(\.request_timeout_ms, default: 0), "request_timeout_ms") ?? requestTimeout
        shutdownTimeout = try Self.seconds(options.field(\.shutdown_timeout_ms, default: 0), "shutdown_timeout_ms") ?? shutdownTimeout
        maximumInFlight = try Self.count(options.field(\.max_in_flight, default: 0), "max_in_flight") ?? maximumInFlight
        maximumInFlightPerWebhook =
            try Self.count(options.field(\.max_in_flight_per_webhook, default: 0), "max_in_flight_per_webhook")
            ?? maximumInFlightPerWebhook
        maximumPayloadBytes = try Self.count(options.field(\.max_payload_bytes, default: 0), "max_payload_bytes") ?? maximumPayloadBytes
        consecutiveErrorLimit =
            try Self.count(options.field(\.consecutive_error_limit, default: 0), "consecutive_error_limit").map(Int64.init)
            ?? consecutiveErrorLimit
        let retryCount = options.field(\.retry_count, default: 0)
        if retryCount > 0 {
            guard let delays = options.field(\.retry_delays_ms, default: nil) else {
                throw CABIError.misuse("options.retry_delays_ms is NULL but retry_count is \(retryCount)")
            }
            retryDelays = try (0..<retryCount).map { index in
                guard delays[index] >= 0 else {
                    throw CABIError(HW_ERROR_INVALID_ARGUMENT, "options.retry_delays_ms[\(index)] is \(delays[index]); delays cannot be negative")
                }
                return Double(delays[index]) / 1000
            }
        }
        caFile = try optionalString(options.field(\.ca_file, default: nil), "options.ca_file")
    }

    private static func seconds(_ milliseconds: Int64, _ name: String) throws -> Double? {
        guard milliseconds >= 0 else {
            throw CABIError(HW_ERROR_INVALID_ARGUMENT, "options.\(name) is \(milliseconds); it cannot be negative")
        }
        return milliseconds == 0 ? nil : Double(milliseconds) / 1000
    }

    private static func count(_ value: Int64, _ name: String) throws -> Int? {
        guard value >= 0 else {
            throw CABIError(HW_ERROR_INVALID_ARGUMENT, "options.\(name) is \(value); it cannot be negative")
        }
        return value == 0 ? nil : Int(value)
    }

    /// Returns the engine configuration for `path` with these settings.
    func configuration(databasePath: String) -> HookwireEngine.Configuration {
        var configuration = HookwireEngine.Configuration(databasePath: databasePath)
        configuration.allowPrivateTargets = allowPrivateTargets
        configuration.connectTimeout = connectTimeout
        configuration.requestTimeout = requestTimeout
        configuration.maximumInFlight = maximumInFlight
        configuration.maximumInFlightPerWebhook = maximumInFlightPerWebhook
        configuration.maximumPayloadBytes = maximumPayloadBytes
        configuration.consecutiveErrorLimit = consecutiveErrorLimit
        if let retryDelays {
            configuration.retrySchedule = RetrySchedule(
                delays: retryDelays, jitter: configuration.retrySchedule.jitter,
                maximumRetryAfter: configuration.retrySchedule.maximumRetryAfter)
        }
        configuration.caFile = caFile
        return configuration
    }
}

@c @implementation
public func hw_engine_open(
    _ databasePath: UnsafePointer<CChar>?, _ options: UnsafePointer<hw_engine_options>?,
    _ outEngine: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    runReportingStatus {
        let path = try requiredString(databasePath, "database_path")
        let out = try requireOut(outEngine, "out_engine")
        let settings = try EngineOptions(options)
        let engine = try HookwireEngine.open(settings.configuration(databasePath: path))
        out.pointee = newHandle(EngineObject(engine: engine, shutdownTimeout: settings.shutdownTimeout))
    }
}

@c @implementation
public func hw_engine_close(_ engine: OpaquePointer?) {
    guard let engine else { return }
    if HandleTable.shared.remove(address(engine), as: EngineObject.self) == nil {
        reportMisuse("engine \(engine) is not a live handle (closed already, or never opened)")
    }
}

@c @implementation
public func hw_engine_last_error_message(_ engine: OpaquePointer?) -> UnsafePointer<CChar>? {
    EngineObject.resolveOrReport(address(engine))?.lastError.get()
}

/// Runs an engine call: resolves the handle, runs `body`, and records a failure both in the
/// thread's and in the engine's last error.
func withEngine(_ handle: OpaquePointer?, _ body: (EngineObject) throws -> Void) -> hw_status {
    let object = HandleTable.shared.lookup(address(handle), as: EngineObject.self)
    return runReportingStatus(object?.lastError) {
        try body(try EngineObject.resolve(address(handle)))
    }
}
