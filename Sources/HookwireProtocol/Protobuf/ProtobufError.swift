/// Why a payload is not a valid protobuf encoding of the expected message. Offsets count bytes
/// from the start of the message (or nested message) being decoded.
public enum ProtobufError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The input ends inside a tag, a varint, a fixed-size value or a length-delimited value.
    case truncated(offset: Int)
    /// A varint runs past 10 bytes or past 64 bits.
    case varintTooLong(offset: Int)
    /// A length-delimited field claims more bytes than remain.
    case lengthBeyondBuffer(field: Int, length: UInt64, available: Int)
    /// A tag carries field number 0 or one above 536,870,911.
    case invalidFieldNumber(UInt64, offset: Int)
    /// A tag carries wire type 3 or 4 (groups, which this protocol does not use) or the
    /// undefined 6 or 7.
    case unsupportedWireType(field: Int, wireType: UInt8, offset: Int)
    /// A known field arrived with a wire type its declared type cannot have.
    case wireTypeMismatch(field: Int, expected: WireType, actual: WireType)
    /// A `string` field is not valid UTF-8.
    case invalidUTF8(field: Int)
    /// An enum field carries a number the enum does not define.
    case invalidEnumValue(field: Int, value: Int64)

    public var description: String {
        switch self {
        case .truncated(let offset):
            "protobuf input truncated at byte \(offset)"
        case .varintTooLong(let offset):
            "varint at byte \(offset) is longer than 10 bytes or 64 bits"
        case .lengthBeyondBuffer(let field, let length, let available):
            "field \(field) claims \(length) bytes but only \(available) remain"
        case .invalidFieldNumber(let number, let offset):
            "invalid field number \(number) at byte \(offset)"
        case .unsupportedWireType(let field, let wireType, let offset):
            "field \(field) at byte \(offset) has wire type \(wireType), which is not supported"
        case .wireTypeMismatch(let field, let expected, let actual):
            "field \(field) has wire type \(actual.rawValue), expected \(expected.rawValue)"
        case .invalidUTF8(let field):
            "string field \(field) is not valid UTF-8"
        case .invalidEnumValue(let field, let value):
            "enum field \(field) has the undefined value \(value)"
        }
    }
}

/// The protobuf wire types this codec reads and writes.
public enum WireType: UInt8, Sendable, Hashable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case fixed32 = 5
}
