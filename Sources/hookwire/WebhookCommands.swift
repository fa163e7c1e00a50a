import Foundation
import HookwireClient
import HookwireCore

/// Subcommands that create, read, change and delete webhooks.
enum WebhookCommands {
    static let all: [Command] = [save, get, list, delete, test, lastError, rotateSecret]

    static let save = Command(
        name: "save",
        summary: "Create a webhook, or change one with --id. Prints the stored hook; a new hook's secret is printed once.",
        synopsis:
            "save [--id ID] [--name NAME] [--url URL] [--events A,B] [--type TYPE] [--state STATE] [--secret SECRET] [--header K=V]... [--remove-header K]... [--property K=V]... [--remove-property K]... [--app-token TOKEN] [--description TEXT]",
        details: """
              --id ID             change this hook; only the options given are changed
              --name NAME         a label for people
              --url URL           the target, an absolute http or https URL for type webhook
              --events A,B        event names, comma-separated; `*` and `contact.*` are patterns
              --type TYPE         the delivery plugin (default webhook)
              --state STATE       Active, Stopped or TooManyErrors
              --secret SECRET     the signing secret (default: a generated whsec_ secret)
              --header K=V        an HTTP header sent with every delivery; repeatable
              --remove-header K   drop a header of the hook, in any letter case; repeatable
              --property K=V      a key added to every delivery body, V parsed as JSON when it
                                  is valid JSON and kept as a string otherwise; repeatable
              --remove-property K drop a property of the hook; repeatable
              --app-token TOKEN   the owning application's token; '' clears it
              --description TEXT  free text
            """,
        options: [
            .value("id"), .value("name"), .value("url"), .value("events"), .value("type"), .value("state"),
            .value("secret"), .repeated("header"), .repeated("remove-header"), .repeated("property"),
            .repeated("remove-property"), .value("app-token"), .value("description"),
        ],
        run: { context, arguments in
            _ = try arguments.requirePositionals()
            let client = try context.client()
            var webhook: Webhook
            if let id = try arguments.integer("id") {
                webhook = try await client.get(id: id)
            } else {
                webhook = Webhook(name: "", events: [], targetURL: "")
            }
            let isNew = webhook.id == 0
            try apply(arguments, to: &webhook)
            let saved = try await client.save(webhook)
            context.emit(
                json: saved.json(includingSecret: isNew),
                human: saved.fieldList(includingSecret: isNew))
        })

    /// Copies the options given on the command line into `webhook`.
    private static func apply(_ arguments: ParsedArguments, to webhook: inout Webhook) throws {
        if let name = arguments.value("name") { webhook.name = name }
        if let url = arguments.value("url") { webhook.targetURL = url }
        if let events = arguments.list("events") { webhook.events = events }
        if let type = arguments.value("type") { webhook.type = type }
        if let stateName = arguments.value("state") {
            guard let state = WebhookState(name: stateName), state != .unknown else {
                throw UsageError(
                    "option --state needs Active, Stopped or TooManyErrors, got \"\(stateName)\"", command: "save")
            }
            webhook.state = state
        }
        if let secret = arguments.value("secret") { webhook.secret = secret }
        let removedHeaders = Set(arguments.allValues("remove-header").map { $0.lowercased() })
        webhook.headers = webhook.headers.filter { !removedHeaders.contains($0.key.lowercased()) }
        for key in arguments.allValues("remove-property") { webhook.properties[key] = nil }
        if arguments.has("header") {
            webhook.headers.merge(try arguments.keyValuePairs("header")) { _, new in new }
        }
        if arguments.has("property") {
            for (key, text) in try arguments.keyValuePairs("property") {
                webhook.properties[key] = (try? JSONValue(parsing: text)) ?? .string(text)
            }
        }
        // An empty token clears the stored one. Without the option the token is nil, which keeps it.
        if let token = arguments.value("app-token") { webhook.applicationToken = token }
        if let description = arguments.value("description") { webhook.description = description }
    }

    static let get = Command(
        name: "get", summary: "Print one webhook, without its secret.", synopsis: "get ID", details: "",
        options: [],
        run: { context, arguments in
            let id = try arguments.requireId()
            let webhook = try await context.client().get(id: id)
            context.emit(json: webhook.json(), human: webhook.fieldList())
        })

    static let list = Command(
        name: "list",
        summary: "List webhooks, ordered by id, without secrets. Filters combine with AND.",
        synopsis: "list [--name NAME] [--event EVENT] [--app-token TOKEN] [--state STATE]",
        details: """
              --name NAME         exact name
              --event EVENT       hooks that listen to EVENT, directly or through a pattern
              --app-token TOKEN   hooks of this application
              --state STATE       Active, Stopped or TooManyErrors
            """,
        options: [.value("name"), .value("event"), .value("app-token"), .value("state")],
        run: { context, arguments in
            _ = try arguments.requirePositionals()
            var filter = WebhookFilter(
                name: arguments.value("name"), event: arguments.value("event"),
                applicationToken: arguments.value("app-token"))
            if let stateName = arguments.value("state") {
                guard let state = WebhookState(name: stateName) else {
                    throw UsageError(
                        "option --state needs Active, Stopped or TooManyErrors, got \"\(stateName)\"", command: "list")
                }
                filter.state = state
            }
            let webhooks = try await context.client().listAll(filter)
            context.emit(json: .array(webhooks.map { $0.json() }), human: webhookTable(webhooks))
        })

    static let delete = Command(
        name: "delete", summary: "Delete a webhook and cancel its pending deliveries.", synopsis: "delete ID",
        details: "", options: [],
        run: { context, arguments in
            let id = try arguments.requireId()
            try await context.client().delete(id: id)
            context.emit(
                json: .object([("id", .integer(id)), ("deleted", .bool(true))]),
                human: "deleted webhook \(id)\n")
        })

    static let test = Command(
        name: "test",
        summary: "Send a test (PING) delivery to a webhook now and print the outcome. Exits 1 when it failed.",
        synopsis: "test ID", details: "", options: [],
        run: { context, arguments in
            let id = try arguments.requireId()
            let result = try await context.client().test(id: id)
            let summary = "test of webhook \(id) \(result.succeeded ? "succeeded" : "failed"): \(result.message)"
            if result.succeeded || context.options.json {
                context.emit(
                    json: .object([
                        ("id", .integer(id)), ("succeeded", .bool(result.succeeded)),
                        ("permanentFailure", .bool(result.permanentFailure)), ("message", .string(result.message)),
                    ]),
                    human: summary + "\n")
            }
            if !result.succeeded {
                throw CommandFailure(message: summary)
            }
        })

    static let lastError = Command(
        name: "last-error", summary: "Print the text of a webhook's latest failed call.", synopsis: "last-error ID",
        details: "", options: [],
        run: { context, arguments in
            let id = try arguments.requireId()
            let text = try await context.client().lastError(id: id)
            context.emit(
                json: .object([("id", .integer(id)), ("lastError", .optional(text))]),
                human: (text ?? "webhook \(id) has no failed call") + "\n")
        })

    static let rotateSecret = Command(
        name: "rotate-secret",
        summary:
            "Give a webhook a new generated secret and print it. The old secret stays valid for the overlap period, and deliveries carry both signatures meanwhile.",
        synopsis: "rotate-secret ID [--overlap SECONDS]",
        details: """
              --overlap SECONDS   how long the old secret stays valid (default: the server's
                                  --secret-overlap, 24 hours unless configured)
            """,
        options: [.value("overlap")],
        run: { context, arguments in
            let id = try arguments.requireId()
            var overlap: Duration? = nil
            if let seconds = try arguments.integer("overlap") {
                guard seconds > 0 else {
                    throw UsageError("option --overlap needs a positive number of seconds, got \(seconds)", command: "rotate-secret")
                }
                overlap = .seconds(seconds)
            }
            let rotation = try await context.client().rotateSecret(id: id, overlap: overlap)
            var members: [(String, OrderedJSON)] = [("id", .integer(id)), ("secret", .string(rotation.secret))]
            members.append(("previousSecretExpires", .date(rotation.previousSecretExpires)))
            var human = "new secret of webhook \(id): \(rotation.secret)\n"
            if let expires = rotation.previousSecretExpires {
                human += "the previous secret stays valid until \(formatTimestamp(expires))\n"
            }
            context.emit(json: .object(members), human: human)
        })
}

/// A call that completed but whose outcome means failure, such as a failed test delivery. The
/// tool exits with status 1 and prints the message, if any, to standard error.
struct CommandFailure: Error {
    var message: String?
}
