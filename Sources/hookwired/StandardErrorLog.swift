import Foundation
import Glibc

/// Writes log lines to standard error, one `write` per line so that lines from different
/// threads never interleave. Each line starts with a UTC timestamp.
enum StandardErrorLog {
    static func write(_ message: String) {
        var line = timestamp() + " hookwired: " + message
        line.removeAll(where: { $0 == "\n" || $0 == "\r" })
        writeRaw(line + "\n")
    }

    /// Writes text to standard error as it is, without a timestamp.
    static func writeRaw(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            _ = Glibc.write(2, bytes.baseAddress, bytes.count)
        }
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        let milliseconds = now.tv_nsec / 1_000_000
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(milliseconds))
    }
}
