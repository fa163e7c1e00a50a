/// Schema version 2: events, their deliveries, the attempts of each delivery, and the secrets
/// a rotation keeps valid for a while.
///
/// - `events`: one row per published event, with the envelope's event members serialised once
///   (`members`) and the publisher's data (`data`).
/// - `deliveries`: one row per (event, hook). `state` contains `DeliveryState` raw values.
///   `next_attempt_at` is the due time of a pending delivery and the lease expiry of an
///   in-flight one, so one index answers both "what is due" and "which leases ran out".
/// - `delivery_attempts`: every attempt with its time, duration, status, error kind, response
///   headers and the first 4 KiB of the response body.
/// - `webhook_previous_secrets`: secrets replaced by a rotation, valid until `valid_until`.
///
/// Times are seconds since 1970 (REAL). `deliveries.webhook_id` has no foreign key on purpose:
/// deleting a hook cancels its deliveries instead of deleting them, so their history stays.
public enum SchemaV2Deliveries {
    /// The schema version this migration brings the database to.
    public static let version = 2

    /// The statements of the migration, idempotent so that a half-applied run can be repeated.
    public static let sql = """
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY,
            event_id TEXT NOT NULL UNIQUE,
            event TEXT NOT NULL,
            created_at REAL NOT NULL,
            members BLOB NOT NULL,
            data BLOB
        );
        CREATE INDEX IF NOT EXISTS events_created ON events(created_at);
        CREATE TABLE IF NOT EXISTS deliveries (
            id INTEGER PRIMARY KEY,
            event_rowid INTEGER NOT NULL,
            webhook_id INTEGER NOT NULL,
            message_id TEXT NOT NULL,
            state INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at REAL NOT NULL,
            next_attempt_at REAL,
            finished_at REAL,
            last_status INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_attempt_at, webhook_id);
        CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries(webhook_id, state, created_at);
        CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries(event_rowid);
        CREATE INDEX IF NOT EXISTS deliveries_finished ON deliveries(finished_at) WHERE finished_at IS NOT NULL;
        CREATE TABLE IF NOT EXISTS delivery_attempts (
            id INTEGER PRIMARY KEY,
            delivery_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            started_at REAL NOT NULL,
            duration_ms INTEGER NOT NULL,
            status INTEGER NOT NULL,
            error_kind TEXT NOT NULL,
            error TEXT,
            response_headers TEXT NOT NULL,
            response_body TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS delivery_attempts_delivery ON delivery_attempts(delivery_id, number);
        CREATE TABLE IF NOT EXISTS webhook_previous_secrets (
            webhook_id INTEGER NOT NULL,
            secret TEXT NOT NULL,
            valid_until REAL NOT NULL
        );
        CREATE INDEX IF NOT EXISTS webhook_previous_secrets_webhook ON webhook_previous_secrets(webhook_id);
        """
}
