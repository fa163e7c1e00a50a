import Foundation
import HookwireCore
import Testing

@testable import HookwireSQLite

@Suite struct SQLiteDatabaseTests {
    @Test func openCreatesLatestSchema() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path("new.db"))
        #expect(database.schemaVersion == SQLiteSchema.latestVersion)
        let version = try database.withConnection { try $0.scalarInt64("PRAGMA user_version") }
        #expect(version == Int64(SQLiteSchema.latestVersion))
        let mode = try database.withConnection { connection in
            try connection.withStatement("PRAGMA journal_mode") { try $0.step() ? $0.string(0) : "" }
        }
        #expect(mode == "wal")
        let foreignKeys = try database.withConnection { try $0.scalarInt64("PRAGMA foreign_keys") }
        #expect(foreignKeys == 1)
    }

    @Test func migrationsRunForward() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("old.db")
        var options = SQLiteDatabase.Options()
        options.migrations = [SchemaV1.migration]
        let old = try SQLiteDatabase(path: path, options: options)
        #expect(old.schemaVersion == 1)
        try old.execute("INSERT INTO webhooks (name, target_url, type, state, headers, properties, description, registered, registered_associate_id, updated, updated_associate_id) VALUES ('kept', 'https://example.com', 'webhook', 1, '{}', '{}', '', 0, 0, 0, 0)")

        let upgraded = try SQLiteDatabase(path: path)
        #expect(upgraded.schemaVersion == SQLiteSchema.latestVersion)
        let count = try upgraded.withConnection { try $0.scalarInt64("SELECT COUNT(*) FROM webhooks WHERE name = 'kept'") }
        #expect(count == 1)
    }

    @Test func memoryDatabaseOpens() throws {
        let database = try SQLiteDatabase(path: ":memory:")
        #expect(database.schemaVersion == SQLiteSchema.latestVersion)
    }

    @Test func corruptFileRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("garbage.db")
        let garbage = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        try Data(garbage).write(to: URL(fileURLWithPath: path))

        let error = #expect(throws: HookwireError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == .corruptDatabase)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("file is not a database") == true)
        // The file is left as it was.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(garbage))
    }

    @Test func newerSchemaRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("future.db")
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA user_version = 999")
        }
        let error = #expect(throws: HookwireError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == .unsupportedSchema)
        #expect(error?.message.contains("schema version 999") == true)
        #expect(error?.message.contains("supports versions up to \(SQLiteSchema.latestVersion)") == true)
    }

    @Test func readOnlyFileRejected() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("locked.db")
        do {
            let database = try SQLiteDatabase(path: path)
            try database.execute("PRAGMA journal_mode = DELETE")
        }
        // chmod does not stop root, so make the file immutable when that is possible.
        let immutable = runProgram("/usr/bin/chattr", ["+i", path]) == 0
        if !immutable {
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        }
        defer {
            if immutable { runProgram("/usr/bin/chattr", ["-i", path]) }
        }
        guard immutable || getuid() != 0 else { return }

        let error = #expect(throws: HookwireError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == .readOnly)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("read-only") == true)

        var options = SQLiteDatabase.Options()
        options.readOnly = true
        let reader = try SQLiteDatabase(path: path, options: options)
        #expect(reader.schemaVersion == SQLiteSchema.latestVersion)
    }

    @Test func readOnlyConnectionRejectsWrites() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("reader.db")
        _ = try SQLiteDatabase(path: path)
        var options = SQLiteDatabase.Options()
        options.readOnly = true
        let reader = try SQLiteDatabase(path: path, options: options)
        let error = #expect(throws: HookwireError.self) {
            try reader.execute("DELETE FROM webhooks")
        }
        #expect(error?.code == .readOnly)
    }

    @Test func missingDirectoryReportsPath() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("no/such/dir/x.db")
        let error = #expect(throws: HookwireError.self) { try SQLiteDatabase(path: path) }
        #expect(error?.code == .storage)
        #expect(error?.message.contains(path) == true)
    }

    @Test func transactionRollsBackOnThrow() throws {
        let database = try SQLiteDatabase(path: ":memory:")
        try database.execute("CREATE TABLE t (x INTEGER)")
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try database.transaction { connection in
                try connection.run("INSERT INTO t VALUES (1)")
                throw Stop()
            }
        }
        #expect(try database.withConnection { try $0.scalarInt64("SELECT COUNT(*) FROM t") } == 0)

        try database.transaction { connection in
            try connection.run("INSERT INTO t VALUES (2)")
            // A nested transaction that fails rolls back only its own part.
            _ = try? connection.transaction { inner -> Void in
                try inner.run("INSERT INTO t VALUES (3)")
                throw Stop()
            }
        }
        #expect(try database.withConnection { try $0.scalarInt64("SELECT SUM(x) FROM t") } == 2)
    }

    @Test func bindsAndReadsEveryType() throws {
        let database = try SQLiteDatabase(path: ":memory:")
        try database.execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT, e TEXT, eb BLOB)")
        let text = "zero\u{0}byte é 😀"
        try database.withConnection { connection in
            try connection.run("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") { statement in
                statement.bind(1, Int64.min)
                statement.bind(2, 0.1)
                statement.bind(3, text)
                statement.bind(4, [0, 1, 255] as [UInt8])
                statement.bind(5, nil as String?)
                statement.bind(6, "")
                statement.bind(7, [] as [UInt8])
            }
            try connection.withStatement("SELECT i, d, s, b, n, e, eb, typeof(e), typeof(eb) FROM t") { row in
                let hasRow = try row.step()
                #expect(hasRow)
                #expect(row.int64(0) == Int64.min)
                #expect(row.double(1) == 0.1)
                #expect(row.string(2) == text)
                #expect(row.blob(3) == [0, 1, 255])
                #expect(row.isNull(4))
                #expect(row.optionalString(4) == nil)
                #expect(row.optionalString(5) == "")
                #expect(row.optionalBlob(6) == [])
                #expect(row.string(7) == "text")
                #expect(row.string(8) == "blob")
                let hasSecondRow = try row.step()
                #expect(!hasSecondRow)
            }
        }
    }

    @Test func diskFullKeepsPreviousState() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path("full.db"))
        try database.execute("CREATE TABLE t (x TEXT)")
        try database.transaction { try $0.run("INSERT INTO t VALUES ('before')") }
        let pages = try database.withConnection { try $0.scalarInt64("PRAGMA page_count") } ?? 0
        try database.execute("PRAGMA max_page_count = \(pages)")

        let error = #expect(throws: HookwireError.self) {
            try database.transaction { connection in
                try connection.run("INSERT INTO t VALUES (?1)") { $0.bind(1, String(repeating: "x", count: 100_000)) }
            }
        }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("database or disk is full") == true)
        let rows = try database.withConnection { connection in
            try connection.withStatement("SELECT x FROM t") { statement in
                var values: [String] = []
                while try statement.step() { values.append(statement.string(0)) }
                return values
            }
        }
        #expect(rows == ["before"])
    }
}
