import Foundation

/// Checks of a webhook before it is stored. Each failure is an `invalidArgument` error whose
/// message names the field and quotes the value, such as
/// `invalid targetURL "ftp://x": must be an absolute http or https URL`.
public enum WebhookValidation {
    /// The maximum length of a name, event name, type, header name or application token, in bytes.
    public static let maximumNameLength = 255
    /// The maximum length of a target URL, header value or description, in bytes.
    public static let maximumTextLength = 8192

    /// Checks every field of `webhook` that the registry stores as given.
    ///
    /// - Parameter isKnownType: returns whether a delivery plugin exists for a type name.
    /// - Throws: `invalidArgument` naming the first field at fault.
    public static func validate(_ webhook: Webhook, isKnownType: (String) -> Bool) throws {
        try validateName(webhook.name)
        try validateEvents(webhook.events)
        try validateType(webhook.type, isKnownType: isKnownType)
        try validateTargetURL(webhook.targetURL, type: webhook.type)
        try validateHeaders(webhook.headers)
        if let secret = webhook.secret, !secret.isEmpty {
            try validateText(secret, field: "secret", maximum: maximumNameLength, quoteValue: false)
        }
        if let token = webhook.applicationToken {
            try validateText(token, field: "applicationToken", maximum: maximumNameLength, quoteValue: false)
        }
        try validateText(webhook.description, field: "description", maximum: maximumTextLength, allowLineBreaks: true)
        if webhook.state == .unknown {
            // The registry replaces Unknown before validating, so this only guards direct use.
            throw HookwireError.invalidArgument("invalid state Unknown: a webhook must be Active, Stopped or TooManyErrors")
        }
    }

    /// Checks that a name is not blank and has no control characters.
    public static func validateName(_ name: String) throws {
        guard !name.allSatisfy(\.isWhitespace) else {
            throw HookwireError.invalidArgument("invalid name \(quotedForMessage(name)): must not be empty")
        }
        try validateText(name, field: "name", maximum: maximumNameLength)
    }

    /// Checks that the list is not empty and that each entry is something a published event can
    /// match: an event name under the rule that publishing enforces
    /// (`EventValidation.validateEventName`), `*` for every event, or `entity.*` for every event
    /// of one entity, where the entity is the part of an event name before its first full stop.
    public static func validateEvents(_ events: [String]) throws {
        guard !events.isEmpty else {
            throw HookwireError.invalidArgument("invalid events []: a webhook must listen to at least one event")
        }
        for event in events {
            guard !event.isEmpty else {
                throw HookwireError.invalidArgument("invalid event \"\": an event name must not be empty")
            }
            guard event.utf8.count <= maximumNameLength else {
                throw HookwireError.invalidArgument(
                    "invalid event \(quotedForMessage(event)): longer than \(maximumNameLength) bytes")
            }
            if event.unicodeScalars.contains(where: { $0.properties.isWhitespace || isControl($0) }) {
                throw HookwireError.invalidArgument(
                    "invalid event \(quotedForMessage(event)): an event name must not contain spaces or control characters")
            }
            guard isSubscribable(event) else {
                throw HookwireError.invalidArgument(
                    "invalid event \(quotedForMessage(event)): expected an event name of ASCII letters, digits, '_', '-' "
                        + "or '.' (such as contact.created), * for every event, or entity.* (such as contact.*) "
                        + "for every event of one entity")
            }
        }
    }

    /// Returns whether a published event can ever match this subscription entry.
    static func isSubscribable(_ event: String) -> Bool {
        if event == "*" { return true }
        if event.hasSuffix(".*") {
            let entity = event.dropLast(2)
            return !entity.contains(".") && (try? EventValidation.validateEventName(String(entity))) != nil
        }
        return (try? EventValidation.validateEventName(event)) != nil
    }

    /// Checks that a type name is not empty and that a plugin exists for it.
    public static func validateType(_ type: String, isKnownType: (String) -> Bool) throws {
        guard !type.isEmpty else {
            throw HookwireError.invalidArgument("invalid type \"\": must name a delivery plugin, such as \"webhook\"")
        }
        try validateText(type, field: "type", maximum: maximumNameLength)
        guard isKnownType(type) else {
            throw HookwireError.invalidArgument(
                "invalid type \(quotedForMessage(type)): no delivery plugin is registered under that name")
        }
    }

    /// Checks the target: an absolute http or https URL with a host for the `webhook` type,
    /// and non-empty text without control characters for a plugin type.
    public static func validateTargetURL(_ targetURL: String, type: String) throws {
        try validateText(targetURL, field: "targetURL", maximum: maximumTextLength)
        guard type.lowercased() == Webhook.httpType else {
            guard !targetURL.isEmpty else {
                throw HookwireError.invalidArgument("invalid targetURL \"\": must not be empty")
            }
            return
        }
        let isValid: Bool = {
            guard !targetURL.contains(where: \.isWhitespace),
                let components = URLComponents(string: targetURL),
                let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
                let host = components.host, !host.isEmpty,
                targetURL.lowercased().hasPrefix(scheme + "://")
            else { return false }
            return true
        }()
        guard isValid else {
            throw HookwireError.invalidArgument(
                "invalid targetURL \(quotedForMessage(targetURL)): must be an absolute http or https URL")
        }
        if let port = URLComponents(string: targetURL)?.port, !(1...65535).contains(port) {
            throw HookwireError.invalidArgument(
                "invalid targetURL \(quotedForMessage(targetURL)): port \(port) is outside 1 to 65535")
        }
    }

    /// Checks HTTP header names (RFC 9110 tokens) and values (visible characters, spaces and
    /// tabs, with no CR, LF or NUL that could split a header).
    public static func validateHeaders(_ headers: [String: String]) throws {
        for name in headers.keys.sorted() {
            let value = headers[name] ?? ""
            guard !name.isEmpty, name.utf8.count <= maximumNameLength, name.utf8.allSatisfy(isTokenByte) else {
                throw HookwireError.invalidArgument(
                    "invalid header name \(quotedForMessage(name)) in headers: must be 1 to \(maximumNameLength) "
                        + "letters, digits or !#$%&'*+-.^_`|~")
            }
            guard !Webhook.isReservedHeader(name) else {
                throw HookwireError.invalidArgument(
                    "invalid header name \(quotedForMessage(name)) in headers: Hookwire sets \(name) on every request "
                        + "itself, so a hook cannot replace it")
            }
            let valueIsValid = value.utf8.allSatisfy { byte in
                byte == 0x09 || (byte >= 0x20 && byte != 0x7F)
            }
            guard valueIsValid, value.utf8.count <= maximumTextLength else {
                throw HookwireError.invalidArgument(
                    "invalid value \(quotedForMessage(value)) of header \(name) in headers: must be at most "
                        + "\(maximumTextLength) bytes with no control characters such as CR or LF")
            }
        }
    }

    private static func validateText(
        _ text: String, field: String, maximum: Int, allowLineBreaks: Bool = false, quoteValue: Bool = true
    ) throws {
        let shown = quoteValue ? " \(quotedForMessage(text))" : ""
        guard text.utf8.count <= maximum else {
            throw HookwireError.invalidArgument("invalid \(field)\(shown): longer than \(maximum) bytes")
        }
        let hasControl = text.unicodeScalars.contains { scalar in
            isControl(scalar) && !(allowLineBreaks && (scalar == "\n" || scalar == "\r" || scalar == "\t"))
        }
        guard !hasControl else {
            throw HookwireError.invalidArgument("invalid \(field)\(shown): must not contain control characters")
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}

/// Event-name patterns a hook can listen to.
public enum WebhookEventPattern {
    /// Returns the names under which hooks listening to `event` are stored: the event itself,
    /// `entity.*` for the part before its first full stop, and `*`. For `contact.created` they
    /// are `contact.created`, `contact.*` and `*`. An event without a full stop gives itself and `*`.
    public static func patterns(matching event: String) -> [String] {
        guard let dot = event.firstIndex(of: "."), dot != event.startIndex else {
            return event == "*" ? ["*"] : [event, "*"]
        }
        let entityPattern = String(event[..<dot]) + ".*"
        return event == entityPattern ? [event, "*"] : [event, entityPattern, "*"]
    }
}
