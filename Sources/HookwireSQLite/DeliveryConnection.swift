import CSQLite
import Foundation
import HookwireCore

/// One SQLite connection of the delivery store, with cached prepared statements.
///
/// Not thread-safe by itself: `SQLiteDeliveryStore` serialises every use with a lock.
final class DeliveryConnection {
    let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]
    let path: String
    /// Serialises this process's writers of the file; see `SQLiteWriteGate`.
    private(set) var writeGate: SQLiteWriteGate!

    /// Opens the database with a busy timeout, WAL journaling and the given `synchronous` mode.
    init(path: String, synchronous: String) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            if let db { sqlite3_close_v2(db) }
            throw HookwireError(.storage, "opening database \(path) failed: \(message)")
        }
        handle = db
        writeGate = SQLiteWriteGate.shared(forPath: path)
        sqlite3_busy_timeout(db, 10_000)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=\(synchronous)")
        // Several connections write the file in turn, so each transaction finds its page cache
        // stale. Reading pages through a memory map avoids copying them in again with pread.
        try execute("PRAGMA mmap_size=268435456")
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs SQL without results, possibly several statements.
    func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &error)
        if code != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(error)
            throw storageError(code, "\(message) (in \(sql.prefix(80)))")
        }
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        writeGate.lock.lock()
        defer { writeGate.lock.unlock() }
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Returns the cached statement for `sql`, reset and with its bindings cleared.
    func statement(_ sql: String) throws -> Statement {
        if let cached = statements[sql] {
            sqlite3_reset(cached)
            sqlite3_clear_bindings(cached)
            return Statement(handle: cached, connection: self)
        }
        var prepared: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &prepared, nil)
        guard code == SQLITE_OK, let prepared else {
            throw storageError(code, "preparing \(sql.prefix(80)) failed: \(String(cString: sqlite3_errmsg(handle)))")
        }
        statements[sql] = prepared
        return Statement(handle: prepared, connection: self)
    }

    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Resets every cached statement. A statement left on a row keeps its read transaction
    /// open, and a connection whose read snapshot is stale cannot start a write transaction
    /// (SQLite returns SQLITE_BUSY at once, without waiting), so each store call ends with this.
    func resetStatements() {
        for statement in statements.values { sqlite3_reset(statement) }
    }

    func storageError(_ code: Int32, _ message: String) -> HookwireError {
        switch code & 0xFF {
        case SQLITE_CORRUPT, SQLITE_NOTADB: HookwireError(.corruptDatabase, "database \(path): \(message)")
        case SQLITE_READONLY: HookwireError(.readOnly, "database \(path) is read-only: \(message)")
        default: HookwireError(.storage, "database \(path): \(message)")
        }
    }

    /// A prepared statement with 1-based parameter binding and 0-based column reading.
    struct Statement {
        let handle: OpaquePointer
        let connection: DeliveryConnection

        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(handle, index, value) }
        func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }
        func bind(_ index: Int32, _ value: Double) { sqlite3_bind_double(handle, index, value) }
        func bind(_ index: Int32, _ value: Date) { sqlite3_bind_double(handle, index, value.timeIntervalSince1970) }
        func bind(_ index: Int32, _ value: Date?) {
            if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
        }
        func bind(_ index: Int32, _ value: String) { sqlite3_bind_text(handle, index, value, -1, Self.transient) }
        func bind(_ index: Int32, _ value: String?) {
            if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
        }
        func bind(_ index: Int32, _ value: [UInt8]?) {
            guard let value else {
                sqlite3_bind_null(handle, index)
                return
            }
            value.withUnsafeBytes { bytes in
                _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
            }
        }

        /// Advances to the next row; returns false when done.
        @discardableResult
        func step() throws -> Bool {
            let code = sqlite3_step(handle)
            if code == SQLITE_ROW { return true }
            if code == SQLITE_DONE { return false }
            throw connection.storageError(code, String(cString: sqlite3_errmsg(connection.handle)))
        }

        func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
        func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
        func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
        func date(_ column: Int32) -> Date { Date(timeIntervalSince1970: double(column)) }
        func optionalDate(_ column: Int32) -> Date? { isNull(column) ? nil : date(column) }
        func text(_ column: Int32) -> String {
            guard let pointer = sqlite3_column_text(handle, column) else { return "" }
            return String(cString: pointer)
        }
        func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }
        func blob(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(handle, column))
            guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: count))
        }
        func optionalBlob(_ column: Int32) -> [UInt8]? { isNull(column) ? nil : blob(column) }
    }
}

