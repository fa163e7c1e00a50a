import HookwireCore

extension Wire {
    /// The wire form of `EventPublication`: an event to publish.
    public struct Event: ProtobufMessage {
        /// Such as `contact.created`.
        public var event: String = ""
        /// Such as `contact`; empty means the part of `event` before the first full stop.
        public var entity: String = ""
        public var primaryKey: Int64 = 0
        public var changes: [String] = []
        /// A JSON object of the row's field values; empty means `{}`.
        public var fieldValuesJSON: String = ""
        public var changedByAssociateId: Int64 = 0
        /// The tenant; empty means `Default`.
        public var contextIdentifier: String = ""
        /// Free JSON data added to the delivery body; empty means none.
        public var dataJSON: String = ""

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendStringField(1, event)
            buffer.appendStringField(2, entity)
            buffer.appendInt64Field(3, primaryKey)
            for change in changes { buffer.appendPresentStringField(4, change) }
            buffer.appendStringField(5, fieldValuesJSON)
            buffer.appendInt64Field(6, changedByAssociateId)
            buffer.appendStringField(7, contextIdentifier)
            buffer.appendStringField(8, dataJSON)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: event = try reader.string(field)
                case 2: entity = try reader.string(field)
                case 3: primaryKey = try reader.int64(field)
                case 4: changes.append(try reader.string(field))
                case 5: fieldValuesJSON = try reader.string(field)
                case 6: changedByAssociateId = try reader.int64(field)
                case 7: contextIdentifier = try reader.string(field)
                case 8: dataJSON = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `PublishResult`.
    public struct PublishResult: ProtobufMessage {
        /// A UUID in lowercase text form.
        public var eventId: String = ""
        /// Active webhooks the event matched, one delivery each.
        public var matched: UInt32 = 0

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendStringField(1, eventId)
            buffer.appendUInt32Field(2, matched)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: eventId = try reader.string(field)
                case 2: matched = try reader.uint32(field)
                default: try reader.skip(field)
                }
            }
        }
    }
}
