import HookwireCore

extension Wire {
    /// The wire form of `Delivery`.
    public struct Delivery: ProtobufMessage {
        public var id: Int64 = 0
        /// The `webhook-id` header value, the same on every attempt.
        public var messageId: String = ""
        public var webhookId: Int64 = 0
        public var eventId: String = ""
        public var event: String = ""
        public var state: DeliveryState = .pending
        public var attempts: Int32 = 0
        public var createdUnixMilliseconds: Int64 = 0
        public var nextAttemptUnixMilliseconds: Int64?
        public var lastStatus: Int32 = 0
        public var lastError: String?

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, id)
            buffer.appendStringField(2, messageId)
            buffer.appendInt64Field(3, webhookId)
            buffer.appendStringField(4, eventId)
            buffer.appendStringField(5, event)
            buffer.appendInt32Field(6, state.rawValue)
            buffer.appendInt32Field(7, attempts)
            buffer.appendInt64Field(8, createdUnixMilliseconds)
            buffer.appendPresentInt64Field(9, nextAttemptUnixMilliseconds)
            buffer.appendInt32Field(10, lastStatus)
            buffer.appendPresentStringField(11, lastError)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: id = try reader.int64(field)
                case 2: messageId = try reader.string(field)
                case 3: webhookId = try reader.int64(field)
                case 4: eventId = try reader.string(field)
                case 5: event = try reader.string(field)
                case 6: state = try reader.enumeration(field, DeliveryState.init(rawValue:))
                case 7: attempts = try reader.int32(field)
                case 8: createdUnixMilliseconds = try reader.int64(field)
                case 9: nextAttemptUnixMilliseconds = try reader.int64(field)
                case 10: lastStatus = try reader.int32(field)
                case 11: lastError = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `DeliveryAttempt`.
    public struct DeliveryAttempt: ProtobufMessage {
        public var deliveryId: Int64 = 0
        /// 0 for the first attempt.
        public var number: Int32 = 0
        public var startedUnixMilliseconds: Int64 = 0
        public var durationMilliseconds: Int64 = 0
        /// The HTTP status, 0 when no response arrived.
        public var status: Int32 = 0
        /// A `DeliveryErrorKind` raw value such as `timeout`; empty means `none`.
        public var errorKind: String = ""
        public var error: String?
        public var responseHeaders: String = ""
        /// The first 4 KiB of the response body.
        public var responseBody: String = ""

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, deliveryId)
            buffer.appendInt32Field(2, number)
            buffer.appendInt64Field(3, startedUnixMilliseconds)
            buffer.appendInt64Field(4, durationMilliseconds)
            buffer.appendInt32Field(5, status)
            buffer.appendStringField(6, errorKind)
            buffer.appendPresentStringField(7, error)
            buffer.appendStringField(8, responseHeaders)
            buffer.appendStringField(9, responseBody)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: deliveryId = try reader.int64(field)
                case 2: number = try reader.int32(field)
                case 3: startedUnixMilliseconds = try reader.int64(field)
                case 4: durationMilliseconds = try reader.int64(field)
                case 5: status = try reader.int32(field)
                case 6: errorKind = try reader.string(field)
                case 7: error = try reader.string(field)
                case 8: responseHeaders = try reader.string(field)
                case 9: responseBody = try reader.string(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `DeliveryOutcome`: one item of the Watch stream.
    public struct DeliveryOutcome: ProtobufMessage {
        public var delivery = Delivery()
        public var attempt = DeliveryAttempt()

        public init() {}

        public init(delivery: Delivery, attempt: DeliveryAttempt) {
            self.delivery = delivery
            self.attempt = attempt
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendMessageField(1, delivery)
            buffer.appendMessageField(2, attempt)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: delivery = try reader.message(field)
                case 2: attempt = try reader.message(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The wire form of `EngineStats`.
    public struct Stats: ProtobufMessage {
        public var webhooks: Int64 = 0
        public var activeWebhooks: Int64 = 0
        public var eventsPublished: Int64 = 0
        public var deliveriesPending: Int64 = 0
        public var deliveriesInFlight: Int64 = 0
        public var deliveriesSucceeded: Int64 = 0
        public var deliveriesFailed: Int64 = 0
        public var deliveriesHeld: Int64 = 0
        public var attemptsMade: Int64 = 0

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, webhooks)
            buffer.appendInt64Field(2, activeWebhooks)
            buffer.appendInt64Field(3, eventsPublished)
            buffer.appendInt64Field(4, deliveriesPending)
            buffer.appendInt64Field(5, deliveriesInFlight)
            buffer.appendInt64Field(6, deliveriesSucceeded)
            buffer.appendInt64Field(7, deliveriesFailed)
            buffer.appendInt64Field(8, deliveriesHeld)
            buffer.appendInt64Field(9, attemptsMade)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhooks = try reader.int64(field)
                case 2: activeWebhooks = try reader.int64(field)
                case 3: eventsPublished = try reader.int64(field)
                case 4: deliveriesPending = try reader.int64(field)
                case 5: deliveriesInFlight = try reader.int64(field)
                case 6: deliveriesSucceeded = try reader.int64(field)
                case 7: deliveriesFailed = try reader.int64(field)
                case 8: deliveriesHeld = try reader.int64(field)
                case 9: attemptsMade = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }
}
