/// Appends protobuf wire format to a byte buffer. Fields at their proto3 default (0, false,
/// empty) are omitted, except through the `Present` variants, which write `optional` fields
/// that are set.
extension Array where Element == UInt8 {
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(rest))
    }

    mutating func appendTag(_ field: Int, _ wireType: WireType) {
        appendVarint(UInt64(field) << 3 | UInt64(wireType.rawValue))
    }

    mutating func appendInt64Field(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        appendPresentInt64Field(field, value)
    }

    mutating func appendPresentInt64Field(_ field: Int, _ value: Int64?) {
        guard let value else { return }
        appendTag(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    /// Writes an `int32`, sign-extended to 64 bits as the protobuf encoding requires.
    mutating func appendInt32Field(_ field: Int, _ value: Int32) {
        appendInt64Field(field, Int64(value))
    }

    mutating func appendUInt32Field(_ field: Int, _ value: UInt32) {
        guard value != 0 else { return }
        appendTag(field, .varint)
        appendVarint(UInt64(value))
    }

    mutating func appendBoolField(_ field: Int, _ value: Bool) {
        guard value else { return }
        appendTag(field, .varint)
        append(1)
    }

    mutating func appendStringField(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        appendPresentStringField(field, value)
    }

    mutating func appendPresentStringField(_ field: Int, _ value: String?) {
        guard let value else { return }
        appendTag(field, .lengthDelimited)
        appendVarint(UInt64(value.utf8.count))
        append(contentsOf: value.utf8)
    }

    /// Writes a repeated `uint32` field in packed form.
    mutating func appendPackedUInt32Field(_ field: Int, _ values: [UInt32]) {
        guard !values.isEmpty else { return }
        appendMessageField(field) { buffer in
            for value in values { buffer.appendVarint(UInt64(value)) }
        }
    }

    /// Writes a nested message (or any length-delimited value) that `body` appends in place.
    /// The length goes in front afterwards; values of 128 bytes or more shift once to make room.
    mutating func appendMessageField(_ field: Int, _ body: (inout [UInt8]) -> Void) {
        appendTag(field, .lengthDelimited)
        let lengthIndex = count
        append(0)
        body(&self)
        let length = count - lengthIndex - 1
        if length < 0x80 {
            self[lengthIndex] = UInt8(length)
            return
        }
        var lengthSize = 1
        while length >> (7 * lengthSize) != 0 { lengthSize += 1 }
        insert(contentsOf: repeatElement(0, count: lengthSize - 1), at: lengthIndex + 1)
        var rest = length
        for position in 0..<lengthSize {
            self[lengthIndex + position] = UInt8(truncatingIfNeeded: rest) | (position < lengthSize - 1 ? 0x80 : 0)
            rest >>= 7
        }
    }

    mutating func appendMessageField(_ field: Int, _ message: some ProtobufMessage) {
        appendMessageField(field) { message.encode(into: &$0) }
    }
}
