import Foundation
import HookwireCore

/// Milliseconds since 1970-01-01 UTC, the time unit of every `*_unix_ms` field, rounded to the
/// nearest millisecond.
func unixMilliseconds(_ date: Date) -> Int64 {
    let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
    return Int64(exactly: milliseconds) ?? (milliseconds < 0 ? Int64.min : Int64.max)
}

func date(unixMilliseconds milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000)
}

/// Returns a JSON object as compact text, or "" for an empty object, which the wire reads as `{}`.
func jsonObjectText(_ members: [String: JSONValue]) -> String {
    guard !members.isEmpty else { return "" }
    var output: [UInt8] = []
    JSONValue.writeObject(members, into: &output)
    return String(decoding: output, as: UTF8.self)
}

/// Parses the JSON object text of the field `name`; "" means the empty object.
///
/// - Throws: `HookwireError.invalidArgument` naming the field when the text is not JSON or not
///   an object.
func parseJSONObject(_ text: String, field name: String) throws(HookwireError) -> [String: JSONValue] {
    guard !text.isEmpty else { return [:] }
    switch try parseJSON(text, field: name) {
    case .object(let members):
        return members
    default:
        throw .invalidArgument("\(name) must be a JSON object, got \(text.prefix(40))")
    }
}

/// Parses the JSON text of the field `name`.
///
/// - Throws: `HookwireError.invalidArgument` that names the field and the parser's reason.
func parseJSON(_ text: String, field name: String) throws(HookwireError) -> JSONValue {
    do {
        return try JSONValue(parsing: text)
    } catch let error as HookwireError {
        throw .invalidArgument("\(name) is not valid JSON: \(error.message)")
    } catch {
        throw .invalidArgument("\(name) is not valid JSON: \(error)")
    }
}
