import Foundation

/// The JSON body of a delivery, written once per event and completed once per hook.
///
/// The body is one JSON object with PascalCase keys, in this order:
/// `EventId`, `Timestamp` (ISO-8601 UTC with 7 fraction digits and `Z`), `Event`, `Entity`,
/// `PrimaryKey`, `Changes`, `ChangedByAssociateId`, `ContextIdentifier`, `FieldValues`, then
/// `WebhookName`, then the hook's properties as top-level keys, then the publisher's data under
/// `Data` when there is any. A property whose name equals an envelope key (compared exactly) is
/// left out, so a hook cannot overwrite what the event says. Properties are written in sorted
/// key order so that the same hook always gets the same bytes.
///
/// The event part does not depend on the hook, so it is serialised once at publish time and
/// stored; each delivery adds the hook's part around it.
public enum EventEnvelope {
    /// Keys the envelope writes itself, which properties cannot replace.
    public static let reservedKeys: Set<String> = [
        "EventId", "Timestamp", "Event", "Entity", "PrimaryKey", "Changes", "ChangedByAssociateId",
        "ContextIdentifier", "FieldValues", "WebhookName", "Data",
    ]

    /// Returns the size in bytes that a publish compares with the payload limit: the event's
    /// members and its serialised data. Event ids and timestamps have a fixed length, so the
    /// size is the same whichever ones the event gets, and a client can check it beforehand.
    public static func payloadSize(of publication: EventPublication) -> Int {
        let members = eventMembers(
            eventId: "00000000-0000-4000-8000-000000000000", timestamp: Date(timeIntervalSince1970: 0),
            publication: publication)
        return members.count + (publication.data.map { $0.serialized().count } ?? 0)
    }

    /// Writes the event's members, from `"EventId"` to `"FieldValues"`, without the braces.
    public static func eventMembers(eventId: String, timestamp: Date, publication: EventPublication) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        appendKey("EventId", into: &out, first: true)
        JSONValue.writeString(eventId, into: &out)
        appendKey("Timestamp", into: &out)
        JSONValue.writeString(timestampText(timestamp), into: &out)
        appendKey("Event", into: &out)
        JSONValue.writeString(publication.event, into: &out)
        appendKey("Entity", into: &out)
        JSONValue.writeString(publication.entity, into: &out)
        appendKey("PrimaryKey", into: &out)
        JSONValue.writeInteger(publication.primaryKey, into: &out)
        appendKey("Changes", into: &out)
        JSONValue.array(publication.changes.map { .string($0) }).write(into: &out)
        appendKey("ChangedByAssociateId", into: &out)
        JSONValue.writeInteger(publication.changedByAssociateId, into: &out)
        appendKey("ContextIdentifier", into: &out)
        JSONValue.writeString(publication.contextIdentifier, into: &out)
        appendKey("FieldValues", into: &out)
        JSONValue.writeObject(publication.fieldValues, into: &out)
        return out
    }

    /// Writes the complete body for one hook.
    ///
    /// - Parameters:
    ///   - eventMembers: The output of `eventMembers(eventId:timestamp:publication:)`.
    ///   - data: The publisher's data, already serialised, or nil.
    public static func body(
        eventMembers: [UInt8], data: [UInt8]?, webhookName: String, properties: [String: JSONValue]
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(eventMembers.count + (data?.count ?? 0) + 64 + webhookName.utf8.count)
        out.append(UInt8(ascii: "{"))
        out.append(contentsOf: eventMembers)
        appendKey("WebhookName", into: &out)
        JSONValue.writeString(webhookName, into: &out)
        for key in properties.keys.sorted() where !reservedKeys.contains(key) {
            appendKey(key, into: &out)
            properties[key].unsafelyUnwrapped.write(into: &out)
        }
        if let data {
            appendKey("Data", into: &out)
            out.append(contentsOf: data)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Formats a time as `2018-04-24T08:52:59.0005158Z`: UTC, 7 fraction digits (100 ns ticks).
    public static func timestampText(_ date: Date) -> String {
        let ticks = Int64((date.timeIntervalSince1970 * 10_000_000).rounded(.down))
        var days = ticks / 864_000_000_000
        var rest = ticks % 864_000_000_000
        if rest < 0 {
            rest += 864_000_000_000
            days -= 1
        }
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        let seconds = rest / 10_000_000
        let fraction = rest % 10_000_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):"
            + "\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(fraction, 7))Z"
    }

    /// Converts days since 1970-01-01 to a proleptic Gregorian (year, month, day).
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func appendKey(_ key: String, into out: inout [UInt8], first: Bool = false) {
        if !first { out.append(UInt8(ascii: ",")) }
        JSONValue.writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
    }
}
