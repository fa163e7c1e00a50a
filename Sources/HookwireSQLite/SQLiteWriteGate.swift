import Foundation
import Synchronization

/// A lock per database file, shared by every connection that this process opens on the file,
/// and taken around each write transaction.
///
/// SQLite lets one connection write at a time. A connection that finds the file locked sleeps
/// in its busy handler for 1 ms, then for longer steps, so two writers of one process would
/// lose milliseconds on each collision. Queued on this lock instead, the next writer starts
/// when the previous one commits. Writers in other processes still meet the busy handler.
final class SQLiteWriteGate: @unchecked Sendable {
    /// Taken by the outermost `BEGIN IMMEDIATE` and released after its `COMMIT` or `ROLLBACK`.
    let lock = NSLock()

    private struct WeakGate {
        weak var gate: SQLiteWriteGate?
    }

    private static let byFile = Mutex<[String: WeakGate]>([:])

    /// Returns the gate of the database file at `path`, or a new private gate for `:memory:`,
    /// URIs and empty paths.
    static func shared(forPath path: String) -> SQLiteWriteGate {
        guard path != ":memory:", !path.isEmpty, !path.hasPrefix("file:") else { return SQLiteWriteGate() }
        let key = canonicalDatabasePath(path)
        return byFile.withLock { gates in
            if let gate = gates[key]?.gate { return gate }
            gates = gates.filter { $0.value.gate != nil }
            let gate = SQLiteWriteGate()
            gates[key] = WeakGate(gate: gate)
            return gate
        }
    }

}

/// Resolves symbolic links and relative parts of a database path, so that two spellings of one
/// file share its gate and its webhook cache. Returns `path` when it cannot be resolved, as
/// for a file not created yet.
func canonicalDatabasePath(_ path: String) -> String {
    guard let resolved = realpath(path, nil) else { return path }
    defer { free(resolved) }
    return String(cString: resolved)
}
