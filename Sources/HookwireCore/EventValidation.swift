/// Checks of an event before it is published.
public enum EventValidation {
    /// The longest event or entity name accepted, in bytes.
    public static let maximumNameLength = 255

    /// Checks a published event's name: 1 to 255 bytes of ASCII letters, digits, `_`, `-` and `.`,
    /// with no empty part between full stops. Wildcards belong in subscriptions, not in events.
    ///
    /// - Throws: `invalidArgument` naming the event.
    public static func validateEventName(_ name: String) throws {
        let isAllowed = { (byte: UInt8) -> Bool in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                true
            default: false
            }
        }
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maximumNameLength, bytes.allSatisfy(isAllowed),
            !name.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        else {
            throw HookwireError.invalidArgument(
                "invalid event name \"\(name)\": expected 1 to \(maximumNameLength) ASCII letters, digits, "
                    + "'_', '-' or '.', with no empty part between full stops (such as contact.created)")
        }
    }

    /// The entity of the events Hookwire publishes itself when a hook's state changes
    /// (`webhook.started`, `webhook.stopped`, `webhook.errors`).
    public static let reservedEntity = "webhook"

    /// Checks that a caller may publish the event: its name does not start with `webhook.`,
    /// so that no caller can forge a hook's state-change event.
    ///
    /// - Throws: `invalidArgument` naming the event.
    public static func validateCallerEvent(_ name: String) throws {
        guard !name.lowercased().hasPrefix(reservedEntity + ".") else {
            throw HookwireError.invalidArgument(
                "invalid event name \"\(name)\": events of the \(reservedEntity) entity are the state changes that "
                    + "Hookwire publishes itself, so no caller may publish them")
        }
    }

    /// Checks a publication's names and that its JSON values can be serialised.
    ///
    /// - Throws: `invalidArgument` naming the value at fault.
    public static func validate(_ publication: EventPublication) throws {
        try validateEventName(publication.event)
        guard !publication.entity.isEmpty, publication.entity.utf8.count <= maximumNameLength else {
            throw HookwireError.invalidArgument(
                "invalid entity \"\(publication.entity)\" of event \(publication.event): expected 1 to "
                    + "\(maximumNameLength) bytes")
        }
        for (key, value) in publication.fieldValues {
            if let fault = nonFiniteNumber(in: value) {
                throw HookwireError.invalidArgument(
                    "invalid JSON in field value \"\(key)\" of event \(publication.event): \(fault) is not a JSON number")
            }
        }
        if let data = publication.data, let fault = nonFiniteNumber(in: data) {
            throw HookwireError.invalidArgument(
                "invalid JSON in the data of event \(publication.event): \(fault) is not a JSON number")
        }
    }

    /// Returns the text of the first NaN or infinity inside `value`, or nil.
    static func nonFiniteNumber(in value: JSONValue) -> String? {
        switch value {
        case .double(let number): return number.isFinite ? nil : "\(number)"
        case .array(let items): return items.lazy.compactMap(nonFiniteNumber(in:)).first
        case .object(let members): return members.values.lazy.compactMap(nonFiniteNumber(in:)).first
        default: return nil
        }
    }
}
