/// Compact JSON output with sorted object keys, so that equal values give equal bytes.
///
/// Strings are written as UTF-8. `"`, `\` and the control characters U+0000 to U+001F are
/// escaped. Every other character, ASCII or not, is written as is, which JSON allows.
/// Non-finite doubles have no JSON form and are written as `null`.
extension JSONValue {
    /// Returns the value as compact JSON text in UTF-8.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        write(into: &output)
        return output
    }

    /// Returns the value as compact JSON text.
    public func serializedString() -> String {
        String(decoding: serialized(), as: UTF8.self)
    }

    /// Appends the value as compact JSON text in UTF-8 to `output`.
    public func write(into output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: JSONLiteral.null)
        case .bool(let value):
            output.append(contentsOf: value ? JSONLiteral.true : JSONLiteral.false)
        case .integer(let value):
            JSONValue.writeInteger(value, into: &output)
        case .double(let value):
            JSONValue.writeDouble(value, into: &output)
        case .string(let value):
            JSONValue.writeString(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            JSONValue.writeObject(members, into: &output)
        }
    }

    /// Appends a JSON object with keys in ascending order of their UTF-8 bytes.
    public static func writeObject(_ members: [String: JSONValue], into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        var first = true
        for key in members.keys.sorted(by: JSONValue.utf8Precedes) {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, into: &output)
            output.append(UInt8(ascii: ":"))
            members[key].unsafelyUnwrapped.write(into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// Appends a JSON object of string values, such as HTTP headers, with keys in ascending
    /// order of their UTF-8 bytes.
    public static func writeObject(_ members: [String: String], into output: inout [UInt8]) {
        output.append(UInt8(ascii: "{"))
        var first = true
        for key in members.keys.sorted(by: JSONValue.utf8Precedes) {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
            writeString(key, into: &output)
            output.append(UInt8(ascii: ":"))
            writeString(members[key].unsafelyUnwrapped, into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// Appends `value` as a quoted JSON string.
    public static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count {
                let byte = bytes[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                }
                appendEscape(for: byte, into: &output)
                runStart = index + 1
            }
            if runStart < bytes.count {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends the decimal digits of `value` without going through `String`.
    public static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        // The magnitude of Int64.min does not fit in Int64, so the digits come from UInt64.
        var magnitude = value.magnitude
        if magnitude == 0 {
            output.append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for the 19 digits of Int64.min, on the stack
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for position in stride(from: count - 1, through: 0, by: -1) {
                output.append(buffer[position])
            }
        }
    }

    /// Appends the shortest decimal form that reads back as the same double.
    static func writeDouble(_ value: Double, into output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: JSONLiteral.null)
            return
        }
        // Swift's description is the shortest round-tripping form, such as `1.0`, `0.1` or
        // `1e-07`, and always valid JSON for finite values.
        output.append(contentsOf: value.description.utf8)
    }

    private static func appendEscape(for byte: UInt8, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        default:
            let hex = JSONLiteral.hexDigits
            output.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            output.append(hex[Int(byte >> 4)])
            output.append(hex[Int(byte & 0x0F)])
        }
    }

    /// Orders strings by their UTF-8 bytes, which is cheaper than Unicode ordering and the
    /// same on every platform.
    static func utf8Precedes(_ left: String, _ right: String) -> Bool {
        left.utf8.lexicographicallyPrecedes(right.utf8)
    }
}

enum JSONLiteral {
    static let null: [UInt8] = Array("null".utf8)
    static let `true`: [UInt8] = Array("true".utf8)
    static let `false`: [UInt8] = Array("false".utf8)
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
