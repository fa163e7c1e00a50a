// libFuzzer target for the protobuf message decoders. It is compiled into one module with the
// HookwireProtocol sources (see mk/fuzz.mk).
//
// The first input byte picks a message type; the rest is decoded as that message. A message
// that decodes must encode to bytes that decode to an equal message, and converting it to the
// HookwireCore model may throw but must not trap.

import HookwireCore

/// One decoder per message of the schema. Model messages also go through their conversion to
/// the HookwireCore type, which parses JSON text and may throw.
private let decoders: [(ArraySlice<UInt8>) -> Void] = [
    { check(Wire.Hello.self, $0) },
    { check(Wire.Welcome.self, $0) },
    { check(Wire.Status.self, $0) },
    { check(Wire.GoAway.self, $0) },
    { check(Wire.CallMetadata.self, $0) },
    { bytes in
        if let message = check(Wire.SaveWebhookRequest.self, bytes) { _ = try? Webhook(wire: message.webhook) }
    },
    { bytes in
        if let message = check(Wire.ListWebhooksResponse.self, bytes) {
            for webhook in message.webhooks { _ = try? Webhook(wire: webhook) }
        }
    },
    { bytes in
        if let message = check(Wire.ListWebhooksRequest.self, bytes) { _ = WebhookFilter(wire: message) }
    },
    { bytes in
        if let message = check(Wire.PublishBatchRequest.self, bytes) {
            for event in message.events { _ = try? EventPublication(wire: event) }
        }
    },
    { bytes in
        if let message = check(Wire.ListDeliveriesRequest.self, bytes) { _ = DeliveryFilter(wire: message) }
    },
    { bytes in
        if let message = check(Wire.DeliveryOutcome.self, bytes) { _ = try? DeliveryOutcome(wire: message) }
    },
    { check(Wire.RecordResultResponse.self, $0) },
    { check(Wire.WebhookUsage.self, $0) },
    { check(Wire.RedeliverRequest.self, $0) },
    { check(Wire.Empty.self, $0) },
    { check(Wire.GetWebhookRequest.self, $0) },
    { check(Wire.LastErrorResponse.self, $0) },
    { check(Wire.RecordResultRequest.self, $0) },
    { check(Wire.PublishRequest.self, $0) },
    { check(Wire.PublishBatchResponse.self, $0) },
    { check(Wire.ListDeliveriesResponse.self, $0) },
    { bytes in
        if let message = check(Wire.ListAttemptsResponse.self, bytes) {
            for attempt in message.attempts { _ = try? DeliveryAttempt(wire: attempt) }
        }
    },
    { check(Wire.ListAttemptsRequest.self, $0) },
    { check(Wire.RedeliverResponse.self, $0) },
    { check(Wire.RotateSecretRequest.self, $0) },
    { check(Wire.RotateSecretResponse.self, $0) },
    { check(Wire.Stats.self, $0) },
    { check(Wire.StatsRequest.self, $0) },
    { check(Wire.WatchRequest.self, $0) },
]

@_cdecl("LLVMFuzzerTestOneInput")
public func messageDecoderFuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))[...]
    decoders[Int(data[0]) % decoders.count](payload)
    return 0
}

@discardableResult
private func check<Message: ProtobufMessage>(_ type: Message.Type, _ bytes: ArraySlice<UInt8>) -> Message? {
    let message: Message
    do {
        message = try Message(decoding: bytes)
    } catch {
        _ = error.description
        return nil
    }
    guard let again = try? Message(decoding: message.encoded()), again == message else {
        fatalError("\(Message.self) does not survive re-encoding")
    }
    return message
}
