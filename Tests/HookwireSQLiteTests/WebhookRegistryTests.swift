import Foundation
import HookwireCore
import Testing

@testable import HookwireSQLite

@Suite struct WebhookRegistryTests {
    @Test func createAssignsIdAndSecret() throws {
        let fixture = try RegistryFixture()
        let saved = try fixture.registry.save(sampleHook(), caller: Caller(associateId: 7, isAdministrator: true))
        #expect(saved.id > 0)
        #expect(saved.secret?.hasPrefix("whsec_") == true)
        #expect(Data(base64Encoded: String(saved.secret?.dropFirst(6) ?? ""))?.count == 32)
        #expect(saved.state == .active)
        #expect(saved.registered == UnixMilliseconds.rounded(fixture.clock.now))
        #expect(saved.updated == saved.registered)
        #expect(saved.registeredAssociateId == 7)
        #expect(saved.updatedAssociateId == 7)
        #expect(try fixture.registry.get(id: saved.id) == saved)
        #expect(try fixture.count("webhook_usage") == 1)
        #expect(fixture.log.changes.isEmpty)
    }

    @Test func createKeepsGivenSecret() throws {
        let fixture = try RegistryFixture()
        var hook = sampleHook()
        hook.secret = "whsec_given"
        #expect(try fixture.registry.save(hook).secret == "whsec_given")
        hook.secret = ""
        #expect(try fixture.registry.save(hook).secret?.hasPrefix("whsec_") == true)
    }

    @Test func updateKeepsRegisteredSetsUpdated() throws {
        let fixture = try RegistryFixture()
        let created = try fixture.registry.save(sampleHook(), caller: Caller(associateId: 3, isAdministrator: true))
        fixture.clock.advance(seconds: 90.5)

        var change = created
        change.name = "renamed"
        change.events = ["person.*", "contact.deleted"]
        change.secret = nil
        change.registered = Date(timeIntervalSince1970: 5)
        change.registeredAssociateId = 99
        let updated = try fixture.registry.save(change, caller: Caller(associateId: 4, isAdministrator: true))

        #expect(updated.id == created.id)
        #expect(updated.name == "renamed")
        #expect(updated.events == ["person.*", "contact.deleted"])
        #expect(updated.secret == created.secret)
        #expect(updated.registered == created.registered)
        #expect(updated.registeredAssociateId == 3)
        #expect(updated.updated == UnixMilliseconds.rounded(fixture.clock.now))
        #expect(updated.updated > created.updated)
        #expect(updated.updatedAssociateId == 4)
        #expect(try fixture.registry.get(id: created.id) == updated)
        #expect(try fixture.count("webhook_events") == 2)
    }

    @Test func unknownStateKeepsOrDefaults() throws {
        let fixture = try RegistryFixture()
        var hook = sampleHook()
        hook.state = .unknown
        var saved = try fixture.registry.save(hook)
        #expect(saved.state == .active)
        saved.state = .stopped
        saved = try fixture.registry.save(saved)
        saved.state = .unknown
        #expect(try fixture.registry.save(saved).state == .stopped)
    }

    @Test func duplicateEventsStoredOnce() throws {
        let fixture = try RegistryFixture()
        let saved = try fixture.registry.save(sampleHook(events: ["a.b", "*", "a.b"]))
        #expect(saved.events == ["a.b", "*"])
    }

    @Test func updateUnknownIdRejected() throws {
        let fixture = try RegistryFixture()
        var hook = sampleHook()
        hook.id = 999
        let error = hookwireError { _ = try fixture.registry.save(hook) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "webhook 999 not found: save it with id 0 to create it")
        hook.id = -1
        #expect(hookwireError { _ = try fixture.registry.save(hook) }?.code == .notFound)
        #expect(try fixture.count("webhooks") == 0)
    }

    @Test(arguments: [
        ("name", #"invalid name "": must not be empty"#),
        ("events", "invalid events []: a webhook must listen to at least one event"),
        ("event", #"invalid event "contact created": an event name must not contain spaces or control characters"#),
        ("control", #"invalid event "contact\u0007": an event name must not contain spaces or control characters"#),
        ("url", #"invalid targetURL "ftp://x": must be an absolute http or https URL"#),
        ("headerName", #"invalid header name "Bad Header" in headers"#),
        ("headerValue", #"invalid value "x\r\nEvil: 1" of header X-Ok in headers"#),
        ("type", #"invalid type "sms": no delivery plugin is registered under that name"#),
    ])
    func saveRejectsInvalidField(field: String, expected: String) throws {
        let fixture = try RegistryFixture()
        var hook = sampleHook()
        switch field {
        case "name": hook.name = ""
        case "events": hook.events = []
        case "event": hook.events = ["contact created"]
        case "control": hook.events = ["contact\u{7}"]
        case "url": hook.targetURL = "ftp://x"
        case "headerName": hook.headers = ["Bad Header": "1"]
        case "headerValue": hook.headers = ["X-Ok": "x\r\nEvil: 1"]
        case "type": hook.type = "sms"
        default: Issue.record("unknown case \(field)")
        }
        let error = hookwireError { _ = try fixture.registry.save(hook) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.hasPrefix(expected) == true, "message: \(error?.message ?? "none")")
        #expect(try fixture.count("webhooks") == 0)

        // An update with the same fault is rejected too and leaves the stored hook unchanged.
        let stored = try fixture.registry.save(sampleHook())
        hook.id = stored.id
        #expect(hookwireError { _ = try fixture.registry.save(hook) }?.code == .invalidArgument)
        #expect(try fixture.registry.get(id: stored.id) == stored)
    }

    @Test func pluginTypeAccepted() throws {
        let fixture = try RegistryFixture(knownTypes: ["webhook", "crmscript"])
        var hook = sampleHook()
        hook.type = "CRMScript"
        hook.targetURL = "notify_script"
        let saved = try fixture.registry.save(hook)
        #expect(try fixture.registry.get(id: saved.id)?.type == "CRMScript")
    }

    @Test func getUnknownReturnsNil() throws {
        let fixture = try RegistryFixture()
        #expect(try fixture.registry.get(id: 12345) == nil)
    }

    @Test func deleteRemovesHookAndRows() throws {
        let fixture = try RegistryFixture()
        let kept = try fixture.registry.save(sampleHook("kept"))
        let doomed = try fixture.registry.save(sampleHook("doomed", events: ["a.b", "c.*", "*"]))
        try fixture.registry.recordResult(id: doomed.id, result: WebhookResult(succeeded: false, message: "x"))
        try fixture.registry.delete(id: doomed.id)

        #expect(try fixture.registry.get(id: doomed.id) == nil)
        #expect(try fixture.registry.get(id: kept.id) == kept)
        #expect(try fixture.count("webhook_events") == 1)
        #expect(try fixture.count("webhook_usage") == 1)

        let error = hookwireError { try fixture.registry.delete(id: doomed.id) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "cannot delete webhook \(doomed.id): not found")
        // Ids are never reused after a delete.
        #expect(try fixture.registry.save(sampleHook("next")).id > doomed.id)
    }

    @Test func listRejectsBadLimit() throws {
        let fixture = try RegistryFixture()
        let negative = hookwireError { _ = try fixture.registry.list(WebhookFilter(limit: -1)) }
        #expect(negative?.code == .invalidArgument)
        #expect(negative?.message.hasPrefix("invalid limit -1") == true)
        #expect(hookwireError { _ = try fixture.registry.list(WebhookFilter(limit: 100_001)) }?.code == .invalidArgument)
        _ = try fixture.registry.save(sampleHook())
        #expect(try fixture.registry.list(WebhookFilter(limit: 0)).count == 1)
    }

    @Test func recordResultCountsAndDisables() throws {
        let fixture = try RegistryFixture()
        let hook = try fixture.registry.save(sampleHook())
        try fixture.registry.recordResult(id: hook.id, result: .success)
        for attempt in 1...8 {
            fixture.clock.advance(seconds: 1)
            let change = try fixture.registry.recordResult(
                id: hook.id, result: WebhookResult(succeeded: false, message: "HTTP 500 attempt \(attempt)"))
            #expect(change == nil)
        }
        #expect(try fixture.registry.lastError(id: hook.id) == "HTTP 500 attempt 8")
        let ninth = try fixture.registry.recordResult(id: hook.id, result: WebhookResult(succeeded: false, message: "HTTP 502"))
        #expect(ninth?.from == .active)
        #expect(ninth?.to == .tooManyErrors)
        #expect(ninth?.reason == "9 consecutive errors, the latest: HTTP 502")
        #expect(fixture.log.changes == [ninth].compactMap { $0 })
        #expect(try fixture.registry.get(id: hook.id)?.state == .tooManyErrors)

        let usage = try fixture.registry.usage(id: hook.id)
        #expect(usage.totalCalls == 10)
        #expect(usage.totalErrors == 9)
        #expect(usage.consecutiveErrors == 9)
        #expect(usage.lastError == "HTTP 502")
        #expect(usage.lastErrorTime == UnixMilliseconds.rounded(fixture.clock.now))

        try fixture.registry.recordResult(id: hook.id, result: .success)
        #expect(try fixture.registry.usage(id: hook.id).consecutiveErrors == 0)
        #expect(try fixture.registry.get(id: hook.id)?.state == .tooManyErrors)
    }

    @Test func permanentFailureDisablesAtOnce() throws {
        let fixture = try RegistryFixture()
        let hook = try fixture.registry.save(sampleHook())
        let change = try fixture.registry.recordResult(
            id: hook.id, result: WebhookResult(succeeded: false, permanentFailure: true, message: "HTTP 410 Gone"))
        #expect(change == WebhookStateChange(webhookId: hook.id, from: .active, to: .tooManyErrors, reason: "permanent failure: HTTP 410 Gone"))
        #expect(try fixture.registry.get(id: hook.id)?.state == .tooManyErrors)
    }

    @Test func saveReportsStateChange() throws {
        let fixture = try RegistryFixture()
        var hook = try fixture.registry.save(sampleHook())
        try fixture.registry.recordResult(id: hook.id, result: WebhookResult(succeeded: false, permanentFailure: true, message: "gone"))
        hook = try #require(try fixture.registry.get(id: hook.id))
        hook.state = .active
        _ = try fixture.registry.save(hook, caller: Caller(associateId: 12, isAdministrator: true))
        let changes = fixture.log.changes
        #expect(changes.count == 2)
        #expect(changes.last == WebhookStateChange(webhookId: hook.id, from: .tooManyErrors, to: .active, reason: "saved by associate 12"))

        // A save that keeps the state reports nothing.
        hook.name = "same state"
        _ = try fixture.registry.save(hook)
        #expect(fixture.log.changes.count == 2)
    }

    @Test func unknownIdOperationsRejected() throws {
        let fixture = try RegistryFixture()
        #expect(hookwireError { _ = try fixture.registry.usage(id: 5) }?.message == "webhook 5 not found")
        #expect(hookwireError { _ = try fixture.registry.lastError(id: 5) }?.code == .notFound)
        let record = hookwireError { try fixture.registry.recordResult(id: 5, result: .success) }
        #expect(record?.code == .notFound)
        #expect(record?.message == "cannot record a result for webhook 5: not found")
    }

    @Test func lastErrorNilUntilFailure() throws {
        let fixture = try RegistryFixture()
        let hook = try fixture.registry.save(sampleHook())
        #expect(try fixture.registry.lastError(id: hook.id) == nil)
        #expect(try fixture.registry.usage(id: hook.id) == WebhookUsage())
    }

    @Test func ownershipByApplicationToken() throws {
        let fixture = try RegistryFixture()
        let appOne = Caller(applicationToken: "token-one", associateId: 1)
        let appTwo = Caller(applicationToken: "token-two", associateId: 2)

        // A hook created by an application belongs to it.
        var hook = try fixture.registry.save(sampleHook(), caller: appOne)
        #expect(hook.applicationToken == "token-one")

        hook.name = "taken over"
        let change = hookwireError { _ = try fixture.registry.save(hook, caller: appTwo) }
        #expect(change?.code == .permissionDenied)
        #expect(change?.message == "cannot change webhook \(hook.id): it belongs to another application; present the application token it was saved with")
        #expect(hookwireError { _ = try fixture.registry.save(hook, caller: Caller()) }?.code == .permissionDenied)
        let delete = hookwireError { try fixture.registry.delete(id: hook.id, caller: appTwo) }
        #expect(delete?.code == .permissionDenied)
        #expect(delete?.message.hasPrefix("cannot delete webhook \(hook.id)") == true)
        #expect(try fixture.registry.get(id: hook.id)?.name == "CRM sync")

        // The owner may change it, and a nil token keeps the owner.
        hook.applicationToken = nil
        let renamed = try fixture.registry.save(hook, caller: appOne)
        #expect(renamed.name == "taken over")
        #expect(renamed.applicationToken == "token-one")

        // Nobody but the administrator may hand a hook to another application.
        var handOver = renamed
        handOver.applicationToken = "token-two"
        #expect(hookwireError { _ = try fixture.registry.save(handOver, caller: appOne) }?.code == .permissionDenied)
        #expect(try fixture.registry.save(handOver, caller: .administrator).applicationToken == "token-two")
        try fixture.registry.delete(id: hook.id, caller: appTwo)
        #expect(try fixture.registry.get(id: hook.id) == nil)
    }

    @Test func ownershipOnCreate() throws {
        let fixture = try RegistryFixture()
        var hook = sampleHook()
        hook.applicationToken = "token-one"
        let anonymous = hookwireError { _ = try fixture.registry.save(hook, caller: Caller()) }
        #expect(anonymous?.code == .permissionDenied)
        #expect(hookwireError { _ = try fixture.registry.save(hook, caller: Caller(applicationToken: "token-two")) }?.code == .permissionDenied)
        #expect(try fixture.count("webhooks") == 0)

        let byAdministrator = try fixture.registry.save(hook)
        #expect(byAdministrator.applicationToken == "token-one")
        // A hook without a token may be changed by anyone, and an owner may clear its token.
        let open = try fixture.registry.save(sampleHook("open"), caller: Caller())
        #expect(open.applicationToken == nil)
        #expect(try fixture.registry.save(open, caller: Caller(applicationToken: "token-two")).applicationToken == nil)
        var cleared = byAdministrator
        cleared.applicationToken = ""
        #expect(try fixture.registry.save(cleared, caller: Caller(applicationToken: "token-one")).applicationToken == nil)
    }
}
