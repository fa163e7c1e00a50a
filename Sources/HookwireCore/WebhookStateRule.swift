import Foundation

/// The rule that updates a hook's counters and state after one delivery attempt.
///
/// Every call counts in `totalCalls`. A success resets `consecutiveErrors` and leaves the
/// state alone, so a hook in TooManyErrors stays there until its owner sets it active. A
/// failure counts in `totalErrors` and `consecutiveErrors` and records its message and time.
/// An active hook whose consecutive errors reach the limit, or which has a permanent failure,
/// becomes TooManyErrors. A hook in any other state keeps its state, because its owner stopped
/// it or it is already disabled.
public enum WebhookStateRule {
    /// The counters and state after one result, and why the state changed.
    public struct Outcome: Sendable, Hashable {
        public var state: WebhookState
        public var usage: WebhookUsage
        /// The reason for the state change, or nil when the state did not change.
        public var reason: String?
    }

    /// Applies one attempt's `result` to a hook's `state` and `usage`.
    /// - Parameters:
    ///   - limit: the consecutive errors that disable an active hook; values below 1 count as 1.
    ///   - time: when the attempt finished, recorded as the last error's time on failure.
    public static func apply(
        _ result: WebhookResult, state: WebhookState, usage: WebhookUsage, limit: Int64, at time: Date
    ) -> Outcome {
        var usage = usage
        usage.totalCalls += 1
        if result.succeeded {
            usage.consecutiveErrors = 0
            return Outcome(state: state, usage: usage, reason: nil)
        }

        usage.totalErrors += 1
        usage.consecutiveErrors += 1
        let message = result.message.isEmpty ? (result.permanentFailure ? "permanent failure" : "failed") : result.message
        usage.lastError = message
        usage.lastErrorTime = time

        guard state == .active else { return Outcome(state: state, usage: usage, reason: nil) }
        if result.permanentFailure {
            return Outcome(state: .tooManyErrors, usage: usage, reason: "permanent failure: \(message)")
        }
        if usage.consecutiveErrors >= max(limit, 1) {
            return Outcome(
                state: .tooManyErrors, usage: usage,
                reason: "\(usage.consecutiveErrors) consecutive errors, the latest: \(message)")
        }
        return Outcome(state: state, usage: usage, reason: nil)
    }
}
