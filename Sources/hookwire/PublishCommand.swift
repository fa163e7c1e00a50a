import Foundation
import HookwireClient
import HookwireCore

/// The `publish` subcommand: one event from options, or many from a JSON Lines file.
enum PublishCommand {
    /// Events sent per batch call when publishing a file.
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
                                  is checked before the first one is sent. On a terminal a
                                  progress line is shown on standard error.
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

    /// Reads and checks every line, then publishes them in batches with a few batches in flight.
    private static func publishFile(path: String, context: CommandContext) async throws {
        let events = try readEvents(path: path)
        let client = try context.client()
        let showsProgress = isatty(STDERR_FILENO) == 1
        let batches = stride(from: 0, to: events.count, by: batchSize).map {
            Array(events[$0..<min($0 + batchSize, events.count)])
        }

        var published = 0
        var matched = 0
        try await withThrowingTaskGroup(of: [PublishResult].self) { group in
            var next = 0
            while next < min(batchesInFlight, batches.count) {
                let batch = batches[next]
                group.addTask { try await client.publishBatch(batch) }
                next += 1
            }
            while let results = try await group.next() {
                published += results.count
                matched += results.reduce(0) { $0 + $1.matchedWebhooks }
                if showsProgress {
                    context.writeError("\rpublished \(published)/\(events.count) events")
                }
                if next < batches.count {
                    let batch = batches[next]
                    group.addTask { try await client.publishBatch(batch) }
                    next += 1
                }
            }
        }
        if showsProgress {
            context.writeError("\n")
        }
        context.emit(
            json: .object([("events", .integer(Int64(published))), ("matchedWebhooks", .integer(Int64(matched)))]),
            human: "published \(published) events, \(matched) deliveries queued\n")
    }

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

    /// Parses a JSON Lines file of events. Blank lines are skipped.
    /// - Throws: `CommandFailure` naming the file and line of the first bad event.
    static func readEvents(path: String) throws -> [EventPublication] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read \(path): no such file or not readable")
        }
        var events: [EventPublication] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                events.append(try eventPublication(from: JSONValue(parsing: Array(line))))
            } catch let error as HookwireError {
                throw CommandFailure(message: "\(path) line \(lineNumber): \(error.message)")
            }
        }
        return events
    }

    /// Converts one JSON object of an events file into a publication.
    static func eventPublication(from value: JSONValue) throws -> EventPublication {
        guard case .object(let object) = value else {
            throw HookwireError.invalidArgument("expected a JSON object")
        }
        guard case .string(let event)? = object["event"], !event.isEmpty else {
            throw HookwireError.invalidArgument("missing \"event\" (a non-empty string)")
        }
        var publication = EventPublication(event: event)
        if let entity = object["entity"] {
            guard case .string(let text) = entity else { throw HookwireError.invalidArgument("\"entity\" must be a string") }
            publication.entity = text
        }
        if let key = object["primaryKey"] {
            guard case .integer(let number) = key else {
                throw HookwireError.invalidArgument("\"primaryKey\" must be an integer")
            }
            publication.primaryKey = number
        }
        if let changes = object["changes"] {
            guard case .array(let items) = changes else {
                throw HookwireError.invalidArgument("\"changes\" must be an array of strings")
            }
            publication.changes = try items.map {
                guard case .string(let name) = $0 else {
                    throw HookwireError.invalidArgument("\"changes\" must be an array of strings")
                }
                return name
            }
        }
        if let fields = object["fieldValues"] {
            guard case .object(let values) = fields else {
                throw HookwireError.invalidArgument("\"fieldValues\" must be an object")
            }
            publication.fieldValues = values
        }
        if let associate = object["changedByAssociateId"] {
            guard case .integer(let number) = associate else {
                throw HookwireError.invalidArgument("\"changedByAssociateId\" must be an integer")
            }
            publication.changedByAssociateId = number
        }
        if let contextIdentifier = object["contextIdentifier"] {
            guard case .string(let text) = contextIdentifier else {
                throw HookwireError.invalidArgument("\"contextIdentifier\" must be a string")
            }
            publication.contextIdentifier = text
        }
        if let data = object["data"] {
            publication.data = data
        }
        return publication
    }
}
