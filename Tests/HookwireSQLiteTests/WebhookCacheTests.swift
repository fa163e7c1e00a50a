import Foundation
import HookwireCore
import Synchronization
import Testing

@testable import HookwireSQLite

/// Two registries on one database file through two connections, as the engine opens them: one
/// for calls and one for the delivery thread's results.
struct TwoConnectionFixture {
    let directory: TemporaryDirectory
    let path: String
    let calls: WebhookRegistry
    let callStore: SQLiteWebhookStore
    let delivery: WebhookRegistry
    let deliveryStore: SQLiteWebhookStore

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path("two.db")
        callStore = try SQLiteWebhookStore(path: path)
        var options = SQLiteDatabase.Options()
        options.synchronous = "NORMAL"
        deliveryStore = try SQLiteWebhookStore(path: path, options: options)
        calls = WebhookRegistry(store: callStore)
        delivery = WebhookRegistry(store: deliveryStore)
    }
}

@Suite struct WebhookCacheTests {
    static let failure = WebhookResult(succeeded: false, message: "HTTP 503")

    @Test func getAfterSaveResultAndDelete() throws {
        let fixture = try RegistryFixture()
        let registry = fixture.registry
        var hook = try registry.save(sampleHook("first"))
        #expect(try registry.get(id: hook.id) == hook)
        #expect(fixture.store.cache.webhook(id: hook.id) == hook)

        hook.name = "second"
        hook.events = ["sale.*"]
        let updated = try registry.save(hook)
        #expect(try registry.get(id: hook.id) == updated)
        #expect(try registry.get(id: hook.id)?.name == "second")

        for _ in 0..<9 { try registry.recordResult(id: hook.id, result: Self.failure) }
        #expect(try registry.get(id: hook.id)?.state == .tooManyErrors)

        try registry.delete(id: hook.id)
        #expect(try registry.get(id: hook.id) == nil)
        #expect(fixture.store.cache.count == 0)
    }

    @Test func failedSaveKeepsCachedHook() throws {
        let fixture = try RegistryFixture()
        let hook = try fixture.registry.save(sampleHook())
        _ = try fixture.registry.get(id: hook.id)
        var invalid = hook
        invalid.targetURL = "not a url"
        #expect(hookwireError { _ = try fixture.registry.save(invalid) }?.code == .invalidArgument)
        #expect(try fixture.registry.get(id: hook.id) == hook)
    }

    @Test func writesOnOtherConnectionReachReads() throws {
        let fixture = try TwoConnectionFixture()
        #expect(fixture.callStore.cache === fixture.deliveryStore.cache)
        let hook = try fixture.calls.save(sampleHook())
        #expect(try fixture.calls.get(id: hook.id)?.state == .active)
        #expect(try fixture.delivery.get(id: hook.id)?.state == .active)

        for _ in 0..<9 { try fixture.delivery.recordResult(id: hook.id, result: Self.failure) }
        #expect(try fixture.calls.get(id: hook.id)?.state == .tooManyErrors)

        var renamed = hook
        renamed.name = "renamed"
        renamed.state = .active
        _ = try fixture.calls.save(renamed)
        #expect(try fixture.delivery.get(id: hook.id)?.name == "renamed")
        #expect(try fixture.delivery.get(id: hook.id)?.state == .active)

        try fixture.delivery.delete(id: hook.id)
        #expect(try fixture.calls.get(id: hook.id) == nil)
    }

    /// The delivery thread records a batch of results in one outer transaction. A state change
    /// inside it must not reach the cache before the commit, nor at all after a rollback.
    @Test func outerTransactionStateChangeAfterCommit() throws {
        let fixture = try TwoConnectionFixture()
        let hook = try fixture.calls.save(sampleHook())
        _ = try fixture.calls.get(id: hook.id)

        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try fixture.deliveryStore.database.transaction { _ in
                for _ in 0..<9 { try fixture.delivery.recordResult(id: hook.id, result: Self.failure) }
                #expect(try fixture.calls.get(id: hook.id)?.state == .active)
                throw Abort()
            }
        }
        #expect(try fixture.calls.get(id: hook.id)?.state == .active)
        #expect(try fixture.delivery.get(id: hook.id)?.state == .active)

        try fixture.deliveryStore.database.transaction { _ in
            for _ in 0..<9 { try fixture.delivery.recordResult(id: hook.id, result: Self.failure) }
            // The other connection still reads the last committed state.
            #expect(try fixture.calls.get(id: hook.id)?.state == .active)
        }
        #expect(try fixture.calls.get(id: hook.id)?.state == .tooManyErrors)
        #expect(try fixture.delivery.get(id: hook.id)?.state == .tooManyErrors)
    }

    /// A writer renames a hook "v1", "v2", … and publishes each number once `save` returned.
    /// Readers on both connections, on several threads, must never get a number below the one
    /// published before their read began.
    @Test func concurrentReadersSeeNoStaleHook() throws {
        let fixture = try TwoConnectionFixture()
        var hook = try fixture.calls.save(sampleHook("v0"))
        let id = hook.id
        let writes = 200
        let published = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let stale = Mutex<[String]>([])
        let reads = Atomic<Int>(0)
        let registries = [fixture.calls, fixture.delivery]

        let readers = (0..<4).map { index in
            let registry = registries[index % 2]
            let thread = Thread {
                while !done.load(ordering: .acquiring) {
                    let floor = published.load(ordering: .acquiring)
                    do {
                        guard let read = try registry.get(id: id), let version = Int(read.name.dropFirst()) else {
                            stale.withLock { $0.append("reader \(index): hook \(id) missing or misnamed") }
                            return
                        }
                        if version < floor {
                            stale.withLock { $0.append("reader \(index): read v\(version) after v\(floor) returned") }
                            return
                        }
                        reads.add(1, ordering: .relaxed)
                    } catch {
                        stale.withLock { $0.append("reader \(index): \(error)") }
                        return
                    }
                }
            }
            thread.start()
            return thread
        }
        defer { done.store(true, ordering: .releasing) }

        for version in 1...writes {
            hook.name = "v\(version)"
            // Alternate the writing connection, and mix in counter-only results.
            if version % 2 == 0 {
                _ = try fixture.calls.save(hook)
            } else {
                _ = try fixture.delivery.save(hook)
                try fixture.delivery.recordResult(id: id, result: WebhookResult(succeeded: true, message: "ok"))
            }
            published.store(version, ordering: .releasing)
        }
        done.store(true, ordering: .releasing)
        for reader in readers {
            while !reader.isFinished { Thread.sleep(forTimeInterval: 0.001) }
        }

        #expect(stale.withLock { $0 } == [])
        #expect(reads.load(ordering: .relaxed) > 0)
        #expect(try fixture.calls.get(id: id)?.name == "v\(writes)")
        #expect(try fixture.delivery.get(id: id)?.name == "v\(writes)")
    }

    @Test func reopenedDatabaseMatchesCachedReads() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("reopen.db")
        var served: [Webhook] = []
        do {
            let registry = try WebhookRegistry.openSQLite(path: path)
            for name in ["a", "b", "c"] {
                let hook = try registry.save(sampleHook(name))
                _ = try registry.get(id: hook.id)
                served.append(hook)
            }
            var changed = served[1]
            changed.description = "changed after it was cached"
            _ = try registry.save(changed)
            for _ in 0..<9 { try registry.recordResult(id: served[2].id, result: Self.failure) }
            try registry.delete(id: served[0].id)
            served = try [served[1].id, served[2].id].map { try #require(try registry.get(id: $0)) }
        }

        let store = try SQLiteWebhookStore(path: path)
        #expect(store.cache.count == 0)
        let reopened = WebhookRegistry(store: store)
        #expect(try reopened.list() == served)
        #expect(try reopened.get(id: served[0].id)?.description == "changed after it was cached")
        #expect(try reopened.get(id: served[1].id)?.state == .tooManyErrors)
    }

    /// While one thread holds the store's connection, reads on other threads go through a
    /// read-only connection and return the committed hooks without waiting.
    @Test func readsDoNotWaitForBusyConnection() throws {
        let fixture = try RegistryFixture()
        let hook = try fixture.registry.save(sampleHook())
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let database = fixture.store.database
        let holder = Thread {
            database.withConnection { _ in
                holding.signal()
                release.wait()
            }
        }
        holder.start()
        holding.wait()
        defer { release.signal() }

        #expect(try fixture.registry.list().map(\.id) == [hook.id])
        #expect(try fixture.registry.usage(id: hook.id).totalCalls == 0)
        #expect(try fixture.registry.get(id: hook.id) == hook)
        #expect(fixture.store.database.readerPoolIdleCount == 1)
    }

    @Test func memoryDatabasesHaveOwnCaches() throws {
        let first = try SQLiteWebhookStore(path: ":memory:")
        let second = try SQLiteWebhookStore(path: ":memory:")
        #expect(first.cache !== second.cache)
        let hook = try WebhookRegistry(store: first).save(sampleHook())
        _ = try first.webhook(id: hook.id)
        #expect(try second.webhook(id: hook.id) == nil)
    }

    @Test func cacheStaysWithinCapacity() {
        let cache = WebhookCache(capacity: 3)
        var hooks: [Webhook] = []
        for id in Int64(1)...5 {
            var hook = sampleHook("hook \(id)")
            hook.id = id
            hooks.append(hook)
            cache.fill(hook, ticket: cache.ticket(id: id)!)
        }
        #expect(cache.count == 3)
        let cached = hooks.filter { cache.webhook(id: $0.id) != nil }
        #expect(cached.count == 3)
        for hook in cached { #expect(cache.webhook(id: hook.id) == hook) }
        #expect(cache.webhook(id: 5) == hooks[4])
    }

    @Test func fillRejectedDuringAndAcrossWrite() {
        let cache = WebhookCache()
        var hook = sampleHook()
        hook.id = 7
        let early = cache.ticket(id: 7)!
        cache.beginWrite(id: 7)
        #expect(cache.ticket(id: 7) == nil)
        cache.fill(hook, ticket: early)
        #expect(cache.webhook(id: 7) == nil)
        cache.endWrite(id: 7)
        cache.fill(hook, ticket: early)
        #expect(cache.webhook(id: 7) == nil)

        let late = cache.ticket(id: 7)!
        cache.fill(hook, ticket: late)
        #expect(cache.webhook(id: 7) == hook)
        cache.beginWrite(id: 7)
        #expect(cache.webhook(id: 7) == nil)
        cache.endWrite(id: 7)
    }
}
