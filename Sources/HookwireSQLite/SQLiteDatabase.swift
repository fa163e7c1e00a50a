import CSQLite
import Foundation
import HookwireCore

/// A SQLite database file opened for Hookwire: one connection, configured and migrated.
///
/// Opening sets a busy timeout, turns foreign keys on, switches the file to WAL journaling and
/// runs the forward migrations of `SQLiteSchema` in one transaction.
///
/// Thread safety: every method may be called from any thread. The one connection is used by one
/// thread at a time under an internal recursive lock, so calls from several threads wait for
/// each other. Threads that should read in parallel open one `SQLiteDatabase` each on the same
/// file, which WAL allows: readers do not block the writer, and writers wait for each other up
/// to the busy timeout.
public final class SQLiteDatabase: @unchecked Sendable {
    /// How to open a database.
    public struct Options: Sendable {
        /// Opens the file read-only. Writes then fail with `readOnly`, and a file whose schema
        /// needs migrating is rejected.
        public var readOnly: Bool = false
        /// How long a write waits for another connection's lock before failing, in milliseconds.
        public var busyTimeoutMilliseconds: Int32 = 10_000
        /// `PRAGMA synchronous`: `FULL` syncs the WAL on every commit, so that a committed
        /// transaction survives a power loss. `NORMAL` is faster and can lose the latest commits
        /// on power loss, though never corrupts the file.
        public var synchronous: String = "FULL"
        /// The migrations to run at open. Tests may pass a shorter list.
        public var migrations: [SQLiteMigration] = SQLiteSchema.migrations

        /// Creates the default options: read-write, a 10-second busy timeout, `FULL` sync and
        /// every migration.
        public init() {}
    }

    /// The default database file, relative to the working directory.
    public static let defaultPath = "hookwire.db"

    /// The database file, or `:memory:`.
    public let path: String
    /// The schema version after the migrations at open.
    public let schemaVersion: Int
    // The lock is recursive so that a store method may call another inside a transaction.
    private let lock = NSRecursiveLock()
    private let connection: SQLiteConnection
    /// Actions waiting for the outermost transaction to end, used only under `lock`.
    private var transactionEndActions: [() -> Void] = []
    /// Read-only connections for `read` while another thread uses this one, or nil for
    /// in-memory and read-only databases.
    private let readers: SQLiteReaderPool?

    /// Opens (creating when missing, unless read-only) and migrates the database at `path`.
    ///
    /// `:memory:` opens a private in-memory database that disappears when this object does.
    /// - Throws: `corruptDatabase` when the file is not a SQLite database or is damaged.
    ///   `unsupportedSchema` when a newer Hookwire wrote it. `readOnly` when the file cannot be
    ///   written and `options.readOnly` is false. `storage` for other failures, such as a
    ///   missing directory. Each message names the path.
    public init(path: String = SQLiteDatabase.defaultPath, options: Options = .init()) throws {
        self.path = path
        let isFile = path != ":memory:" && !path.isEmpty && !path.hasPrefix("file:")
        readers =
            isFile && !options.readOnly
            ? SQLiteReaderPool(path: path, writerOptions: options) : nil
        var flags = SQLITE_OPEN_NOMUTEX
        flags |= options.readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let error = SQLiteError.error(code: code, handle: handle, path: path, operation: "opening the database")
            sqlite3_close_v2(handle)
            throw error
        }
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, options.busyTimeoutMilliseconds)
        connection = SQLiteConnection(handle: handle, path: path)

        // SQLite opens a write-protected file read-only without an error, so check here.
        if !options.readOnly && sqlite3_db_readonly(handle, "main") == 1 {
            throw HookwireError(
                .readOnly,
                "cannot open \(path) for writing: the file is read-only; make it writable or open it read-only")
        }
        // The first statements read the file header, so a file that is not a database fails here.
        try connection.execute("PRAGMA foreign_keys = ON")
        if !options.readOnly {
            try connection.execute("PRAGMA journal_mode = WAL")
            try connection.execute("PRAGMA synchronous = \(options.synchronous)")
        }
        schemaVersion = try SQLiteSchema.migrate(
            connection, migrations: options.migrations, readOnly: options.readOnly)
    }

    /// Runs `body` with exclusive use of the connection and no transaction, for reads or for
    /// statements that manage their own transaction.
    public func withConnection<T>(_ body: (SQLiteConnection) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(connection)
    }

    /// Runs `body` on a connection for reading only: this database's own one when no other
    /// thread is using it, otherwise a read-only connection of the same file.
    ///
    /// A thread inside `transaction` always gets its own connection, so it reads its uncommitted
    /// writes. Other reads see the latest commit, as on the own connection.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        if lock.try() {
            defer { lock.unlock() }
            return try body(connection)
        }
        if let readers, let value = try readers.withReader(body) { return value }
        return try withConnection(body)
    }

    /// The number of idle read-only connections `read` keeps, or nil when it opens none.
    var readerPoolIdleCount: Int? { readers?.idleCount }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE … COMMIT`) with exclusive use of the
    /// connection. It rolls back when `body` throws or the commit fails, so a failed write
    /// leaves the previous state intact. A nested call uses a savepoint.
    /// - Throws: what `body` throws, or a `HookwireError` when beginning or committing fails.
    public func transaction<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        guard connection.transactionDepth == 0 else { return try connection.transaction(body) }
        defer { runTransactionEndActions() }
        return try connection.transaction(body)
    }

    /// Runs `action` once the outermost transaction in progress on this database has committed
    /// or rolled back, still under the connection's lock. Call it only inside `transaction`.
    func whenTransactionEnds(_ action: @escaping () -> Void) {
        lock.lock()
        defer { lock.unlock() }
        precondition(connection.transactionDepth > 0, "whenTransactionEnds called outside a transaction")
        transactionEndActions.append(action)
    }

    private func runTransactionEndActions() {
        let actions = transactionEndActions
        transactionEndActions = []
        for action in actions { action() }
    }

    /// Runs one or more SQL statements without parameters or results, such as a `PRAGMA`.
    public func execute(_ sql: String) throws {
        try withConnection { try $0.execute(sql) }
    }
}
