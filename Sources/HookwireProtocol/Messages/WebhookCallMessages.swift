import HookwireCore

/// A request whose only field is an `int64` id in field 1. The conforming types share this
/// encoding and stay distinct so that each method has its own request type.
public protocol IdentifierRequest: ProtobufMessage {
    var id: Int64 { get set }
}

extension IdentifierRequest {
    /// Creates the request for one id.
    public init(id: Int64) {
        self.init()
        self.id = id
    }

    public func encode(into buffer: inout [UInt8]) {
        buffer.appendInt64Field(1, id)
    }

    public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
        self.init()
        var reader = ProtobufReader(bytes)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: id = try reader.int64(field)
            default: try reader.skip(field)
            }
        }
    }
}

extension Wire {
    /// The request of SaveWebhook (method 1); the response is the stored `Webhook`.
    public struct SaveWebhookRequest: ProtobufMessage {
        public var webhook = Webhook()

        public init() {}
        public init(webhook: Webhook) { self.webhook = webhook }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendMessageField(1, webhook)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhook = try reader.message(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of GetWebhook (method 2); the response is a `Webhook`.
    public struct GetWebhookRequest: IdentifierRequest {
        public var id: Int64 = 0
        public init() {}
    }

    /// The request of DeleteWebhook (method 4); the response is `Empty`.
    public struct DeleteWebhookRequest: IdentifierRequest {
        public var id: Int64 = 0
        public init() {}
    }

    /// The request of LastError (method 5).
    public struct LastErrorRequest: IdentifierRequest {
        public var id: Int64 = 0
        public init() {}
    }

    /// The request of TestWebhook (method 7); the response is a `WebhookResult`.
    public struct TestWebhookRequest: IdentifierRequest {
        public var id: Int64 = 0
        public init() {}
    }

    /// The request of GetUsage (method 8); the response is a `WebhookUsage`.
    public struct GetUsageRequest: IdentifierRequest {
        public var id: Int64 = 0
        public init() {}
    }

    /// The request of ListWebhooks (method 3). The filters combine with AND.
    public struct ListWebhooksRequest: ProtobufMessage {
        public var name: String?
        public var event: String?
        public var applicationToken: String?
        /// `.unknown` means any state.
        public var state: WebhookState = .unknown
        /// 0 means the server's default of 1000.
        public var limit: UInt32 = 0
        /// Only hooks with a greater id; pass `nextAfterId` of the previous page.
        public var afterId: Int64 = 0

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendPresentStringField(1, name)
            buffer.appendPresentStringField(2, event)
            buffer.appendPresentStringField(3, applicationToken)
            buffer.appendInt32Field(4, state.rawValue)
            buffer.appendUInt32Field(5, limit)
            buffer.appendInt64Field(6, afterId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: name = try reader.string(field)
                case 2: event = try reader.string(field)
                case 3: applicationToken = try reader.string(field)
                case 4: state = try reader.enumeration(field, WebhookState.init(rawValue:))
                case 5: limit = try reader.uint32(field)
                case 6: afterId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of ListWebhooks.
    public struct ListWebhooksResponse: ProtobufMessage {
        public var webhooks: [Webhook] = []
        /// The `afterId` of the next page, 0 when this page is the last.
        public var nextAfterId: Int64 = 0

        public init() {}
        public init(webhooks: [Webhook], nextAfterId: Int64) {
            self.webhooks = webhooks
            self.nextAfterId = nextAfterId
        }

        public func encode(into buffer: inout [UInt8]) {
            for webhook in webhooks { buffer.appendMessageField(1, webhook) }
            buffer.appendInt64Field(2, nextAfterId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhooks.append(try reader.message(field))
                case 2: nextAfterId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of LastError.
    public struct LastErrorResponse: ProtobufMessage {
        /// Nil when no call of the hook has failed.
        public var lastError: String?

        public init() {}
        public init(lastError: String?) { self.lastError = lastError }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendPresentStringField(1, lastError)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: lastError = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of RecordResult (method 6).
    public struct RecordResultRequest: ProtobufMessage {
        public var id: Int64 = 0
        public var result = WebhookResult()

        public init() {}
        public init(id: Int64, result: WebhookResult) {
            self.id = id
            self.result = result
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, id)
            buffer.appendMessageField(2, result)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: id = try reader.int64(field)
                case 2: result = try reader.message(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of RecordResult.
    public struct RecordResultResponse: ProtobufMessage {
        /// Set when the result changed the hook's state.
        public var stateChange: WebhookStateChange?

        public init() {}
        public init(stateChange: WebhookStateChange?) { self.stateChange = stateChange }

        public func encode(into buffer: inout [UInt8]) {
            if let stateChange { buffer.appendMessageField(1, stateChange) }
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: stateChange = try reader.message(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of RotateSecret (method 48).
    public struct RotateSecretRequest: ProtobufMessage {
        public var webhookId: Int64 = 0
        /// How long the old secret stays valid, with both signatures sent meanwhile, in seconds;
        /// 0 means 86,400.
        public var overlapSeconds: UInt32 = 0

        public init() {}
        public init(webhookId: Int64, overlapSeconds: UInt32 = 0) {
            self.webhookId = webhookId
            self.overlapSeconds = overlapSeconds
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, webhookId)
            buffer.appendUInt32Field(2, overlapSeconds)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhookId = try reader.int64(field)
                case 2: overlapSeconds = try reader.uint32(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of RotateSecret.
    public struct RotateSecretResponse: ProtobufMessage {
        public var secret: String = ""
        /// When the previous secret stops being used, in milliseconds since 1970 UTC.
        public var previousExpiresUnixMilliseconds: Int64 = 0

        public init() {}
        public init(secret: String, previousExpiresUnixMilliseconds: Int64) {
            self.secret = secret
            self.previousExpiresUnixMilliseconds = previousExpiresUnixMilliseconds
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendStringField(1, secret)
            buffer.appendInt64Field(2, previousExpiresUnixMilliseconds)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: secret = try reader.string(field)
                case 2: previousExpiresUnixMilliseconds = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }
}
