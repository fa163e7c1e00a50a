/// When a failed delivery is attempted again.
///
/// The schedule is a list of delays: the delay at index `n` separates failed attempt `n` (0 is
/// the first attempt) from the next one. When the list runs out the delivery is `failed` and
/// stays redeliverable. Each delay is spread by a random factor within `±jitter` so that many
/// deliveries that failed together do not retry together.
public struct RetrySchedule: Sendable, Hashable {
    /// Delays between attempts, in seconds.
    public var delays: [Double]
    /// The relative spread of each delay: 0.2 gives a delay between 80 % and 120 % of its value.
    public var jitter: Double
    /// The longest `Retry-After` honoured, in seconds. A longer one is cut to this value.
    public var maximumRetryAfter: Double

    /// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over about 28 hours.
    public static let standard = RetrySchedule(
        delays: [5, 300, 1800, 7200, 18000, 36000, 36000], jitter: 0.2, maximumRetryAfter: 36000)

    public init(delays: [Double], jitter: Double = 0.2, maximumRetryAfter: Double = 36000) {
        self.delays = delays
        self.jitter = jitter
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The number of attempts a delivery gets before it fails: the first one plus one per delay.
    public var maximumAttempts: Int { delays.count + 1 }

    /// Returns the delay before the attempt that follows failed attempt `attempt`, or nil when
    /// the schedule is exhausted.
    ///
    /// - Parameters:
    ///   - attempt: The number of the attempt that failed, 0 for the first.
    ///   - retryAfter: The receiver's `Retry-After` in seconds, when the rules honour it. It
    ///     replaces the scheduled delay when longer, up to `maximumRetryAfter`.
    ///   - random: A source of uniformly distributed numbers in `0..<1`, injectable for tests.
    public func delay(
        afterAttempt attempt: Int, retryAfter: Double? = nil, random: () -> Double
    ) -> Double? {
        guard attempt >= 0, attempt < delays.count else { return nil }
        let base = delays[attempt]
        let spread = (random() * 2 - 1) * jitter
        var delay = max(0, base * (1 + spread))
        if let retryAfter, retryAfter > delay {
            delay = min(retryAfter, maximumRetryAfter)
        }
        return delay
    }
}
