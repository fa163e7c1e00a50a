/// A message of `proto/hookwire.proto`, encoded and decoded by hand-written code.
///
/// Decoding skips fields it does not know, of every wire type except groups, so that newer
/// peers can add fields. It rejects malformed input with a `ProtobufError` and never traps.
public protocol ProtobufMessage: Sendable, Hashable {
    /// Creates the message with every field at its default.
    init()
    /// Appends the message's wire form to `buffer`.
    func encode(into buffer: inout [UInt8])
    /// Decodes a message from its wire form.
    init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError)
}

extension ProtobufMessage {
    /// Returns the message's wire form in a new array.
    public func encoded() -> [UInt8] {
        var buffer: [UInt8] = []
        encode(into: &buffer)
        return buffer
    }

    /// Decodes a message from an array holding exactly its wire form.
    public init(decoding bytes: [UInt8]) throws(ProtobufError) {
        try self.init(decoding: bytes[...])
    }
}
