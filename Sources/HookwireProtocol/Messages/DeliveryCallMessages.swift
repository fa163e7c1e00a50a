import HookwireCore

extension Wire {
    /// The request of Publish (method 16); the response is a `PublishResult`.
    public struct PublishRequest: ProtobufMessage {
        public var event = Event()

        public init() {}
        public init(event: Event) { self.event = event }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendMessageField(1, event)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: event = try reader.message(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of PublishBatch (method 17).
    public struct PublishBatchRequest: ProtobufMessage {
        public var events: [Event] = []

        public init() {}
        public init(events: [Event]) { self.events = events }

        public func encode(into buffer: inout [UInt8]) {
            for event in events { buffer.appendMessageField(1, event) }
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: events.append(try reader.message(field))
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of PublishBatch: one result per event, in request order.
    public struct PublishBatchResponse: ProtobufMessage {
        public var results: [PublishResult] = []

        public init() {}
        public init(results: [PublishResult]) { self.results = results }

        public func encode(into buffer: inout [UInt8]) {
            for result in results { buffer.appendMessageField(1, result) }
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: results.append(try reader.message(field))
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of ListDeliveries (method 32).
    public struct ListDeliveriesRequest: ProtobufMessage {
        public var webhookId: Int64?
        public var state: DeliveryState?
        /// 0 means the server's default of 1000.
        public var limit: UInt32 = 0
        public var afterId: Int64 = 0

        public init() {}

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendPresentInt64Field(1, webhookId)
            buffer.appendPresentInt64Field(2, state.map { Int64($0.rawValue) })
            buffer.appendUInt32Field(3, limit)
            buffer.appendInt64Field(4, afterId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhookId = try reader.int64(field)
                case 2: state = try reader.enumeration(field, DeliveryState.init(rawValue:))
                case 3: limit = try reader.uint32(field)
                case 4: afterId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of ListDeliveries.
    public struct ListDeliveriesResponse: ProtobufMessage {
        public var deliveries: [Delivery] = []
        /// The `afterId` of the next page, 0 when this page is the last.
        public var nextAfterId: Int64 = 0

        public init() {}
        public init(deliveries: [Delivery], nextAfterId: Int64) {
            self.deliveries = deliveries
            self.nextAfterId = nextAfterId
        }

        public func encode(into buffer: inout [UInt8]) {
            for delivery in deliveries { buffer.appendMessageField(1, delivery) }
            buffer.appendInt64Field(2, nextAfterId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: deliveries.append(try reader.message(field))
                case 2: nextAfterId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of ListAttempts (method 33).
    public struct ListAttemptsRequest: ProtobufMessage {
        public var deliveryId: Int64 = 0

        public init() {}
        public init(deliveryId: Int64) { self.deliveryId = deliveryId }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, deliveryId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: deliveryId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of ListAttempts.
    public struct ListAttemptsResponse: ProtobufMessage {
        public var attempts: [DeliveryAttempt] = []

        public init() {}
        public init(attempts: [DeliveryAttempt]) { self.attempts = attempts }

        public func encode(into buffer: inout [UInt8]) {
            for attempt in attempts { buffer.appendMessageField(1, attempt) }
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: attempts.append(try reader.message(field))
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of Redeliver (method 34): one delivery when `deliveryId` is not 0, otherwise
    /// every failed delivery of `webhookId` created at or after `sinceUnixMilliseconds`.
    public struct RedeliverRequest: ProtobufMessage {
        public var deliveryId: Int64 = 0
        public var webhookId: Int64 = 0
        public var sinceUnixMilliseconds: Int64 = 0

        public init() {}
        public init(deliveryId: Int64 = 0, webhookId: Int64 = 0, sinceUnixMilliseconds: Int64 = 0) {
            self.deliveryId = deliveryId
            self.webhookId = webhookId
            self.sinceUnixMilliseconds = sinceUnixMilliseconds
        }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendInt64Field(1, deliveryId)
            buffer.appendInt64Field(2, webhookId)
            buffer.appendInt64Field(3, sinceUnixMilliseconds)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: deliveryId = try reader.int64(field)
                case 2: webhookId = try reader.int64(field)
                case 3: sinceUnixMilliseconds = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The response of Redeliver.
    public struct RedeliverResponse: ProtobufMessage {
        /// Deliveries queued again.
        public var redelivered: UInt32 = 0

        public init() {}
        public init(redelivered: UInt32) { self.redelivered = redelivered }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendUInt32Field(1, redelivered)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: redelivered = try reader.uint32(field)
                default: try reader.skip(field)
                }
            }
        }
    }

    /// The request of Stats (method 64); the response is `Stats`.
    public struct StatsRequest: ProtobufMessage {
        public init() {}

        public func encode(into buffer: inout [UInt8]) {}

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() { try reader.skip(field) }
        }
    }

    /// The request of Watch (method 80), which streams `DeliveryOutcome` items until cancelled.
    public struct WatchRequest: ProtobufMessage {
        /// Only outcomes of this webhook; nil means every webhook.
        public var webhookId: Int64?

        public init() {}
        public init(webhookId: Int64?) { self.webhookId = webhookId }

        public func encode(into buffer: inout [UInt8]) {
            buffer.appendPresentInt64Field(1, webhookId)
        }

        public init(decoding bytes: ArraySlice<UInt8>) throws(ProtobufError) {
            var reader = ProtobufReader(bytes)
            while let field = try reader.nextField() {
                switch field.number {
                case 1: webhookId = try reader.int64(field)
                default: try reader.skip(field)
                }
            }
        }
    }
}
