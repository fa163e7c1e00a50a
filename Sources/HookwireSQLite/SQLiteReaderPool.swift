import HookwireCore
import Synchronization

/// Read-only connections to one database file, opened on demand and kept for reuse, so that
/// reads from several threads run in parallel instead of waiting for one connection.
///
/// WAL journaling lets these readers run while a writer commits. Each read sees the state as of
/// the latest commit before it began. At most `maximumIdle` idle connections are kept, and a
/// connection beyond that is closed after its read.
///
/// Thread safety: every method may be called from any thread. The idle list sits in a `Mutex`,
/// and each connection is used by one thread at a time.
final class SQLiteReaderPool: Sendable {
    /// The maximum number of idle connections kept open.
    let maximumIdle: Int
    private let path: String
    private let options: SQLiteDatabase.Options
    private let idle = Mutex<[SQLiteDatabase]>([])

    /// Creates an empty pool for the database file at `path`, whose connections take the busy
    /// timeout and migrations of `writerOptions`.
    init(path: String, writerOptions: SQLiteDatabase.Options, maximumIdle: Int = 8) {
        self.path = path
        var options = writerOptions
        options.readOnly = true
        self.options = options
        self.maximumIdle = maximumIdle
    }

    /// Runs `body` on an idle reader, opening one when none is idle. Returns nil without
    /// calling `body` when no reader can be opened, so that the caller reads another way.
    func withReader<T>(_ body: (SQLiteConnection) throws -> T) rethrows -> T? {
        guard let reader = take() else { return nil }
        defer { give(reader) }
        return try reader.withConnection(body)
    }

    /// The number of idle connections now.
    var idleCount: Int {
        idle.withLock { $0.count }
    }

    private func take() -> SQLiteDatabase? {
        if let reader = idle.withLock({ $0.popLast() }) { return reader }
        return try? SQLiteDatabase(path: path, options: options)
    }

    private func give(_ reader: SQLiteDatabase) {
        idle.withLock { readers in
            if readers.count < maximumIdle { readers.append(reader) }
        }
    }
}
