import HookwireCore

/// The SQL text of the webhook store. Each distinct text is one cached prepared statement.
enum WebhookSQL {
    static let insert = """
        INSERT INTO webhooks (name, target_url, type, secret, state, headers, properties, application_token,
            description, registered, registered_associate_id, updated, updated_associate_id)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
        """
    static let update = """
        UPDATE webhooks SET name = ?1, target_url = ?2, type = ?3, secret = ?4, state = ?5, headers = ?6,
            properties = ?7, application_token = ?8, description = ?9, registered = ?10,
            registered_associate_id = ?11, updated = ?12, updated_associate_id = ?13
        WHERE id = ?14
        """
    static let delete = "DELETE FROM webhooks WHERE id = ?1"
    static let insertEvent = "INSERT OR IGNORE INTO webhook_events (event, webhook_id, position) VALUES (?1, ?2, ?3)"
    static let deleteEvents = "DELETE FROM webhook_events WHERE webhook_id = ?1"
    static let insertUsage = "INSERT INTO webhook_usage (webhook_id) VALUES (?1)"
    static let updateState = "UPDATE webhooks SET state = ?1 WHERE id = ?2"
    static let replaceUsage = """
        INSERT OR REPLACE INTO webhook_usage
            (webhook_id, total_calls, total_errors, consecutive_errors, last_error, last_error_at)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)
        """
    static let selectUsage = """
        SELECT w.state, COALESCE(u.total_calls, 0), COALESCE(u.total_errors, 0), COALESCE(u.consecutive_errors, 0),
            u.last_error, u.last_error_at
        FROM webhooks w LEFT JOIN webhook_usage u ON u.webhook_id = w.id
        WHERE w.id = ?1
        """

    /// The columns `SQLiteWebhookStore.decodeWebhook` reads, in its order. The last one is the
    /// hook's events as a JSON array in their listed order.
    static let columns = """
        w.id, w.name, w.target_url, w.type, w.secret, w.state, w.headers, w.properties, w.application_token,
        w.description, w.registered, w.registered_associate_id, w.updated, w.updated_associate_id,
        (SELECT json_group_array(event) FROM
            (SELECT event FROM webhook_events WHERE webhook_id = w.id ORDER BY position))
        """
    static let selectById = "SELECT \(columns) FROM webhooks w WHERE w.id = ?1"

    /// Returns the list query for the filters that are set. Parameters: ?1 after-id, ?2 name,
    /// ?3 application token, ?4 state, ?5 to ?7 event patterns, ?8 limit. Unused parameters stay
    /// NULL, and the 16 combinations give 16 cached statements at most.
    static func list(_ filter: WebhookFilter) -> String {
        var sql = "SELECT \(columns) FROM webhooks w WHERE w.id > ?1"
        if filter.name != nil { sql += " AND w.name = ?2" }
        if filter.applicationToken != nil { sql += " AND w.application_token = ?3" }
        if filter.state != .unknown { sql += " AND w.state = ?4" }
        if filter.event != nil {
            sql += " AND w.id IN (SELECT webhook_id FROM webhook_events WHERE event IN (?5, ?6, ?7))"
        }
        return sql + " ORDER BY w.id LIMIT ?8"
    }
}

extension SQLiteWebhookStore {
    /// Decodes the current row of a statement selecting `WebhookSQL.columns`.
    /// - Throws: `corruptDatabase` when a JSON column cannot be parsed.
    static func decodeWebhook(_ row: SQLiteStatement, path: String) throws -> Webhook {
        let id = row.int64(0)
        let headers = try decodeObject(row.string(6), column: "headers", id: id, path: path)
        let properties = try decodeObject(row.string(7), column: "properties", id: id, path: path)
        let eventList = try decodeJSON(row.string(14), column: "webhook_events", id: id, path: path)

        var headerStrings: [String: String] = [:]
        for (name, value) in headers {
            guard case .string(let text) = value else {
                throw corrupt("header \(name) is not a string", id: id, path: path)
            }
            headerStrings[name] = text
        }
        var events: [String] = []
        if case .array(let items) = eventList {
            for case .string(let event) in items { events.append(event) }
        }

        return Webhook(
            id: id,
            name: row.string(1),
            events: events,
            targetURL: row.string(2),
            type: row.string(3),
            secret: row.optionalString(4),
            state: WebhookState(rawValue: Int32(truncatingIfNeeded: row.int64(5))) ?? .unknown,
            headers: headerStrings,
            properties: properties,
            applicationToken: row.optionalString(8),
            description: row.string(9),
            registered: row.date(10),
            registeredAssociateId: row.int64(11),
            updated: row.date(12),
            updatedAssociateId: row.int64(13))
    }

    private static func decodeObject(_ text: String, column: String, id: Int64, path: String) throws -> [String: JSONValue] {
        guard case .object(let members) = try decodeJSON(text, column: column, id: id, path: path) else {
            throw corrupt("column \(column) is not a JSON object", id: id, path: path)
        }
        return members
    }

    private static func decodeJSON(_ text: String, column: String, id: Int64, path: String) throws -> JSONValue {
        do {
            return try JSONValue(parsing: text)
        } catch let error as HookwireError {
            throw corrupt("column \(column): \(error.message)", id: id, path: path)
        }
    }

    private static func corrupt(_ detail: String, id: Int64, path: String) -> HookwireError {
        HookwireError(.corruptDatabase, "webhook \(id) in \(path) is damaged: \(detail)")
    }
}

extension WebhookRegistry {
    /// Opens a registry on the SQLite database at `path` (`hookwire.db` in the working
    /// directory by default, or `:memory:`), creating and migrating it when needed.
    /// - Throws: the errors of `SQLiteDatabase.init(path:options:)`.
    public static func openSQLite(
        path: String = SQLiteDatabase.defaultPath, configuration: RegistryConfiguration = .init()
    ) throws -> WebhookRegistry {
        WebhookRegistry(store: try SQLiteWebhookStore(path: path), configuration: configuration)
    }
}
