import Foundation
import HookwireCore

// How each record is shown: `json` for scripts (keys fixed, one object per record) and tables or
// field lists for people. Secrets appear only where a caller passes `includingSecret`.

extension Webhook {
    /// The webhook as a JSON object with the keys `id name targetUrl events type state appToken
    /// headers properties description registered updated`, plus `secret` only when asked.
    func json(includingSecret: Bool = false) -> OrderedJSON {
        var members: [(String, OrderedJSON)] = [
            ("id", .integer(id)),
            ("name", .string(name)),
            ("targetUrl", .string(targetURL)),
            ("events", .array(events.map(OrderedJSON.string))),
            ("type", .string(type)),
            ("state", .string(state.name)),
            ("appToken", .optional(applicationToken)),
            ("headers", .object(headers.keys.sorted().map { ($0, .string(headers[$0]!)) })),
            ("properties", OrderedJSON(.object(properties))),
            ("description", .string(description)),
            ("registered", .date(registered)),
            ("updated", .date(updated)),
        ]
        if includingSecret {
            members.append(("secret", .optional(secret)))
        }
        return .object(members)
    }

    /// Renders the webhook's fields for people, one per line.
    func fieldList(includingSecret: Bool = false) -> String {
        var fields = FieldList()
        fields.append("id", String(id))
        fields.append("name", name)
        fields.append("url", targetURL)
        fields.append("events", events.joined(separator: ","))
        fields.append("type", type)
        fields.append("state", state.name)
        fields.append("app token", applicationToken ?? "-")
        for key in headers.keys.sorted() {
            fields.append("header", "\(key): \(headers[key]!)")
        }
        for key in properties.keys.sorted() {
            fields.append("property", "\(key)=\(properties[key]!.serializedString())")
        }
        fields.append("description", description)
        fields.append("registered", formatTimestamp(registered))
        fields.append("updated", formatTimestamp(updated))
        if includingSecret, let secret {
            fields.append("secret", secret)
        }
        return fields.rendered()
    }
}

/// Renders a table of webhooks, one per row, without secrets.
func webhookTable(_ webhooks: [Webhook]) -> String {
    var table = Table("ID", "NAME", "STATE", "EVENTS", "URL")
    for webhook in webhooks {
        table.append(
            String(webhook.id), webhook.name, webhook.state.name, webhook.events.joined(separator: ","),
            webhook.targetURL)
    }
    return table.rendered()
}

extension Delivery {
    /// The delivery as a JSON object.
    var json: OrderedJSON {
        .object([
            ("id", .integer(id)),
            ("messageId", .string(messageId)),
            ("webhookId", .integer(webhookId)),
            ("eventId", .string(eventId)),
            ("event", .string(event)),
            ("state", .string(state.name)),
            ("attempts", .integer(Int64(attempts))),
            ("createdAt", .date(createdAt)),
            ("nextAttemptAt", .date(nextAttemptAt)),
            ("lastStatus", .integer(Int64(lastStatus))),
            ("lastError", .optional(lastError)),
        ])
    }
}

/// Renders a table of deliveries, one per row.
func deliveryTable(_ deliveries: [Delivery]) -> String {
    var table = Table("ID", "WEBHOOK", "EVENT", "STATE", "ATTEMPTS", "STATUS", "CREATED", "LAST ERROR")
    for delivery in deliveries {
        table.append(
            String(delivery.id), String(delivery.webhookId), delivery.event, delivery.state.name,
            String(delivery.attempts), delivery.lastStatus == 0 ? "-" : String(delivery.lastStatus),
            formatTimestamp(delivery.createdAt), delivery.lastError ?? "")
    }
    return table.rendered()
}

extension DeliveryAttempt {
    /// The attempt as a JSON object.
    var json: OrderedJSON {
        .object([
            ("deliveryId", .integer(deliveryId)),
            ("number", .integer(Int64(number))),
            ("startedAt", .date(startedAt)),
            ("durationMs", .integer(durationMilliseconds)),
            ("status", .integer(Int64(status))),
            ("errorKind", .string(errorKind.rawValue)),
            ("error", .optional(error)),
            ("responseHeaders", .string(responseHeaders)),
            ("responseBody", .string(responseBody)),
        ])
    }
}

/// Renders a table of attempts, one per row.
func attemptTable(_ attempts: [DeliveryAttempt]) -> String {
    var table = Table("NUMBER", "STARTED", "DURATION", "STATUS", "ERROR KIND", "ERROR")
    for attempt in attempts {
        table.append(
            String(attempt.number), formatTimestamp(attempt.startedAt), "\(attempt.durationMilliseconds) ms",
            attempt.status == 0 ? "-" : String(attempt.status), attempt.errorKind.rawValue, attempt.error ?? "")
    }
    return table.rendered()
}

extension DeliveryOutcome {
    /// The outcome as a JSON object with the delivery and the attempt that just ended.
    var json: OrderedJSON {
        .object([("delivery", delivery.json), ("attempt", attempt.json)])
    }

    /// One line for people: time, delivery, webhook, event, attempt, status and state.
    var line: String {
        let status = attempt.status == 0 ? attempt.errorKind.rawValue : String(attempt.status)
        var text = "\(formatTimestamp(attempt.startedAt))  delivery \(delivery.id)  webhook \(delivery.webhookId)  "
        text += "\(delivery.event)  attempt \(attempt.number)  \(status)  \(delivery.state.name)"
        if let error = attempt.error, !error.isEmpty {
            text += "  \(error)"
        }
        return text
    }
}

extension EngineStats {
    /// The counters as (JSON key, label for people, value) triples, in display order.
    var counters: [(key: String, label: String, value: Int64)] {
        [
            ("webhooks", "webhooks", webhooks),
            ("activeWebhooks", "active webhooks", activeWebhooks),
            ("eventsPublished", "events published", eventsPublished),
            ("deliveriesPending", "deliveries pending", deliveriesPending),
            ("deliveriesInFlight", "deliveries in flight", deliveriesInFlight),
            ("deliveriesSucceeded", "deliveries succeeded", deliveriesSucceeded),
            ("deliveriesFailed", "deliveries failed", deliveriesFailed),
            ("deliveriesHeld", "deliveries held", deliveriesHeld),
            ("attemptsMade", "attempts made", attemptsMade),
        ]
    }

    var json: OrderedJSON {
        .object(counters.map { ($0.key, .integer($0.value)) })
    }

    var fieldList: String {
        var fields = FieldList()
        for counter in counters {
            fields.append(counter.label, String(counter.value))
        }
        return fields.rendered()
    }
}
