import Foundation
import HookwireClient
import HookwireCore

/// The `publish` subcommand: one event from options, or many from a JSON Lines file.
enum PublishCommand {
    /// The maximum number of events per batch call when publishing a file. A batch contains fewer
    /// when more would make its request longer than the server's maximum frame size.
    static let batchSize = 500
    /// Batch calls in flight at once on the connection.
    static let batchesInFlight = 4

    static let command = Command(
        name: "publish",
        summary: "Publish one event, or every event of a JSON Lines file in batches.",
        synopsis:
            "publish EVENT [--entity ENTITY] [--primary-key ID] [--changes A,B] [--data JSON] | publish --file EVENTS.jsonl",
        details: """
              EVENT               the event name, such as contact.created
              --entity ENTITY     the entity that changed (default: EVENT up to its first `.`)
              --primary-key ID    the id of the row that changed
              --changes A,B       names of the columns that changed
              --data JSON         free JSON data added to the delivery body under Data;
                                  @PATH reads it from a file and - from standard input, for
                                  data longer than a command line allows
              --file PATH         publish each line of PATH, a JSON object with the keys event,
                                  entity, primaryKey, changes, fieldValues, changedByAssociateId,
                                  contextIdentifier and data (only event is required). Every line
                                  is checked before the first one is sent, against the server's
                                  payload limit too, and batches are sized to fit the server's
                                  maximum frame size. When the server still rejects
                                  an event, no further batch is sent and the error names its line
                                  and the lines already published. On a terminal a progress line
                                  is shown on standard error.
            """,
        options: [.value("entity"), .value("primary-key"), .value("changes"), .value("data"), .value("file")],
        run: { context, arguments in
            if let path = arguments.value("file") {
                for option in ["entity", "primary-key", "changes", "data"] where arguments.has(option) {
                    throw UsageError("option --\(option) cannot be combined with --file", command: "publish")
                }
                _ = try arguments.requirePositionals()
                try await publishFile(path: path, context: context)
                return
            }
            let event = try arguments.requirePositionals("EVENT")[0]
            var publication = EventPublication(event: event, entity: arguments.value("entity"))
            publication.primaryKey = try arguments.integer("primary-key") ?? 0
            publication.changes = arguments.list("changes") ?? []
            if let option = arguments.value("data") {
                let data = try dataText(option)
                do {
                    publication.data = try JSONValue(parsing: data)
                } catch let error as HookwireError {
                    throw UsageError("option --data needs JSON: \(error.message)", command: "publish")
                }
            }
            let result = try await context.client().publish(publication)
            context.emit(
                json: .object([
                    ("eventId", .string(result.eventId)), ("matchedWebhooks", .integer(Int64(result.matchedWebhooks))),
                ]),
                human: "published event \(result.eventId) to \(result.matchedWebhooks) webhook(s)\n")
        })

    /// Returns the JSON text that `--data` names: the value itself, the contents of the file
    /// after `@`, or standard input for `-`. JSON text never starts with `@` and is never `-`.
    /// - Throws: `CommandFailure` naming a file that cannot be read.
    static func dataText(_ option: String) throws -> String {
        if option == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        guard option.hasPrefix("@") else { return option }
        let path = String(option.dropFirst())
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read --data file \(path): no such file or not readable")
        }
        return String(decoding: contents, as: UTF8.self)
    }
}
