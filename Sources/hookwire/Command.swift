import Foundation
import HookwireClient
import HookwireCore
import Synchronization

/// One subcommand: its name, usage text, options and body.
struct Command: Sendable {
    var name: String
    /// One line for the overview.
    var summary: String
    /// The synopsis, such as `get ID`.
    var synopsis: String
    /// Lines that explain each argument and option, shown by `--help`.
    var details: String
    var options: [OptionSpec]
    var run: @Sendable (CommandContext, ParsedArguments) async throws -> Void

    /// The usage text `--help` prints, and that follows a usage error.
    var usage: String {
        var text = "usage: hookwire [--server HOST:PORT] [--token TOKEN] [--json] \(synopsis)\n\n\(summary)\n"
        if !details.isEmpty {
            text += "\n" + details + "\n"
        }
        return text
    }
}

/// The environment of a running subcommand: the global options, a client made on first use and
/// the output streams.
final class CommandContext: Sendable {
    let options: GlobalOptions
    /// The client, once made.
    private let connectedClient = Mutex<HookwireClient?>(nil)

    init(options: GlobalOptions) {
        self.options = options
    }

    /// Returns the client for `--server` and `--token`, creating it on first use.
    /// - Throws: `UsageError` when the server address is malformed.
    func client() throws -> HookwireClient {
        try connectedClient.withLock { connectedClient in
            if let connectedClient { return connectedClient }
            let configuration: HookwireClient.Configuration
            do {
                configuration = try HookwireClient.Configuration(server: options.server, token: options.token)
            } catch let error as HookwireError {
                throw UsageError(error.message)
            }
            let client = HookwireClient(configuration: configuration)
            connectedClient = client
            return client
        }
    }

    /// Closes the client, if one was made.
    func close() {
        connectedClient.withLock { $0?.close() }
    }

    /// Prints `json` with `--json`, otherwise `human`.
    func emit(json: @autoclosure () -> OrderedJSON, human: @autoclosure () -> String) {
        if options.json {
            writeOutput(json().serialized() + "\n")
        } else {
            writeOutput(human())
        }
    }

    /// Writes text to standard output as is.
    func writeOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes text to standard error as is.
    func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
