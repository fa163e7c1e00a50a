/// A minimal protobuf writer and reader for tests, written from the wire format itself so that
/// the server's messages are checked against the format and not only against the Swift codecs.
enum TestWire {
    enum Value: Equatable {
        case varint(UInt64)
        case bytes([UInt8])

        var integer: UInt64? { if case .varint(let value) = self { value } else { nil } }
        var text: String? { if case .bytes(let bytes) = self { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }

    static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
        var value = value
        while value >= 0x80 {
            buffer.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        buffer.append(UInt8(value))
    }

    static func varintField(_ number: Int, _ value: UInt64) -> [UInt8] {
        var buffer: [UInt8] = []
        appendVarint(UInt64(number << 3), to: &buffer)
        appendVarint(value, to: &buffer)
        return buffer
    }

    static func bytesField(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        var buffer: [UInt8] = []
        appendVarint(UInt64(number << 3 | 2), to: &buffer)
        appendVarint(UInt64(bytes.count), to: &buffer)
        buffer += bytes
        return buffer
    }

    static func stringField(_ number: Int, _ text: String) -> [UInt8] { bytesField(number, Array(text.utf8)) }

    /// A `Hello` message: versions (field 1, unpacked) and token (field 2).
    static func hello(versions: [UInt32] = [1], token: String = "") -> [UInt8] {
        var buffer: [UInt8] = []
        for version in versions { buffer += varintField(1, UInt64(version)) }
        if !token.isEmpty { buffer += stringField(2, token) }
        buffer += stringField(3, "server-tests")
        return buffer
    }

    /// Reads the fields of a message; repeated fields keep every value in order. Packed
    /// repeated varints come back as one `.bytes` value; `packedVarints` splits them.
    static func parse(_ bytes: [UInt8]) -> [Int: [Value]]? {
        var fields: [Int: [Value]] = [:]
        var index = 0
        func readVarint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while index < bytes.count, shift < 64 {
                let byte = bytes[index]
                index += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
            return nil
        }
        while index < bytes.count {
            guard let key = readVarint() else { return nil }
            let number = Int(key >> 3)
            switch key & 7 {
            case 0:
                guard let value = readVarint() else { return nil }
                fields[number, default: []].append(.varint(value))
            case 2:
                guard let length = readVarint(), index + Int(length) <= bytes.count else { return nil }
                fields[number, default: []].append(.bytes(Array(bytes[index..<(index + Int(length))])))
                index += Int(length)
            case 1:
                index += 8
            case 5:
                index += 4
            default:
                return nil
            }
        }
        return fields
    }

    /// The values of a repeated uint32 field, packed or not.
    static func repeatedVarints(_ values: [Value]?) -> [UInt64] {
        var result: [UInt64] = []
        for value in values ?? [] {
            switch value {
            case .varint(let number):
                result.append(number)
            case .bytes(let packed):
                var index = 0
                while index < packed.count {
                    var number: UInt64 = 0
                    var shift: UInt64 = 0
                    while index < packed.count {
                        let byte = packed[index]
                        index += 1
                        number |= UInt64(byte & 0x7F) << shift
                        shift += 7
                        if byte < 0x80 { break }
                    }
                    result.append(number)
                }
            }
        }
        return result
    }
}
