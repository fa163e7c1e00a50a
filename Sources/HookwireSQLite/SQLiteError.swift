import CSQLite
import HookwireCore

/// Maps SQLite result codes to `HookwireError`.
///
/// Disk full and I/O errors become `storage`, a file that is not a database or is damaged
/// becomes `corruptDatabase`, a read-only file becomes `readOnly`, and a constraint violation
/// becomes `failedPrecondition`. The message contains SQLite's own text, the path and the
/// extended result code.
public enum SQLiteError {
    /// Builds the error for a failed call on `handle`, reading SQLite's message from it.
    /// - Parameters:
    ///   - code: the result code the call returned.
    ///   - handle: the connection, or nil when it could not be opened.
    ///   - path: the database file, named in the message.
    ///   - operation: what was being done, such as "opening" or "saving webhook 7".
    public static func error(code: Int32, handle: OpaquePointer?, path: String, operation: String) -> HookwireError {
        let sqliteMessage = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        return error(code: code, sqliteMessage: sqliteMessage, path: path, operation: operation)
    }

    /// Builds the error for a result code and SQLite's message text.
    public static func error(code: Int32, sqliteMessage: String, path: String, operation: String) -> HookwireError {
        let detail = "\(sqliteMessage) (SQLite result code \(code))"
        switch code & 0xFF {
        case SQLITE_FULL:
            return HookwireError(.storage, "\(operation) failed on \(path): \(detail); free disk space and retry")
        case SQLITE_IOERR:
            return HookwireError(.storage, "\(operation) failed on \(path): \(detail); check the disk and the file")
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return HookwireError(
                .corruptDatabase,
                "\(path) is not a Hookwire database or is damaged: \(detail); restore it from a backup or choose another path")
        case SQLITE_READONLY:
            return HookwireError(
                .readOnly, "\(operation) failed on \(path): \(detail); the file or its directory is read-only")
        case SQLITE_BUSY, SQLITE_LOCKED:
            return HookwireError(
                .storage, "\(operation) failed on \(path): \(detail); another connection held the lock past the busy timeout")
        case SQLITE_CANTOPEN:
            return HookwireError(
                .storage, "\(operation) failed on \(path): \(detail); check that the directory exists and is writable")
        case SQLITE_CONSTRAINT:
            return HookwireError(.failedPrecondition, "\(operation) failed on \(path): \(detail)")
        default:
            return HookwireError(.storage, "\(operation) failed on \(path): \(detail)")
        }
    }
}
