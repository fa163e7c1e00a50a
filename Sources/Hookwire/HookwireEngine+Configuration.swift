import Foundation
import HookwireCore
import HookwireDelivery

extension HookwireEngine {
    /// Settings of an engine. Every field has a working default; only `databasePath` usually
    /// needs setting.
    public struct Configuration: Sendable {
        /// The SQLite database file, or `:memory:`.
        public var databasePath: String = "hookwire.db"
        /// The largest event accepted, in bytes of its JSON envelope and data (1 MiB by default).
        public var maximumPayloadBytes = 1 << 20
        /// When failed attempts are retried: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h by
        /// default, each spread by ±20 %.
        public var retrySchedule: RetrySchedule = .standard
        /// Requests in flight at once across all hooks.
        public var maximumInFlight = 256
        /// Requests in flight at once to one hook.
        public var maximumInFlightPerWebhook = 8
        /// Seconds allowed to connect (TCP and TLS).
        public var connectTimeout: Double = 5
        /// Seconds allowed for a whole request.
        public var requestTimeout: Double = 15
        /// A PEM file of CA certificates to trust instead of the system's, or nil.
        public var caFile: String?
        /// Allows targets on loopback, private, link-local and other non-public addresses.
        public var allowPrivateTargets = false
        /// Non-public ranges allowed anyway, in CIDR notation such as `127.0.0.0/8`.
        public var allowedRanges: [String] = []
        /// Seconds a claimed delivery stays reserved; after a crash it is attempted again once
        /// this runs out. Must exceed `requestTimeout`.
        public var leaseDuration: Double = 60
        /// Seconds finished deliveries are kept (7 days by default).
        public var retention: Double = 7 * 86400
        /// Seconds between retention passes.
        public var pruneInterval: Double = 3600
        /// Threads that run non-HTTP plugin deliveries.
        public var pluginThreads = 4
        /// Seconds a replaced secret keeps signing next to the new one (24 hours by default).
        public var secretRotationOverlap: Double = 86400
        /// Consecutive failed attempts that switch a hook to TooManyErrors.
        public var consecutiveErrorLimit: Int64 = 9
        /// Delivery plugins for types other than `webhook`, registered at open.
        public var plugins: [any WebhookPlugin] = []
        /// Candidates for the system plugin; the lowest priority wins, and the built-in SQLite
        /// plugin (priority `Int.max`) is used when none has a lower one.
        public var systemPlugins: [any SystemWebhookPlugin] = []
        /// Starts the delivery thread. Off, the engine stores events but sends nothing, which
        /// suits tools that only inspect or edit a database.
        public var deliversEvents = true
        /// Uniform numbers in `0..<1` for retry jitter; replace for reproducible tests.
        public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

        public init() {}

        public init(databasePath: String) {
            self.databasePath = databasePath
        }

        /// Checks every setting as `HookwireEngine.open` does, without opening anything.
        ///
        /// - Throws: `invalidArgument` naming the first field with an invalid value.
        public func validate() throws {
            _ = try deliverySettings()
        }

        /// The delivery settings these fields describe.
        ///
        /// - Throws: `invalidArgument` naming the first field with an invalid value.
        func deliverySettings() throws -> DeliverySettings {
            func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
                if !condition { throw HookwireError.invalidArgument(message()) }
            }
            /// Returns seconds as a person writes them: "15 s", "0.5 s".
            func seconds(_ value: Double) -> String {
                value.isFinite && value == value.rounded() && abs(value) < 1e15 ? "\(Int(value)) s" : "\(value) s"
            }
            try check(maximumPayloadBytes > 0, "invalid maximumPayloadBytes \(maximumPayloadBytes): expected more than 0")
            try check(maximumInFlight > 0, "invalid maximumInFlight \(maximumInFlight): expected more than 0")
            try check(
                maximumInFlightPerWebhook > 0,
                "invalid maximumInFlightPerWebhook \(maximumInFlightPerWebhook): expected more than 0")
            try check(connectTimeout > 0, "invalid connectTimeout \(seconds(connectTimeout)): expected more than 0 s")
            try check(requestTimeout > 0, "invalid requestTimeout \(seconds(requestTimeout)): expected more than 0 s")
            try check(
                leaseDuration > requestTimeout,
                "invalid leaseDuration \(seconds(leaseDuration)): expected more than requestTimeout (\(seconds(requestTimeout)))")
            try check(retention >= 0, "invalid retention \(seconds(retention)): expected 0 s or more")
            try check(pluginThreads > 0, "invalid pluginThreads \(pluginThreads): expected more than 0")
            try check(
                retrySchedule.delays.allSatisfy { $0 >= 0 && $0.isFinite },
                "invalid retrySchedule \(retrySchedule.delays): expected finite delays of 0 or more seconds")
            try check(
                (0...1).contains(retrySchedule.jitter),
                "invalid retrySchedule jitter \(retrySchedule.jitter): expected 0 to 1")

            if let caFile {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: caFile, isDirectory: &isDirectory)
                try check(
                    exists && !isDirectory.boolValue && FileManager.default.isReadableFile(atPath: caFile),
                    "invalid caFile \(caFile): no readable file there; give a PEM file of CA certificates")
            }

            var settings = DeliverySettings()
            settings.retrySchedule = retrySchedule
            settings.maximumInFlight = maximumInFlight
            settings.maximumInFlightPerWebhook = maximumInFlightPerWebhook
            settings.leaseDuration = leaseDuration
            settings.retention = retention
            settings.pruneInterval = pruneInterval
            settings.pluginThreads = pluginThreads
            settings.secretRotationOverlap = secretRotationOverlap
            settings.transport.connectTimeout = connectTimeout
            settings.transport.requestTimeout = requestTimeout
            settings.transport.caFile = caFile
            settings.transport.userAgent = "Hookwire/\(HookwireEngine.version)"
            settings.transport.addressPolicy = AddressPolicy(
                allowPrivateTargets: allowPrivateTargets, allowedRanges: try allowedRanges.map(AddressRange.init))
            return settings
        }
    }
}
