/// Standard base64 (RFC 4648 section 4, alphabet `A-Z a-z 0-9 + /`, padded with `=`), written
/// without Foundation so that encoding a signature costs one string allocation at most.
public enum Base64 {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// Returns the number of characters that encoding `byteCount` bytes produces, padding included.
    @inlinable
    public static func encodedLength(of byteCount: Int) -> Int {
        (byteCount + 2) / 3 * 4
    }

    /// Encodes `bytes` into `output` and returns the number of bytes written.
    ///
    /// - Parameters:
    ///   - bytes: The bytes to encode.
    ///   - output: At least ``encodedLength(of:)`` bytes of space; ASCII is written from its start.
    /// - Returns: ``encodedLength(of:)`` for `bytes.count`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let length = encodedLength(of: bytes.count)
        precondition(output.count >= length, "base64 output buffer holds \(output.count) bytes, \(length) needed")
        let table = alphabet.utf8Start
        var read = 0
        var written = 0
        while bytes.count - read >= 3 {
            let chunk = UInt32(bytes[read]) << 16 | UInt32(bytes[read + 1]) << 8 | UInt32(bytes[read + 2])
            output[written] = table[Int(chunk >> 18 & 0x3F)]
            output[written + 1] = table[Int(chunk >> 12 & 0x3F)]
            output[written + 2] = table[Int(chunk >> 6 & 0x3F)]
            output[written + 3] = table[Int(chunk & 0x3F)]
            read += 3
            written += 4
        }
        let remaining = bytes.count - read
        if remaining > 0 {
            let second = remaining == 2 ? UInt32(bytes[read + 1]) : 0
            let chunk = UInt32(bytes[read]) << 16 | second << 8
            output[written] = table[Int(chunk >> 18 & 0x3F)]
            output[written + 1] = table[Int(chunk >> 12 & 0x3F)]
            output[written + 2] = remaining == 2 ? table[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "=")
            output[written + 3] = UInt8(ascii: "=")
            written += 4
        }
        return written
    }

    /// Returns the base64 text of `bytes`.
    public static func encodedString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: encodedLength(of: bytes.count)) { output in
            encode(bytes, into: output)
        }
    }

    /// Returns the base64 text of `bytes`.
    public static func encodedString(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { encodedString($0) }
    }

    /// Decodes padded standard base64 and returns nil when the text is not valid.
    ///
    /// Valid text has a length that is a multiple of 4, only alphabet characters, at most two `=`
    /// and only at the end, and zero bits after the last encoded byte (the canonical encoding).
    /// Whitespace and the URL-safe alphabet are rejected.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { decode(UnsafeRawBufferPointer($0)) }
    }

    /// Decodes padded standard base64 given as ASCII bytes; see ``decode(_:)-(StringProtocol)``.
    public static func decode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        if text.isEmpty { return [] }
        var padding = 0
        if text[text.count - 1] == UInt8(ascii: "=") { padding += 1 }
        if text[text.count - 2] == UInt8(ascii: "=") { padding += 1 }
        if padding == 1 && text[text.count - 2] == UInt8(ascii: "=") { return nil }

        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3 - padding)
        var index = 0
        while index < text.count {
            let isLast = index + 4 == text.count
            let significant = isLast ? 4 - padding : 4
            var chunk: UInt32 = 0
            for offset in 0..<4 {
                var sextet: UInt8 = 0
                if offset < significant {
                    guard let value = sextetValue(text[index + offset]) else { return nil }
                    sextet = value
                }
                chunk = chunk << 6 | UInt32(sextet)
            }
            output.append(UInt8(chunk >> 16 & 0xFF))
            switch significant {
            case 4:
                output.append(UInt8(chunk >> 8 & 0xFF))
                output.append(UInt8(chunk & 0xFF))
            case 3:
                guard chunk & 0xFF == 0 else { return nil }
                output.append(UInt8(chunk >> 8 & 0xFF))
            default:
                guard chunk & 0xFFFF == 0 else { return nil }
            }
            index += 4
        }
        return output
    }

    private static func sextetValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
