/// What an attempt's result means for its delivery and its hook.
public enum AttemptVerdict: Sendable, Hashable {
    /// The target accepted the delivery (any 2xx).
    case success
    /// The attempt failed and a later attempt may succeed. `retryAfter` is the receiver's
    /// `Retry-After` in seconds when the status honours it (429, 502, 503, 504).
    case retryable(retryAfter: Double?)
    /// Retrying cannot help (410 Gone): the delivery fails and the hook goes to TooManyErrors.
    case permanent
}

/// The rules that turn an HTTP status or a transport error into an `AttemptVerdict`.
public enum AttemptClassification {
    /// Statuses whose `Retry-After` header is honoured.
    public static let retryAfterStatuses: Set<Int32> = [429, 502, 503, 504]

    /// Classifies an attempt that got an HTTP response. Redirects are never followed, so a 3xx
    /// is a retryable failure like any other non-2xx status.
    ///
    /// - Parameters:
    ///   - status: The HTTP status.
    ///   - retryAfterHeader: The raw `Retry-After` value, if the response had one.
    ///   - now: The current time in seconds since 1970, used to read an HTTP-date value.
    public static func classify(status: Int32, retryAfterHeader: String?, now: Double) -> AttemptVerdict {
        switch status {
        case 200...299:
            return .success
        case 410:
            return .permanent
        default:
            guard retryAfterStatuses.contains(status), let header = retryAfterHeader else {
                return .retryable(retryAfter: nil)
            }
            return .retryable(retryAfter: parseRetryAfter(header, now: now))
        }
    }

    /// Parses a `Retry-After` value: delay seconds, or an HTTP-date (IMF-fixdate, such as
    /// `Wed, 21 Oct 2015 07:28:00 GMT`). Returns the delay in seconds from `now`, or nil when
    /// the value is neither.
    public static func parseRetryAfter(_ value: String, now: Double) -> Double? {
        let trimmed = value.trimmingSpaces()
        if let seconds = Int(trimmed) {
            return seconds >= 0 ? Double(seconds) : nil
        }
        guard let date = parseIMFFixdate(trimmed) else { return nil }
        return max(0, date - now)
    }

    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT` into seconds since 1970.
    static func parseIMFFixdate(_ text: String) -> Double? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT",
            let day = Int(parts[1]), let year = Int(parts[3])
        else { return nil }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        guard let monthIndex = months.firstIndex(of: String(parts[2])) else { return nil }
        let time = parts[4].split(separator: ":")
        guard time.count == 3, let hour = Int(time[0]), let minute = Int(time[1]), let second = Int(time[2])
        else { return nil }
        let days = daysSinceEpoch(year: year, month: monthIndex + 1, day: day)
        return Double(days * 86400 + hour * 3600 + minute * 60 + second)
    }

    /// Days from 1970-01-01 to the given civil date (proleptic Gregorian calendar).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" || last == "\n" {
            slice = slice.dropLast()
        }
        return String(slice)
    }
}
