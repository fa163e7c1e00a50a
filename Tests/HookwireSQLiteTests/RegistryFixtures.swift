import Foundation
import HookwireCore

@testable import HookwireSQLite

/// A clock that tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_750_000_000.123)

    var now: Date { lock.withLock { current } }

    func advance(seconds: Double) {
        lock.withLock { current = current.addingTimeInterval(seconds) }
    }
}

/// Collects the state changes a registry reports.
final class StateChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [WebhookStateChange] = []

    var changes: [WebhookStateChange] { lock.withLock { stored } }

    func append(_ change: WebhookStateChange) {
        lock.withLock { stored.append(change) }
    }
}

/// A registry on a SQLite file in a fresh temporary directory.
struct RegistryFixture {
    let directory: TemporaryDirectory
    let path: String
    let store: SQLiteWebhookStore
    let registry: WebhookRegistry
    let clock = TestClock()
    let log = StateChangeLog()

    init(knownTypes: Set<String> = ["webhook"]) throws {
        directory = try TemporaryDirectory()
        path = directory.path("hookwire.db")
        store = try SQLiteWebhookStore(path: path)
        var configuration = RegistryConfiguration()
        let clock = clock
        let log = log
        configuration.now = { clock.now }
        configuration.onStateChange = { log.append($0) }
        configuration.isKnownType = { knownTypes.contains($0.lowercased()) }
        registry = WebhookRegistry(store: store, configuration: configuration)
    }

    /// Counts the rows of a table in the fixture's database.
    func count(_ table: String) throws -> Int64 {
        try store.database.withConnection { try $0.scalarInt64("SELECT COUNT(*) FROM \(table)") } ?? -1
    }
}

/// A valid hook to start from.
func sampleHook(_ name: String = "CRM sync", events: [String] = ["contact.created"]) -> Webhook {
    Webhook(name: name, events: events, targetURL: "https://example.com/hooks/\(name.count)")
}

/// Runs `body` and returns the `HookwireError` it throws, or nil when it throws none.
func hookwireError(_ body: () throws -> Void) -> HookwireError? {
    do {
        try body()
        return nil
    } catch let error as HookwireError {
        return error
    } catch {
        return HookwireError(.internalError, "unexpected error type: \(error)")
    }
}
