import CSQLite
import HookwireCore

/// One open SQLite connection with a cache of prepared statements keyed by their SQL text.
///
/// Not thread-safe: `SQLiteDatabase` hands it out only inside its lock, and it must not be
/// kept or used outside the closure that received it.
public final class SQLiteConnection {
    /// The `sqlite3` pointer, for calls this wrapper does not cover.
    public let handle: OpaquePointer
    /// The database file, named in error messages.
    public let path: String
    private var statements: [String: SQLiteStatement] = [:]
    /// How many transactions and savepoints are open, so that a nested `transaction` call
    /// uses a savepoint instead of a second `BEGIN`.
    var transactionDepth = 0
    /// Serialises this process's writers of the file; see `SQLiteWriteGate`.
    let writeGate: SQLiteWriteGate

    init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
        writeGate = SQLiteWriteGate.shared(forPath: path)
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement.handle) }
        sqlite3_close_v2(handle)
    }

    /// Runs `body` with the cached statement for `sql`, preparing it on first use, and resets
    /// the statement afterwards so that it keeps no read snapshot open.
    /// - Throws: what `body` throws, or a `HookwireError` when the SQL does not compile.
    public func withStatement<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = try prepared(sql)
        defer { statement.reset() }
        return try body(statement)
    }

    /// Runs one statement that returns no rows, binding `bind`'s parameters first.
    public func run(_ sql: String, bind: (SQLiteStatement) -> Void = { _ in }) throws {
        try withStatement(sql) { statement in
            bind(statement)
            try statement.run()
        }
    }

    /// Runs one or more SQL statements separated by semicolons, without parameters or results.
    public func execute(_ sql: String) throws {
        var errorText: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorText)
        guard code == SQLITE_OK else {
            let message = errorText.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(errorText)
            throw SQLiteError.error(
                code: sqlite3_extended_errcode(handle), sqliteMessage: message, path: path,
                operation: "running \(sql.prefix(60))")
        }
    }

    /// Returns the first column of the first row of `sql` as an integer, or nil without rows.
    public func scalarInt64(_ sql: String) throws -> Int64? {
        try withStatement(sql) { statement in
            try statement.step() ? statement.int64(0) : nil
        }
    }

    /// The rowid of the latest successful insert on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// The rows changed by the latest insert, update or delete on this connection.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in a transaction that commits when it returns and rolls back when it throws.
    ///
    /// The outermost call uses `BEGIN IMMEDIATE`, which takes the write lock at once (waiting up
    /// to the busy timeout), so a read-then-write inside cannot fail halfway on a lock. A nested
    /// call uses a savepoint.
    public func transaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let isOutermost = transactionDepth == 0
        let savepoint = "hookwire_\(transactionDepth)"
        if isOutermost { writeGate.lock.lock() }
        defer { if isOutermost { writeGate.lock.unlock() } }
        try execute(isOutermost ? "BEGIN IMMEDIATE" : "SAVEPOINT \(savepoint)")
        transactionDepth += 1
        defer { transactionDepth -= 1 }

        let value: T
        do {
            value = try body(self)
        } catch {
            rollBack(to: isOutermost ? nil : savepoint)
            throw error
        }
        do {
            try execute(isOutermost ? "COMMIT" : "RELEASE \(savepoint)")
        } catch {
            // A failed COMMIT (disk full, I/O error) can leave the transaction open.
            rollBack(to: isOutermost ? nil : savepoint)
            throw error
        }
        return value
    }

    /// Rolls back the open transaction, or to `savepoint` when given. Errors are ignored: SQLite
    /// may already have rolled back on its own after a disk-full or I/O error.
    func rollBack(to savepoint: String?) {
        if let savepoint {
            sqlite3_exec(handle, "ROLLBACK TO \(savepoint); RELEASE \(savepoint)", nil, nil, nil)
        } else if sqlite3_get_autocommit(handle) == 0 {
            sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        }
    }

    /// Builds the `HookwireError` for a failed call on this connection.
    func error(_ code: Int32, operation: String) -> HookwireError {
        SQLiteError.error(code: sqlite3_extended_errcode(handle), handle: handle, path: path, operation: operation)
    }

    private func prepared(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else {
            throw error(code, operation: "preparing \(sql.prefix(60))")
        }
        let statement = SQLiteStatement(handle: pointer, sql: sql, connection: self)
        statements[sql] = statement
        return statement
    }
}
