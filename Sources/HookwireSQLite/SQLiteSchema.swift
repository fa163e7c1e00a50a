import HookwireCore

/// One forward step of the schema, from `version - 1` to `version`.
public struct SQLiteMigration: Sendable {
    /// The schema version the database has after this migration.
    public let version: Int
    /// A short description of the tables and indexes the migration adds.
    public let summary: String
    /// The statements, separated by semicolons. They run inside the migration transaction.
    public let sql: String

    /// Creates a migration to `version` that runs `sql`.
    public init(version: Int, summary: String, sql: String) {
        self.version = version
        self.summary = summary
        self.sql = sql
    }
}

/// The schema versions of a Hookwire database, kept in `PRAGMA user_version`.
public enum SQLiteSchema {
    /// Every migration in order of version: versions 1, 2, 3, … with no gap.
    ///
    /// To add a migration, define it in its own file (`SchemaV3Something.swift`, with an enum
    /// exposing `static let migration = SQLiteMigration(version: 3, …)`) and append it here.
    /// Never edit or reorder a migration that has shipped, because databases in the field
    /// already ran it.
    public static let migrations: [SQLiteMigration] = [
        SchemaV1.migration,
        SQLiteMigration(
            version: SchemaV2Deliveries.version,
            summary: "events, deliveries, delivery attempts and rotated secrets",
            sql: SchemaV2Deliveries.sql),
    ]

    /// The newest schema version this build can open.
    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Brings the database to the newest version of `migrations`, running the missing ones
    /// in one transaction, and returns the resulting version.
    /// - Throws: `unsupportedSchema` when the database's version is newer than every
    ///   migration, `readOnly` when a migration is needed on a read-only connection, and the
    ///   storage errors of the statements.
    static func migrate(_ connection: SQLiteConnection, migrations: [SQLiteMigration], readOnly: Bool) throws -> Int {
        for (index, migration) in migrations.enumerated() {
            precondition(migration.version == index + 1, "migration versions must be 1, 2, 3, … in order")
        }
        let latest = migrations.last?.version ?? 0
        let current = try readVersion(connection, latest: latest)
        guard current < latest else { return current }
        guard !readOnly else {
            throw HookwireError(
                .readOnly,
                "\(connection.path) has schema version \(current) and needs migrating to version \(latest), "
                    + "which a read-only connection cannot do; open it for writing once")
        }

        return try connection.transaction { connection in
            // Another process may have migrated between the read above and the write lock.
            let lockedVersion = try readVersion(connection, latest: latest)
            for migration in migrations where migration.version > lockedVersion {
                try connection.execute(migration.sql)
            }
            try connection.execute("PRAGMA user_version = \(latest)")
            return latest
        }
    }

    private static func readVersion(_ connection: SQLiteConnection, latest: Int) throws -> Int {
        let version = Int(try connection.scalarInt64("PRAGMA user_version") ?? 0)
        guard version <= latest else {
            throw HookwireError(
                .unsupportedSchema,
                "\(connection.path) has schema version \(version), but this Hookwire supports versions up to "
                    + "\(latest); open it with a newer Hookwire")
        }
        return version
    }
}
