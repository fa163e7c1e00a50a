import Foundation
import Testing

@testable import HookwireCore

@Suite struct WebhookValidationTests {
    let valid = Webhook(name: "CRM sync", events: ["contact.created"], targetURL: "https://example.com/hook", secret: "whsec_x")

    func message(_ change: (inout Webhook) -> Void, isKnownType: (String) -> Bool = { $0 == "webhook" }) -> String? {
        var webhook = valid
        change(&webhook)
        do {
            try WebhookValidation.validate(webhook, isKnownType: isKnownType)
            return nil
        } catch let error as HookwireError {
            #expect(error.code == .invalidArgument)
            return error.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func acceptsValidHook() {
        #expect(message { _ in } == nil)
        #expect(message { $0.targetURL = "http://127.0.0.1:8080/x?y=1" } == nil)
        #expect(message { $0.events = ["*", "contact.*", "person.changed"] } == nil)
        #expect(message { $0.headers = ["X-Api-Key": "abc def\tghi", "x-b": ""] } == nil)
        #expect(message { $0.name = "Überwachung 日本 😀" } == nil)
        #expect(message { $0.description = "line one\nline two" } == nil)
    }

    @Test func rejectsEmptyName() {
        #expect(message { $0.name = "" } == #"invalid name "": must not be empty"#)
        #expect(message { $0.name = "   " } == #"invalid name "   ": must not be empty"#)
        #expect(message { $0.name = "a\u{1}b" } == #"invalid name "a\u0001b": must not contain control characters"#)
    }

    @Test func rejectsBadEvents() {
        #expect(message { $0.events = [] } == "invalid events []: a webhook must listen to at least one event")
        #expect(message { $0.events = ["contact.created", ""] } == #"invalid event "": an event name must not be empty"#)
        #expect(message { $0.events = ["contact created"] }
            == #"invalid event "contact created": an event name must not contain spaces or control characters"#)
        #expect(message { $0.events = ["contact.\ncreated"] }
            == #"invalid event "contact.\ncreated": an event name must not contain spaces or control characters"#)
        #expect(message { $0.events = [String(repeating: "e", count: 256)] }?.contains("longer than 255 bytes") == true)
    }

    @Test(arguments: ["contact/created", "*.created", "con*tact", "list.category.*", "contact..created", "ÅÆ.x", ".*"])
    func rejectsUnmatchableEvent(_ event: String) {
        #expect(message { $0.events = ["contact.created", event] }
            == "invalid event \(quotedForMessage(event)): expected an event name of ASCII letters, digits, '_', '-' "
                + "or '.' (such as contact.created), * for every event, or entity.* (such as contact.*) "
                + "for every event of one entity")
    }

    @Test func acceptsNamesAndPatterns() {
        #expect(message { $0.events = ["*", "contact.*", "list.category.changed", "webhook.started", "test"] } == nil)
    }

    @Test func rejectsPortOutOfRange() {
        #expect(message { $0.targetURL = "http://127.0.0.1:99999/x" }
            == #"invalid targetURL "http://127.0.0.1:99999/x": port 99999 is outside 1 to 65535"#)
        #expect(message { $0.targetURL = "http://127.0.0.1:0/x" }
            == #"invalid targetURL "http://127.0.0.1:0/x": port 0 is outside 1 to 65535"#)
    }

    @Test(arguments: ["ftp://x", "example.com/hook", "/relative", "https://", "http:///path", "https://exa mple.com", "mailto:a@b.c", ""])
    func rejectsTargetURL(_ url: String) {
        #expect(message { $0.targetURL = url } == "invalid targetURL \(quotedForMessage(url)): must be an absolute http or https URL")
    }

    @Test func pluginTypeAcceptsOtherTargets() {
        let known: (String) -> Bool = { ["webhook", "crmscript"].contains($0.lowercased()) }
        #expect(message({ $0.type = "crmscript"; $0.targetURL = "script:notify" }, isKnownType: known) == nil)
        #expect(message({ $0.type = "crmscript"; $0.targetURL = "" }, isKnownType: known) == #"invalid targetURL "": must not be empty"#)
    }

    @Test func rejectsUnknownType() {
        #expect(message { $0.type = "carrier-pigeon" }
            == #"invalid type "carrier-pigeon": no delivery plugin is registered under that name"#)
        #expect(message { $0.type = "" } == #"invalid type "": must name a delivery plugin, such as "webhook""#)
    }

    @Test func rejectsBadHeaders() {
        #expect(message { $0.headers = ["X Bad": "1"] }?.hasPrefix(#"invalid header name "X Bad" in headers"#) == true)
        #expect(message { $0.headers = ["": "1"] }?.hasPrefix(#"invalid header name "" in headers"#) == true)
        #expect(message { $0.headers = ["X-Ä": "1"] }?.hasPrefix(#"invalid header name "X-Ä" in headers"#) == true)
        #expect(message { $0.headers = ["X-A": "1\r\nInjected: yes"] }?
            .hasPrefix(#"invalid value "1\r\nInjected: yes" of header X-A in headers"#) == true)
        #expect(message { $0.headers = ["X-A": "a\u{0}"] }?.hasPrefix(#"invalid value "a\u0000" of header X-A"#) == true)
    }

    @Test func rejectsHeadersHookwireSets() {
        for name in [
            "Host", "webhook-signature", "Content-Type", "X-Hookwire-Event", "content-length", "webhook-foo",
            "X-Hookwire-Timestamp", "Connection", "Upgrade",
        ] {
            #expect(
                message { $0.headers = [name: "forged"] }
                    == "invalid header name \"\(name)\" in headers: Hookwire sets \(name) on every request itself, "
                    + "so a hook cannot replace it")
        }
        #expect(message { $0.headers = ["X-Tenant": "north", "Authorization": "Bearer t"] } == nil)
    }

    @Test func secretNeverQuoted() {
        let text = message { $0.secret = "whsec_\nsecret-value" }
        #expect(text == "invalid secret: must not contain control characters")
        let token = message { $0.applicationToken = "tok\u{1}en" }
        #expect(token == "invalid applicationToken: must not contain control characters")
    }

    @Test func eventPatternsForEvent() {
        #expect(WebhookEventPattern.patterns(matching: "contact.created") == ["contact.created", "contact.*", "*"])
        #expect(WebhookEventPattern.patterns(matching: "sale.line.changed") == ["sale.line.changed", "sale.*", "*"])
        #expect(WebhookEventPattern.patterns(matching: "ping") == ["ping", "*"])
        #expect(WebhookEventPattern.patterns(matching: "contact.*") == ["contact.*", "*"])
        #expect(WebhookEventPattern.patterns(matching: "*") == ["*"])
    }

    @Test func generatedSecretShape() throws {
        let first = WebhookSecret.generate()
        let second = WebhookSecret.generate()
        #expect(first.hasPrefix("whsec_"))
        #expect(first != second)
        let decoded = try #require(Data(base64Encoded: String(first.dropFirst(6))))
        #expect(decoded.count == 32)
    }

    @Test func constantTimeComparison() {
        #expect(constantTimeEquals("token-a", "token-a"))
        #expect(!constantTimeEquals("token-a", "token-b"))
        #expect(!constantTimeEquals("token", "token-a"))
        #expect(!constantTimeEquals("", "a"))
        #expect(constantTimeEquals("", ""))
    }

    @Test func ownershipRule() throws {
        var owned = valid
        owned.id = 5
        owned.applicationToken = "app-one"
        try WebhookRegistry.checkOwnership(of: owned, by: Caller(applicationToken: "app-one"), action: "change")
        try WebhookRegistry.checkOwnership(of: owned, by: .administrator, action: "change")
        let error = #expect(throws: HookwireError.self) {
            try WebhookRegistry.checkOwnership(of: owned, by: Caller(applicationToken: "app-two"), action: "delete")
        }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.hasPrefix("cannot delete webhook 5: it belongs to another application") == true)
        #expect(error?.message.contains("app-one") == false)
        #expect(throws: HookwireError.self) {
            try WebhookRegistry.checkOwnership(of: owned, by: Caller(), action: "change")
        }
        // A hook without a token may be changed by anyone.
        try WebhookRegistry.checkOwnership(of: valid, by: Caller(applicationToken: "app-two"), action: "change")
    }
}
