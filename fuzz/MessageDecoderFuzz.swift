// libFuzzer target for the protobuf message decoders. It is compiled into one module with the
// HookwireProtocol sources (see mk/fuzz.mk).
//
// The first input byte picks a message type; the rest is decoded as that message. A message
// that decodes must encode to bytes that decode to an equal message, and converting it to the
// HookwireCore model may throw but must not trap.

import HookwireCore

@_cdecl("LLVMFuzzerTestOneInput")
public func messageDecoderFuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let payload = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))[...]
    switch selector % 14 {
    case 0: check(Wire.Hello.self, payload)
    case 1: check(Wire.Welcome.self, payload)
    case 2: check(Wire.Status.self, payload)
    case 3: check(Wire.GoAway.self, payload)
    case 4: check(Wire.CallMetadata.self, payload)
    case 5:
        if let message = check(Wire.SaveWebhookRequest.self, payload) { _ = try? Webhook(wire: message.webhook) }
    case 6:
        if let message = check(Wire.ListWebhooksResponse.self, payload) {
            for webhook in message.webhooks { _ = try? Webhook(wire: webhook) }
        }
    case 7: check(Wire.ListWebhooksRequest.self, payload)
    case 8:
        if let message = check(Wire.PublishBatchRequest.self, payload) {
            for event in message.events { _ = try? EventPublication(wire: event) }
        }
    case 9: check(Wire.ListDeliveriesRequest.self, payload)
    case 10:
        if let message = check(Wire.DeliveryOutcome.self, payload) { _ = try? DeliveryOutcome(wire: message) }
    case 11: check(Wire.RecordResultResponse.self, payload)
    case 12: check(Wire.WebhookUsage.self, payload)
    default: check(Wire.RedeliverRequest.self, payload)
    }
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
