import Foundation
import HookwireCore

/// One event of a JSON Lines file and the line it came from.
struct FileEvent: Sendable {
    /// The 1-based line number in the file.
    var line: Int
    var publication: EventPublication
}

/// Reading and checking a JSON Lines file of events for `publish --file`.
extension PublishCommand {
    /// Parses a JSON Lines file of events and checks each one with the rules the server applies
    /// to a published event (`EventValidation`), so that a bad line stops the command before
    /// anything is sent. Blank lines are skipped. The maximum event payload size is configured
    /// on the server and not known here, so only the server rejects an event over it.
    /// - Throws: `CommandFailure` naming the file and line of the first bad event.
    static func readEvents(path: String) throws -> [FileEvent] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(message: "cannot read \(path): no such file or not readable")
        }
        var events: [FileEvent] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                let publication = try eventPublication(from: JSONValue(parsing: Array(line)))
                try EventValidation.validate(publication)
                try EventValidation.validateCallerEvent(publication.event)
                events.append(FileEvent(line: lineNumber, publication: publication))
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
