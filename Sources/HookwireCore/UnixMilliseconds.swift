import Foundation

/// Conversions between dates and whole milliseconds since 1970-01-01 UTC, the precision at
/// which webhooks' times are stored.
public enum UnixMilliseconds {
    /// Returns the milliseconds since 1970, rounded to the nearest millisecond.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Returns the date `milliseconds` after 1970-01-01 UTC.
    public static func date(_ milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Returns `date` rounded to whole milliseconds, so that it equals itself after a round
    /// trip through storage.
    public static func rounded(_ date: Date) -> Date {
        self.date(milliseconds(date))
    }
}
