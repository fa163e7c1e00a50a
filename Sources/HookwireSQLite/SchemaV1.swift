/// Schema version 1: webhooks, the events each listens to, and their delivery counters.
///
/// - `webhooks`: one row per hook. `id` is `INTEGER PRIMARY KEY AUTOINCREMENT`, so the id of a
///   deleted hook is never reused. `state` contains `WebhookState` raw values (1 = Active).
///   `headers` is a JSON object of strings and `properties` a JSON object of any values, both
///   written by `JSONValue` with sorted keys. `secret` and `application_token` are NULL when
///   absent. `registered` and `updated` are milliseconds since 1970-01-01 UTC.
/// - `webhook_events`: one row per (event, hook), where `event` is an event name, `*` or
///   `entity.*`, and `position` keeps the order the hook listed them in. Its primary key
///   starts with `event`, so "hooks listening to event E of entity N" is an index lookup:
///   `SELECT webhook_id FROM webhook_events WHERE event IN (E, N || '.*', '*')`. Publishing
///   joins on this inside its own transaction, so these table and column names are fixed.
/// - `webhook_usage`: the counters of each hook (`total_calls`, `total_errors`,
///   `consecutive_errors`, `last_error`, `last_error_at` in milliseconds since 1970).
///
/// Deleting a hook deletes its `webhook_events` and `webhook_usage` rows through
/// `ON DELETE CASCADE`, which needs `PRAGMA foreign_keys = ON` (set at every open).
public enum SchemaV1 {
    /// The migration that creates version 1 on an empty database.
    public static let migration = SQLiteMigration(
        version: 1,
        summary: "webhooks, webhook_events and webhook_usage",
        sql: """
            CREATE TABLE webhooks (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                name TEXT NOT NULL,
                target_url TEXT NOT NULL,
                type TEXT NOT NULL,
                secret TEXT,
                state INTEGER NOT NULL,
                headers TEXT NOT NULL,
                properties TEXT NOT NULL,
                application_token TEXT,
                description TEXT NOT NULL,
                registered INTEGER NOT NULL,
                registered_associate_id INTEGER NOT NULL,
                updated INTEGER NOT NULL,
                updated_associate_id INTEGER NOT NULL
            );
            CREATE INDEX webhooks_name ON webhooks(name);
            CREATE INDEX webhooks_application_token ON webhooks(application_token);
            CREATE INDEX webhooks_state ON webhooks(state);
            CREATE TABLE webhook_events (
                event TEXT NOT NULL,
                webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                PRIMARY KEY (event, webhook_id)
            ) WITHOUT ROWID;
            CREATE INDEX webhook_events_webhook ON webhook_events(webhook_id, position);
            CREATE TABLE webhook_usage (
                webhook_id INTEGER PRIMARY KEY REFERENCES webhooks(id) ON DELETE CASCADE,
                total_calls INTEGER NOT NULL DEFAULT 0,
                total_errors INTEGER NOT NULL DEFAULT 0,
                consecutive_errors INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                last_error_at INTEGER
            );
            """)
}
