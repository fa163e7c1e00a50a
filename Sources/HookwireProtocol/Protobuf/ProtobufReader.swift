import Foundation

/// A field tag read from the input: the field number and its wire type.
struct ProtobufField {
    var number: Int
    var wireType: WireType
}

/// Reads protobuf wire format from a slice without copying it. Every read checks the bounds
/// and throws `ProtobufError` rather than trapping.
struct ProtobufReader {
    private let bytes: ArraySlice<UInt8>
    private var index: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.index = bytes.startIndex
    }

    private var offset: Int { index - bytes.startIndex }

    /// Reads the next tag, or returns nil at the end of the input.
    mutating func nextField() throws(ProtobufError) -> ProtobufField? {
        guard index < bytes.endIndex else { return nil }
        let tagOffset = offset
        let tag = try readVarint()
        let number = tag >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else { throw .invalidFieldNumber(number, offset: tagOffset) }
        let rawWireType = UInt8(tag & 7)
        guard let wireType = WireType(rawValue: rawWireType) else {
            throw .unsupportedWireType(field: Int(number), wireType: rawWireType, offset: tagOffset)
        }
        return ProtobufField(number: Int(number), wireType: wireType)
    }

    mutating func readVarint() throws(ProtobufError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex else { throw .truncated(offset: offset) }
            let byte = bytes[index]
            index += 1
            // The 10th byte may only carry the 64th bit.
            if shift == 63, byte > 1 { throw .varintTooLong(offset: start) }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw .varintTooLong(offset: start) }
        }
    }

    private mutating func readFixed(_ size: Int) throws(ProtobufError) -> UInt64 {
        guard bytes.endIndex - index >= size else { throw .truncated(offset: offset) }
        var value: UInt64 = 0
        for position in 0..<size { value |= UInt64(bytes[index + position]) << (8 * UInt64(position)) }
        index += size
        return value
    }

    private mutating func readLengthDelimited(_ field: ProtobufField) throws(ProtobufError) -> ArraySlice<UInt8> {
        let length = try readVarint()
        let available = bytes.endIndex - index
        guard length <= UInt64(available) else {
            throw .lengthBeyondBuffer(field: field.number, length: length, available: available)
        }
        let value = bytes[index..<(index + Int(length))]
        index += Int(length)
        return value
    }

    private func expect(_ field: ProtobufField, _ wireType: WireType) throws(ProtobufError) {
        guard field.wireType == wireType else {
            throw .wireTypeMismatch(field: field.number, expected: wireType, actual: field.wireType)
        }
    }

    /// Skips a field this message does not know, of any supported wire type.
    mutating func skip(_ field: ProtobufField) throws(ProtobufError) {
        switch field.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed(8)
        case .fixed32: _ = try readFixed(4)
        case .lengthDelimited: _ = try readLengthDelimited(field)
        }
    }

    mutating func int64(_ field: ProtobufField) throws(ProtobufError) -> Int64 {
        try expect(field, .varint)
        return Int64(bitPattern: try readVarint())
    }

    /// Reads an `int32`, which senders sign-extend to 64 bits; the low 32 bits are the value.
    mutating func int32(_ field: ProtobufField) throws(ProtobufError) -> Int32 {
        try expect(field, .varint)
        return Int32(truncatingIfNeeded: try readVarint())
    }

    mutating func uint32(_ field: ProtobufField) throws(ProtobufError) -> UInt32 {
        try expect(field, .varint)
        return UInt32(truncatingIfNeeded: try readVarint())
    }

    mutating func bool(_ field: ProtobufField) throws(ProtobufError) -> Bool {
        try expect(field, .varint)
        return try readVarint() != 0
    }

    mutating func string(_ field: ProtobufField) throws(ProtobufError) -> String {
        try expect(field, .lengthDelimited)
        let value = try readLengthDelimited(field)
        let text: String? = value.withUnsafeBufferPointer { bytes in
            // Decoding replaces each malformed sequence with U+FFFD, so the input was valid
            // UTF-8 exactly when the decoded text has the same bytes. This is several times
            // faster than the generic `String(validating:as:)` on a slice.
            var text = String(decoding: bytes, as: UTF8.self)
            let isValid = text.withUTF8 { decoded in
                decoded.count == bytes.count
                    && (bytes.isEmpty || memcmp(decoded.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
            }
            return isValid ? text : nil
        }
        guard let text else { throw .invalidUTF8(field: field.number) }
        return text
    }

    mutating func message<Message: ProtobufMessage>(
        _ field: ProtobufField, as type: Message.Type = Message.self
    ) throws(ProtobufError) -> Message {
        try expect(field, .lengthDelimited)
        return try Message(decoding: try readLengthDelimited(field))
    }

    /// Reads an enum value and maps it with `make`, which returns nil for an undefined number.
    mutating func enumeration<Value>(
        _ field: ProtobufField, _ make: (Int32) -> Value?
    ) throws(ProtobufError) -> Value {
        try expect(field, .varint)
        let raw = Int64(bitPattern: try readVarint())
        guard let number = Int32(exactly: raw), let value = make(number) else {
            throw .invalidEnumValue(field: field.number, value: raw)
        }
        return value
    }

    /// Reads a repeated `uint32` element, or a packed run of them, and appends to `values`.
    /// Proto3 senders pack by default, but parsers must accept both forms.
    mutating func appendUInt32s(_ field: ProtobufField, to values: inout [UInt32]) throws(ProtobufError) {
        switch field.wireType {
        case .varint:
            values.append(UInt32(truncatingIfNeeded: try readVarint()))
        case .lengthDelimited:
            var packed = ProtobufReader(try readLengthDelimited(field))
            while packed.index < packed.bytes.endIndex {
                values.append(UInt32(truncatingIfNeeded: try packed.readVarint()))
            }
        default:
            throw .wireTypeMismatch(field: field.number, expected: .varint, actual: field.wireType)
        }
    }
}
