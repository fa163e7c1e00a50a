import Foundation
import HookwireClient
import HookwireCore

/// Subcommands about deliveries, their attempts and the engine's counters.
enum DeliveryCommands {
    static let all: [Command] = [deliveries, attempts, redeliver, stats, watch]

    static let deliveries = Command(
        name: "deliveries",
        summary: "List deliveries, ordered by id.",
        synopsis: "deliveries [--webhook ID] [--state STATE]",
        details: """
              --webhook ID        deliveries of this webhook
              --state STATE       pending, in-flight, succeeded, failed, held or cancelled
            """,
        options: [.value("webhook"), .value("state")],
        run: { context, arguments in
            _ = try arguments.requirePositionals()
            var filter = DeliveryFilter(webhookId: try arguments.integer("webhook"))
            if let stateName = arguments.value("state") {
                guard let state = DeliveryState(name: stateName) else {
                    let names = DeliveryState.allCases.map(\.name).joined(separator: ", ")
                    throw UsageError("option --state needs one of \(names), got \"\(stateName)\"", command: "deliveries")
                }
                filter.state = state
            }
            let deliveries = try await context.client().listAllDeliveries(filter)
            context.emit(json: .array(deliveries.map(\.json)), human: deliveryTable(deliveries))
        })

    static let attempts = Command(
        name: "attempts", summary: "List the attempts of one delivery.", synopsis: "attempts DELIVERY", details: "",
        options: [],
        run: { context, arguments in
            let id = try arguments.requireId("DELIVERY")
            let attempts = try await context.client().attempts(deliveryId: id)
            context.emit(json: .array(attempts.map(\.json)), human: attemptTable(attempts))
        })

    static let redeliver = Command(
        name: "redeliver",
        summary: "Send deliveries again: one by id (whatever its outcome), or every failed one of a webhook since a time.",
        synopsis: "redeliver DELIVERY | redeliver --webhook ID --since TIME",
        details: """
              DELIVERY            the id of one delivery; its webhook must be Active
              --webhook ID        the webhook whose failed deliveries are queued again
              --since TIME        deliveries created at or after TIME, ISO 8601 such as
                                  2026-12-04T09:00:00Z, or seconds since 1970
            """,
        options: [.value("webhook"), .value("since")],
        run: { context, arguments in
            let client = try context.client()
            let count: Int
            if arguments.has("webhook") || arguments.has("since") {
                _ = try arguments.requirePositionals()
                guard let webhookId = try arguments.integer("webhook"), let sinceText = arguments.value("since") else {
                    throw UsageError("options --webhook and --since go together", command: "redeliver")
                }
                guard let since = parseTimestamp(sinceText) else {
                    throw UsageError(
                        "option --since needs an ISO 8601 time or seconds since 1970, got \"\(sinceText)\"",
                        command: "redeliver")
                }
                count = try await client.redeliver(webhookId: webhookId, since: since)
            } else {
                let id = try arguments.requireId("DELIVERY")
                count = try await client.redeliver(deliveryId: id)
            }
            context.emit(
                json: .object([("redelivered", .integer(Int64(count)))]),
                human: "queued \(count) deliver\(count == 1 ? "y" : "ies") again\n")
        })

    static let stats = Command(
        name: "stats", summary: "Print the engine's counters.", synopsis: "stats", details: "", options: [],
        run: { context, arguments in
            _ = try arguments.requirePositionals()
            let stats = try await context.client().stats()
            context.emit(json: stats.json, human: stats.fieldList)
        })

    static let watch = Command(
        name: "watch",
        summary:
            "Print delivery outcomes as they happen, one line each (one JSON object per line with --json), until interrupted.",
        synopsis: "watch [--webhook ID]",
        details: """
              --webhook ID        only outcomes of this webhook
            """,
        options: [.value("webhook")],
        run: { context, arguments in
            _ = try arguments.requirePositionals()
            let webhookId = try arguments.integer("webhook")
            for try await outcome in try context.client().watch(webhookId: webhookId) {
                context.emit(json: outcome.json, human: outcome.line + "\n")
            }
        })
}
