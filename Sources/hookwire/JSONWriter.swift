import Foundation
import HookwireCore

/// A JSON value for output whose object keys keep the order they were given in, so that
/// scripts and people see `id` first and `updated` last.
indirect enum OrderedJSON {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    /// Converts a `JSONValue`, sorting object keys so that output is stable.
    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let bool): self = .bool(bool)
        case .integer(let integer): self = .integer(integer)
        case .double(let double): self = .double(double)
        case .string(let string): self = .string(string)
        case .array(let array): self = .array(array.map(OrderedJSON.init))
        case .object(let object):
            self = .object(object.keys.sorted().map { ($0, OrderedJSON(object[$0]!)) })
        }
    }

    /// A string, or null when the value is nil.
    static func optional(_ string: String?) -> OrderedJSON {
        string.map(OrderedJSON.string) ?? .null
    }

    /// A timestamp as ISO 8601 text in UTC, or null.
    static func date(_ date: Date?) -> OrderedJSON {
        date.map { .string(formatTimestamp($0)) } ?? .null
    }

    /// Serialises the value on one line.
    func serialized() -> String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let bool): output += bool ? "true" : "false"
        case .integer(let integer): output += String(integer)
        case .double(let double): output += double.isFinite ? "\(double)" : "null"
        case .string(let string): Self.writeString(string, to: &output)
        case .array(let array):
            output += "["
            for (position, element) in array.enumerated() {
                if position > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (position, (key, value)) in members.enumerated() {
                if position > 0 { output += "," }
                Self.writeString(key, to: &output)
                output += ":"
                value.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case _ where scalar.value < 0x20:
                output += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}

/// Formats a time as ISO 8601 in UTC with whole seconds, such as `2026-12-04T09:15:02Z`.
func formatTimestamp(_ date: Date) -> String {
    date.formatted(.iso8601)
}

/// Parses an ISO 8601 time (`2026-12-04T09:15:02Z`, fractional seconds allowed) or a count of
/// seconds since 1970.
func parseTimestamp(_ text: String) -> Date? {
    if let seconds = Double(text) { return Date(timeIntervalSince1970: seconds) }
    if let date = try? Date(text, strategy: .iso8601) { return date }
    return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
