import CSQLite
import Foundation
import HookwireCore

/// A prepared statement owned by a `SQLiteConnection`'s cache.
///
/// Get one from `SQLiteConnection.withStatement(_:_:)`, which resets it afterwards, and use it
/// only inside that closure. Parameter and column indexes follow SQLite: parameters count from
/// 1 and columns from 0.
public final class SQLiteStatement {
    /// The `sqlite3_stmt` pointer, for calls this wrapper does not cover.
    public let handle: OpaquePointer
    /// The SQL text, used as the cache key and in error messages.
    public let sql: String
    unowned let connection: SQLiteConnection

    init(handle: OpaquePointer, sql: String, connection: SQLiteConnection) {
        self.handle = handle
        self.sql = sql
        self.connection = connection
    }

    /// Resets the statement and clears its bindings so that it can run again.
    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Binding

    /// Binds an integer to parameter `index`.
    public func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    /// Binds an integer, or NULL for nil.
    public func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds a double to parameter `index`.
    public func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    /// Binds text (copied by SQLite), including embedded NUL characters.
    public func bind(_ index: Int32, _ value: String) {
        var value = value
        value.withUTF8 { bytes in
            // An empty buffer may have no base address, which SQLite would bind as NULL.
            guard let base = bytes.baseAddress else {
                sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
                return
            }
            let pointer = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), sqliteTransient)
        }
    }

    /// Binds text, or NULL for nil.
    public func bind(_ index: Int32, _ value: String?) {
        if let value { bind(index, value) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds a blob (copied by SQLite). An empty array binds an empty blob, not NULL.
    public func bind(_ index: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress, !buffer.isEmpty else {
                sqlite3_bind_zeroblob(handle, index, 0)
                return
            }
            sqlite3_bind_blob(handle, index, base, Int32(buffer.count), sqliteTransient)
        }
    }

    /// Binds a blob, or NULL for nil.
    public func bind(_ index: Int32, _ bytes: [UInt8]?) {
        if let bytes { bind(index, bytes) } else { sqlite3_bind_null(handle, index) }
    }

    /// Binds NULL to parameter `index`.
    public func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    // MARK: Stepping

    /// Advances to the next row. Returns true when a row is available, false when done.
    /// - Throws: `HookwireError` mapped from SQLite's result code.
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(code, operation: "running \(sql.prefix(60))")
        }
    }

    /// Steps until the statement is done, for statements that return no rows.
    public func run() throws {
        while try step() {}
    }

    // MARK: Reading columns

    /// Returns whether column `index` of the current row is NULL.
    public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Returns column `index` as an integer (0 for NULL).
    public func int64(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    /// Returns column `index` as an integer, or nil for NULL.
    public func optionalInt64(_ index: Int32) -> Int64? {
        isNull(index) ? nil : sqlite3_column_int64(handle, index)
    }

    /// Returns column `index` as a double (0 for NULL).
    public func double(_ index: Int32) -> Double {
        sqlite3_column_double(handle, index)
    }

    /// Returns column `index` as text ("" for NULL). Invalid UTF-8 is repaired with U+FFFD.
    public func string(_ index: Int32) -> String {
        guard let text = sqlite3_column_text(handle, index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Returns column `index` as text, or nil for NULL.
    public func optionalString(_ index: Int32) -> String? {
        isNull(index) ? nil : string(index)
    }

    /// Returns column `index` as bytes (empty for NULL).
    public func blob(_ index: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// Returns column `index` as bytes, or nil for NULL.
    public func optionalBlob(_ index: Int32) -> [UInt8]? {
        isNull(index) ? nil : blob(index)
    }

    /// Returns column `index`, an integer count of milliseconds since 1970, as a date.
    public func date(_ index: Int32) -> Date {
        UnixMilliseconds.date(int64(index))
    }

    /// Returns column `index` as a date, or nil for NULL.
    public func optionalDate(_ index: Int32) -> Date? {
        isNull(index) ? nil : date(index)
    }
}

/// SQLite's `SQLITE_TRANSIENT`, which makes SQLite copy bound values. The C macro is a cast that
/// Swift does not import.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
