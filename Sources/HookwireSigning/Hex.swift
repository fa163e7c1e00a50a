/// Hexadecimal text of bytes, two digits per byte, high nibble first.
public enum Hex {
    private static let digits: StaticString = "0123456789abcdef"

    /// Encodes `bytes` as lowercase hex into `output` and returns the number of bytes written
    /// (twice `bytes.count`).
    public static func encode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        precondition(output.count >= bytes.count * 2, "hex output buffer holds \(output.count) bytes, \(bytes.count * 2) needed")
        let table = digits.utf8Start
        for (index, byte) in bytes.enumerated() {
            output[index * 2] = table[Int(byte >> 4)]
            output[index * 2 + 1] = table[Int(byte & 0x0F)]
        }
        return bytes.count * 2
    }

    /// Returns the lowercase hex text of `bytes`.
    public static func encodedString(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { output in
            encode(bytes, into: output)
        }
    }

    /// Decodes hex text in either case and returns nil when the length is odd or a character is
    /// not a hex digit.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 2)
        var index = 0
        while index < characters.count {
            guard let high = nibbleValue(characters[index]), let low = nibbleValue(characters[index + 1]) else {
                return nil
            }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func nibbleValue(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
