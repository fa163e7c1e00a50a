import Foundation

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

    private static let byFile = PerFileRegistry<SQLiteWriteGate>()

    /// Returns the gate of the database file at `path`, or a new private gate for `:memory:`,
    /// URIs and empty paths.
    static func shared(forPath path: String) -> SQLiteWriteGate {
        byFile.object(forPath: path) { SQLiteWriteGate() }
    }
}
