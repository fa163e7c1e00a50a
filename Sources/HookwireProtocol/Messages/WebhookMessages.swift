import HookwireCore

extension Wire {
    /// The wire form of `Webhook`. Times are milliseconds since 1970 UTC; properties are JSON
    /// object text.
    public struct Webhook: ProtobufMessage {
        /// 0 in a `SaveWebhookRequest` creates the hook.
        public var id: Int64 = 0
        public var name: String = ""
        public var events: [String] = []
        public var targetURL: String = ""
        /// The delivery plugin's type name; empty means `webhook`.
        public var type: String = ""
        /// The signing secret; replies carry it only after creating a hook.
        public var secret: String?
        public var state: WebhookState = .unknown
        public var headers: [String: String] = [:]
        /// A JSON object added to every delivery body; empty means `{}`.
        public var propertiesJSON: String = ""
        public var applicationToken: String?
        public var description: String = ""
        public var registeredUnixMilliseconds: Int64 = 0
        public var registeredAssociateId: Int64 = 0
        public var updatedUnixMilliseconds: Int64 = 0
        public var updatedAssociateId: Int64 = 0

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, id)
            buffer.appendStringField(2, name)
            for event in events { buffer.appendPresentStringField(3, event) }
            buffer.appendStringField(4, targetURL)
            buffer.appendStringField(5, type)
            buffer.appendPresentStringField(6, secret)
            buffer.appendInt32Field(7, state.rawValue)
            // Sorted so that equal hooks encode to equal bytes.
            for key in headers.keys.sorted() {
                buffer.appendMessageField(8) { entry in
                    entry.appendStringField(1, key)
                    entry.appendStringField(2, headers[key] ?? "")
                }
            }
            buffer.appendStringField(9, propertiesJSON)
            buffer.appendPresentStringField(10, applicationToken)
            buffer.appendStringField(11, description)
            buffer.appendInt64Field(12, registeredUnixMilliseconds)
            buffer.appendInt64Field(13, registeredAssociateId)
            buffer.appendInt64Field(14, updatedUnixMilliseconds)
            buffer.appendInt64Field(15, updatedAssociateId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: id = try reader.int64(field)
                case 2: name = try reader.string(field)
                case 3: events.append(try reader.string(field))
                case 4: targetURL = try reader.string(field)
                case 5: type = try reader.string(field)
                case 6: secret = try reader.string(field)
                case 7: state = try reader.enumeration(field, WebhookState.init(rawValue:))
                case 8:
                    let entry = try reader.message(field, as: MapEntry.self)
                    headers[entry.key] = entry.value
                case 9: propertiesJSON = try reader.string(field)
                case 10: applicationToken = try reader.string(field)
                case 11: description = try reader.string(field)
                case 12: registeredUnixMilliseconds = try reader.int64(field)
                case 13: registeredAssociateId = try reader.int64(field)
                case 14: updatedUnixMilliseconds = try reader.int64(field)
                case 15: updatedAssociateId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `WebhookUsage`.
    public struct WebhookUsage: ProtobufMessage {
        public var totalCalls: Int64 = 0
        public var totalErrors: Int64 = 0
        public var consecutiveErrors: Int64 = 0
        public var lastError: String?
        public var lastErrorUnixMilliseconds: Int64?

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, totalCalls)
            buffer.appendInt64Field(2, totalErrors)
            buffer.appendInt64Field(3, consecutiveErrors)
            buffer.appendPresentStringField(4, lastError)
            buffer.appendPresentInt64Field(5, lastErrorUnixMilliseconds)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: totalCalls = try reader.int64(field)
                case 2: totalErrors = try reader.int64(field)
                case 3: consecutiveErrors = try reader.int64(field)
                case 4: lastError = try reader.string(field)
                case 5: lastErrorUnixMilliseconds = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `WebhookResult`.
    public struct WebhookResult: ProtobufMessage {
        public var succeeded: Bool = false
        /// Retrying cannot help, such as after HTTP 410 Gone.
        public var permanentFailure: Bool = false
        public var message: String = ""

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendBoolField(1, succeeded)
            buffer.appendBoolField(2, permanentFailure)
            buffer.appendStringField(3, message)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: succeeded = try reader.bool(field)
                case 2: permanentFailure = try reader.bool(field)
                case 3: message = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `WebhookStateChange`.
    public struct WebhookStateChange: ProtobufMessage {
        public var webhookId: Int64 = 0
        public var from: WebhookState = .unknown
        public var to: WebhookState = .unknown
        public var reason: String = ""

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, webhookId)
            buffer.appendInt32Field(2, from.rawValue)
            buffer.appendInt32Field(3, to.rawValue)
            buffer.appendStringField(4, reason)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhookId = try reader.int64(field)
                case 2: from = try reader.enumeration(field, WebhookState.init(rawValue:))
                case 3: to = try reader.enumeration(field, WebhookState.init(rawValue:))
                case 4: reason = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// One entry of a `map<string, string>` field, which protobuf encodes as a repeated message
    /// with the key in field 1 and the value in field 2.
    struct MapEntry: ProtobufMessage {
        var key: String = ""
        var value: String = ""

        init() {}

        func encode(into buffer: inout [UInt8]) {
            buffer.appendStringField(1, key)
            buffer.appendStringField(2, value)
        }

        init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: key = try reader.string(field)
                case 2: value = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }
}
