import Foundation
import HookwireCore

/// Settings of delivery: retries, concurrency caps, leases, retention and the HTTP transport.
public struct DeliverySettings: Sendable {
    /// When failed attempts are retried.
    public var retrySchedule: RetrySchedule = .standard
    /// Requests in flight at once across all hooks.
    public var maximumInFlight = 256
    /// Requests in flight at once to one hook, so that a slow hook cannot take every slot.
    /// Each claimed delivery reads its hook's definition when claimed and checks it again
    /// before its attempt starts, so edits, state changes and deletions apply to the next
    /// attempt.
    public var maximumInFlightPerWebhook = 8
    /// How long a claimed delivery stays reserved, in seconds. After a crash, deliveries whose
    /// lease ran out are attempted again, so it must exceed the HTTP request timeout.
    public var leaseDuration: Double = 60
    /// Finished deliveries older than this many seconds are deleted (7 days by default).
    public var retention: Double = 7 * 86400
    /// Seconds between retention passes.
    public var pruneInterval: Double = 3600
    /// Threads that run non-HTTP plugin deliveries.
    public var pluginThreads = 4
    /// How long a replaced secret keeps signing deliveries next to the new one, in seconds.
    public var secretRotationOverlap: Double = 86400
    /// The HTTP transport's settings.
    public var transport = HTTPTransportConfiguration()

    public init() {}
}
