import Foundation
import HookwireCore
import Testing

@testable import HookwireSQLite

@Suite struct WebhookStoreTests {
    /// Hooks that use every field, with values that are easy to lose: nested JSON, integers
    /// beyond 2^53, unicode, empty strings and an absent token.
    static func richHooks() -> [Webhook] {
        [
            Webhook(
                name: "Überwachung 日本語 😀", events: ["contact.created", "person.*", "*"],
                targetURL: "https://example.com:8443/hook?a=1&b=%20", secret: "whsec_c2VjcmV0",
                state: .active,
                headers: ["X-Api-Key": "k3y with spaces", "X-Empty": "", "x-lower": "ä-latin1-ish"],
                properties: [
                    "big": .integer(9_007_199_254_740_993),
                    "max": .integer(Int64.max),
                    "min": .integer(Int64.min),
                    "ratio": .double(0.1),
                    "flag": .bool(false),
                    "none": .null,
                    "nested": .object(["list": .array([1, "two", .object(["three": .array([])])]), "emoji": "🎉"]),
                ],
                applicationToken: "app-token-1", description: "line one\nline two\ttabbed",
                registeredAssociateId: 17, updatedAssociateId: 18),
            Webhook(
                name: "plain", events: ["sale.changed"], targetURL: "http://127.0.0.1:9/x", state: .stopped,
                description: ""),
            Webhook(
                name: "quote \" and backslash \\", events: ["a.b"], targetURL: "https://example.org",
                state: .tooManyErrors, headers: ["X-Quote": "\"quoted\""], properties: ["key \"q\"": "value \\ slash"]),
        ]
    }

    @Test func reopenKeepsEveryField() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("reopen.db")
        var saved: [Webhook] = []
        let clock = TestClock()
        do {
            var configuration = RegistryConfiguration()
            configuration.now = { clock.now }
            let registry = try WebhookRegistry.openSQLite(path: path, configuration: configuration)
            for hook in Self.richHooks() {
                saved.append(try registry.save(hook))
                clock.advance(seconds: 0.0017)
            }
            try registry.recordResult(id: saved[0].id, result: WebhookResult(succeeded: false, message: "HTTP 503 é"))
        }

        let reopened = try WebhookRegistry.openSQLite(path: path)
        let listed = try reopened.list()
        #expect(listed == saved)
        for hook in saved {
            #expect(try reopened.get(id: hook.id) == hook)
        }
        // Spot checks that a field-by-field difference would point at.
        let first = try #require(listed.first)
        #expect(first.properties["big"] == .integer(9_007_199_254_740_993))
        #expect(first.properties["nested"] == Self.richHooks()[0].properties["nested"])
        #expect(first.headers == Self.richHooks()[0].headers)
        #expect(first.name == "Überwachung 日本語 😀")
        #expect(first.events == ["contact.created", "person.*", "*"])
        #expect(first.registered == UnixMilliseconds.rounded(Date(timeIntervalSince1970: 1_750_000_000.123)))
        #expect(listed[1].applicationToken == nil)
        #expect(listed[1].state == .stopped)
        let usage = try reopened.usage(id: first.id)
        #expect(usage.lastError == "HTTP 503 é")
        #expect(usage.totalErrors == 1)
    }

    @Test func listFiltersCombine() throws {
        let fixture = try RegistryFixture()
        let registry = fixture.registry
        func save(_ name: String, _ events: [String], token: String?, state: WebhookState) throws -> Int64 {
            var hook = sampleHook(name, events: events)
            hook.applicationToken = token
            hook.state = state
            return try registry.save(hook).id
        }
        let exact = try save("sync", ["contact.created"], token: "a", state: .active)
        let entity = try save("sync", ["contact.*"], token: "a", state: .active)
        let all = try save("sync", ["*"], token: "a", state: .stopped)
        let otherEvent = try save("sync", ["person.created"], token: "a", state: .active)
        let otherToken = try save("sync", ["contact.created"], token: "b", state: .active)
        let otherName = try save("audit", ["contact.created"], token: "a", state: .active)
        let noToken = try save("sync", ["contact.created"], token: nil, state: .active)

        func ids(_ filter: WebhookFilter) throws -> [Int64] { try registry.list(filter).map(\.id) }

        #expect(try ids(WebhookFilter()) == [exact, entity, all, otherEvent, otherToken, otherName, noToken])
        #expect(try ids(WebhookFilter(event: "contact.created")) == [exact, entity, all, otherToken, otherName, noToken])
        #expect(try ids(WebhookFilter(event: "contact.deleted")) == [entity, all])
        #expect(try ids(WebhookFilter(event: "person.created")) == [all, otherEvent])
        #expect(try ids(WebhookFilter(event: "unrelated")) == [all])
        #expect(try ids(WebhookFilter(name: "sync", event: "contact.created")) == [exact, entity, all, otherToken, noToken])
        #expect(try ids(WebhookFilter(name: "sync", event: "contact.created", applicationToken: "a")) == [exact, entity, all])
        #expect(try ids(WebhookFilter(name: "sync", event: "contact.created", applicationToken: "a", state: .active)) == [exact, entity])
        #expect(try ids(WebhookFilter(state: .stopped)) == [all])
        #expect(try ids(WebhookFilter(applicationToken: "b")) == [otherToken])
        #expect(try ids(WebhookFilter(name: "audit", state: .stopped)) == [])
        #expect(try ids(WebhookFilter(event: "contact.created", limit: 2, afterId: entity)) == [all, otherToken])
    }

    @Test func tenThousandHooksPageCleanly() throws {
        let fixture = try RegistryFixture()
        let total = 10_000
        var savedIds: [Int64] = []
        // One outer transaction keeps the test fast: each save runs in a savepoint inside it.
        try fixture.store.database.transaction { _ in
            for index in 0..<total {
                let events = index % 3 == 0 ? ["contact.*"] : ["person.created"]
                savedIds.append(try fixture.registry.save(sampleHook("hook \(index)", events: events)).id)
            }
        }
        // Delete a few so that ids have gaps.
        for id in savedIds where id % 997 == 0 {
            try fixture.registry.delete(id: id)
        }
        let expected = savedIds.filter { $0 % 997 != 0 }

        var walked: [Int64] = []
        var afterId: Int64 = 0
        var pages = 0
        while true {
            let page = try fixture.registry.list(WebhookFilter(limit: 333, afterId: afterId))
            walked += page.map(\.id)
            pages += 1
            guard page.count == 333, let last = page.last else { break }
            afterId = last.id
        }
        #expect(walked == expected)
        #expect(Set(walked).count == walked.count)
        #expect(pages == expected.count / 333 + 1)

        var contactIds: [Int64] = []
        afterId = 0
        while true {
            let page = try fixture.registry.list(WebhookFilter(event: "contact.updated", limit: 500, afterId: afterId))
            contactIds += page.map(\.id)
            guard let last = page.last else { break }
            afterId = last.id
        }
        let expectedContact = zip(savedIds, 0..<total).filter { $1 % 3 == 0 && $0 % 997 != 0 }.map(\.0)
        #expect(contactIds == expectedContact)
    }

    @Test func diskFullKeepsPreviousState() throws {
        let fixture = try RegistryFixture()
        let first = try fixture.registry.save(sampleHook("first"))
        let pages = try fixture.store.database.withConnection { try $0.scalarInt64("PRAGMA page_count") } ?? 0
        try fixture.store.database.execute("PRAGMA max_page_count = \(pages)")

        var large = sampleHook("too large")
        large.properties = ["blob": .string(String(repeating: "x", count: 200_000))]
        let createError = hookwireError { _ = try fixture.registry.save(large) }
        #expect(createError?.code == .storage)
        #expect(createError?.message.contains("database or disk is full") == true)
        #expect(createError?.message.contains(fixture.path) == true)

        var grown = first
        grown.properties = large.properties
        grown.events = ["x.y", "z.*"]
        let updateError = hookwireError { _ = try fixture.registry.save(grown) }
        #expect(updateError?.code == .storage)

        #expect(try fixture.registry.list() == [first])
        #expect(try fixture.count("webhook_events") == 1)
        #expect(try fixture.count("webhook_usage") == 1)

        // Once space is back, writes work again on the same connection.
        try fixture.store.database.execute("PRAGMA max_page_count = 1073741823")
        let saved = try fixture.registry.save(grown)
        #expect(try fixture.registry.get(id: first.id) == saved)
    }

    @Test func concurrentSavesAllPersist() throws {
        let fixture = try RegistryFixture()
        // Half the threads share the fixture's connection, half use their own connection to
        // the same file, so both the lock and SQLite's file locking are exercised.
        let second = WebhookRegistry(store: try SQLiteWebhookStore(path: fixture.path))
        let threads = 8
        let perThread = 60
        let failures = StateChangeLog()
        let first = fixture.registry
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let registry = thread % 2 == 0 ? first : second
            for index in 0..<perThread {
                do {
                    let saved = try registry.save(sampleHook("t\(thread)-\(index)", events: ["e.\(thread)"]))
                    _ = try registry.recordResult(id: saved.id, result: .success)
                } catch {
                    failures.append(WebhookStateChange(webhookId: 0, from: .unknown, to: .unknown, reason: "\(error)"))
                }
            }
        }
        #expect(failures.changes.map(\.reason) == [])

        let reopened = try WebhookRegistry.openSQLite(path: fixture.path)
        let hooks = try reopened.list(WebhookFilter(limit: 10_000))
        #expect(hooks.count == threads * perThread)
        #expect(Set(hooks.map(\.id)).count == threads * perThread)
        let names = Set(hooks.map(\.name))
        for thread in 0..<threads {
            for index in 0..<perThread {
                #expect(names.contains("t\(thread)-\(index)"))
            }
        }
        for hook in hooks.prefix(20) {
            #expect(try reopened.usage(id: hook.id).totalCalls == 1)
        }
    }

    @Test func storeRejectsCorruptAndNewerFiles() throws {
        let directory = try TemporaryDirectory()
        let corrupt = directory.path("corrupt.db")
        try Data(repeating: 0xAB, count: 4096).write(to: URL(fileURLWithPath: corrupt))
        let corruptError = hookwireError { _ = try WebhookRegistry.openSQLite(path: corrupt) }
        #expect(corruptError?.code == .corruptDatabase)
        #expect(corruptError?.message == "\(corrupt) is not a Hookwire database or is damaged: file is not a database (SQLite result code 26); restore it from a backup or choose another path")

        let newer = directory.path("newer.db")
        do {
            let store = try SQLiteWebhookStore(path: newer)
            try store.database.execute("PRAGMA user_version = \(SQLiteSchema.latestVersion + 1)")
        }
        let newerError = hookwireError { _ = try WebhookRegistry.openSQLite(path: newer) }
        #expect(newerError?.code == .unsupportedSchema)
        #expect(newerError?.message == "\(newer) has schema version \(SQLiteSchema.latestVersion + 1), but this Hookwire supports versions up to \(SQLiteSchema.latestVersion); open it with a newer Hookwire")
    }

    @Test func readOnlyStoreRejectsSaves() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ro.db")
        let stored = try WebhookRegistry.openSQLite(path: path).save(sampleHook())
        var options = SQLiteDatabase.Options()
        options.readOnly = true
        let registry = WebhookRegistry(store: try SQLiteWebhookStore(path: path, options: options))
        #expect(try registry.get(id: stored.id) == stored)
        let error = hookwireError { _ = try registry.save(sampleHook("new")) }
        #expect(error?.code == .readOnly)
        #expect(error?.message.contains("read-only") == true)
    }

    @Test func damagedJSONColumnReported() throws {
        let fixture = try RegistryFixture()
        let hook = try fixture.registry.save(sampleHook())
        try fixture.store.database.execute("UPDATE webhooks SET properties = '{broken' WHERE id = \(hook.id)")
        let error = hookwireError { _ = try fixture.registry.get(id: hook.id) }
        #expect(error?.code == .corruptDatabase)
        #expect(error?.message.hasPrefix("webhook \(hook.id) in \(fixture.path) is damaged: column properties: invalid JSON") == true)
    }

    @Test func memoryStoreWorks() throws {
        let registry = try WebhookRegistry.openSQLite(path: ":memory:")
        let saved = try registry.save(sampleHook())
        #expect(try registry.get(id: saved.id) == saved)
    }
}
