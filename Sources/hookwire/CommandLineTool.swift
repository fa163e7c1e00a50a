import Foundation
import HookwireCore

/// The `hookwire` command line: global options, dispatch to a subcommand, and exit statuses
/// (0 success, 1 a failed call with the server's message on standard error, 2 a usage error).
enum CommandLineTool {
    static let commands: [Command] =
        WebhookCommands.all + [PublishCommand.command] + DeliveryCommands.all

    /// Subcommands that parse their own arguments and return their own exit status.
    static let externalCommands: [ExternalCommand] = [
        ExternalCommand(
            name: "sign", summary: "Print the signature of a payload (see `hookwire sign --help`).",
            run: { runSignCommand($0, json: $1) }),
        ExternalCommand(
            name: "verify", summary: "Verify a delivery's signature headers (see `hookwire verify --help`).",
            run: { runVerifyCommand($0, json: $1) }),
    ]

    /// A subcommand that parses its own arguments and returns its own exit status. It gets the
    /// arguments after its name, and whether `--json` came before it.
    struct ExternalCommand: Sendable {
        var name: String
        var summary: String
        var run: @Sendable ([String], Bool) -> Int32
    }

    static var overview: String {
        var text = """
            usage: hookwire [--server HOST:PORT] [--token TOKEN] [--json] COMMAND [ARGUMENTS]

            A command-line client of a hookwired server.

              --server HOST:PORT  the server (default $HOOKWIRE_SERVER, else \(GlobalOptions.defaultServer))
              --token TOKEN       the token sent when connecting (default $HOOKWIRE_TOKEN)
              --json              print JSON for scripts instead of tables
              --version           print the version and exit

            commands:

            """
        let width = (commands.map(\.name) + externalCommands.map(\.name)).map(\.count).max() ?? 0
        for (name, summary) in commands.map({ ($0.name, $0.summary) }) + externalCommands.map({ ($0.name, $0.summary) }) {
            let firstSentence = summary.split(separator: ".", maxSplits: 1).first.map { $0 + "." } ?? Substring(summary)
            text += "  " + name + String(repeating: " ", count: width - name.count + 2) + firstSentence + "\n"
        }
        text += "\nRun `hookwire COMMAND --help` for the arguments of one command.\n"
        return text
    }

    /// Runs the tool and returns its exit status.
    static func run(arguments: [String], environment: [String: String]) async -> Int32 {
        if let position = commandPosition(in: arguments),
            let external = externalCommands.first(where: { $0.name == arguments[position] })
        {
            return external.run(Array(arguments[(position + 1)...]), arguments[..<position].contains("--json"))
        }

        let options: GlobalOptions
        var remaining: [String]
        do {
            (options, remaining) = try GlobalOptions.extract(from: arguments, environment: environment)
        } catch {
            writeError("hookwire: \(error)\n\n\(overview)")
            return 2
        }
        guard !remaining.isEmpty else {
            if options.version {
                FileHandle.standardOutput.write(Data("hookwire \(HookwireVersion.string)\n".utf8))
                return 0
            }
            if options.help {
                FileHandle.standardOutput.write(Data(overview.utf8))
                return 0
            }
            writeError("hookwire: missing command\n\n\(overview)")
            return 2
        }
        let name = remaining.removeFirst()
        if name == "help" {
            FileHandle.standardOutput.write(Data(overview.utf8))
            return 0
        }
        guard let command = commands.first(where: { $0.name == name }) else {
            let kind = name.hasPrefix("-") ? "option" : "command"
            writeError("hookwire: unknown \(kind) \"\(name)\"\n\n\(overview)")
            return 2
        }
        if options.help {
            FileHandle.standardOutput.write(Data(command.usage.utf8))
            return 0
        }

        let context = CommandContext(options: options)
        defer { context.close() }
        do {
            let parsed = try ParsedArguments(remaining, options: command.options, command: name)
            try await command.run(context, parsed)
            return 0
        } catch let error as UsageError {
            writeError("hookwire \(name): \(error.message)\n\n\(command.usage)")
            return 2
        } catch let error as CommandFailure {
            if let message = error.message {
                writeError("hookwire \(name): \(message)\n")
            }
            return 1
        } catch let error as HookwireError {
            writeError("hookwire \(name): \(error.message)\n")
            return 1
        } catch {
            writeError("hookwire \(name): \(error)\n")
            return 1
        }
    }

    /// Returns the index of the subcommand name: the first word that is neither a global option
    /// nor the value of one.
    private static func commandPosition(in arguments: [String]) -> Int? {
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--server", "--token": index += 2
            case let argument where argument.hasPrefix("-"): index += 1
            default: return index
            }
        }
        return nil
    }

    private static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
