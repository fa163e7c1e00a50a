/// Quotes a value for an error message: in double quotes, with quotes, backslashes and control
/// characters escaped so that the message stays on one line, and cut after 100 characters.
public func quotedForMessage(_ value: String) -> String {
    var result = "\""
    var count = 0
    for scalar in value.unicodeScalars {
        if count == 100 {
            result += "..."
            break
        }
        count += 1
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}
