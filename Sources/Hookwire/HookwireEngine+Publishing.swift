import Foundation
import HookwireCore
import HookwireDelivery

extension HookwireEngine {
    /// Publishes one event: once this returns, the event and one delivery per matching active
    /// hook are committed to the database.
    ///
    /// - Returns: The event id (a lowercase UUID) and the number of hooks it matched.
    /// - Throws: `invalidArgument` for an invalid event name, entity or JSON value, naming it.
    ///   `tooLarge` for an event over `maximumPayloadBytes`. `unavailable` after `shutdown`.
    ///   The storage's error when the commit fails.
    public func publish(_ event: EventPublication, caller: Caller = .administrator) throws -> PublishResult {
        try publish(batch: [event], caller: caller)[0]
    }

    /// Publishes several events in one commit. Either all of them are stored or none is; an
    /// invalid event fails the whole batch, and the error names its index.
    public func publish(batch: [EventPublication], caller: Caller = .administrator) throws -> [PublishResult] {
        guard !batch.isEmpty else { return [] }
        var records: [EventRecord] = []
        records.reserveCapacity(batch.count)
        let now = Date()
        for (index, publication) in batch.enumerated() {
            do {
                try EventValidation.validateCallerEvent(publication.event)
                records.append(try makeRecord(publication, at: now))
            } catch let error as HookwireError where batch.count > 1 {
                throw HookwireError(error.code, "event \(index) of the batch: \(error.message)")
            }
        }
        let counts = try committer.commit(records)
        return zip(records, counts).map { PublishResult(eventId: $0.eventId, matchedWebhooks: $1) }
    }

    /// Validates and serialises an event.
    func makeRecord(_ publication: EventPublication, at now: Date) throws -> EventRecord {
        try EventValidation.validate(publication)
        let eventId = Self.makeEventId()
        let members = EventEnvelope.eventMembers(eventId: eventId, timestamp: now, publication: publication)
        let data = publication.data.map { $0.serialized() }
        let size = members.count + (data?.count ?? 0)
        guard size <= configuration.maximumPayloadBytes else {
            throw HookwireError(
                .tooLarge,
                "event \(publication.event) is \(size) bytes, over the limit of \(configuration.maximumPayloadBytes) "
                    + "bytes (hookwired --max-payload-size, engine setting maximumPayloadBytes, C option max_payload_bytes)")
        }
        return EventRecord(eventId: eventId, event: publication.event, createdAt: now, members: members, data: data)
    }

    /// Returns a random (version 4) UUID in lowercase text. Foundation's `UUID()` opens
    /// /dev/urandom on every call on Linux, which showed in publish profiles.
    /// The text is written byte by byte, because building it from `String(_:radix:)` pieces
    /// cost more than the random numbers.
    static func makeEventId() -> String {
        var generator = SystemRandomNumberGenerator()
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: 36) { text in
            var position = 0
            func append(_ value: UInt64, nibbles: Int) {
                for index in stride(from: nibbles - 1, through: 0, by: -1) {
                    let nibble = Int((value >> UInt64(index * 4)) & 0xF)
                    text[position] = digits.utf8Start[nibble]
                    position += 1
                }
            }
            func dash() {
                text[position] = UInt8(ascii: "-")
                position += 1
            }
            append(high >> 32, nibbles: 8)
            dash()
            append(high >> 16, nibbles: 4)
            dash()
            append(high, nibbles: 4)
            dash()
            append(low >> 48, nibbles: 4)
            dash()
            append(low, nibbles: 12)
            return position
        }
    }

    /// Applies a hook's state change. It moves the hook's pending deliveries to held (or held
    /// ones back to pending), drops its cached keys, and publishes `webhook.started`, `webhook.stopped` or `webhook.errors` to the
    /// hooks that listen to it, with the hook's id, states and the reason in `FieldValues`.
    func handleStateChange(_ change: WebhookStateChange) {
        let id = change.webhookId
        dispatcher.invalidate(webhookId: id)
        switch change.to {
        case .active:
            if (try? store.resumeDeliveries(webhookId: id, now: Date())) ?? 0 > 0 { dispatcher.notifyNewWork() }
        case .stopped, .tooManyErrors:
            _ = try? store.holdDeliveries(webhookId: id)
            // A save that set the hook Active after this change resumed its held deliveries
            // before the hold above, so a hook that is Active now gets them back.
            if (try? registry.get(id: id))?.state == .active,
                (try? store.resumeDeliveries(webhookId: id, now: Date())) ?? 0 > 0
            {
                dispatcher.notifyNewWork()
            }
        default:
            break
        }
        guard change.from != .unknown, change.from != change.to else { return }
        stateWatchers.notify([change])
        let event: String
        switch change.to {
        case .active: event = "webhook.started"
        case .stopped: event = "webhook.stopped"
        case .tooManyErrors: event = "webhook.errors"
        default: return
        }
        let publication = EventPublication(
            event: event, entity: "webhook", primaryKey: id, changes: ["state"],
            fieldValues: [
                "webhook_id": .integer(id), "state": .integer(Int64(change.to.rawValue)),
                "state_name": .string(change.to.name), "previous_state": .integer(Int64(change.from.rawValue)),
                "reason": .string(change.reason),
            ])
        if let record = try? makeRecord(publication, at: Date()) {
            committer.enqueue([record])
        }
    }
}
