import Foundation

/// Options that apply to every subcommand: where the server is, the token and the output form.
struct GlobalOptions: Sendable {
    /// The server address, `HOST:PORT`.
    var server = "127.0.0.1:7600"
    /// The token sent in the handshake, or nil to send none.
    var token: String?
    /// True to print JSON for scripts instead of tables for people.
    var json = false
    /// True when `--help` or `-h` was given.
    var help = false
    var version = false

    /// The default server when neither `--server` nor `HOOKWIRE_SERVER` is set.
    static let defaultServer = "127.0.0.1:7600"

    /// Removes `--server`, `--token`, `--json` and `--help` from anywhere before a lone `--`, and
    /// returns the options and the remaining arguments. The environment supplies
    /// `HOOKWIRE_SERVER` and `HOOKWIRE_TOKEN`; flags override it.
    /// - Throws: `UsageError` when `--server` or `--token` has no value.
    static func extract(
        from arguments: [String], environment: [String: String]
    ) throws -> (GlobalOptions, [String]) {
        var options = GlobalOptions()
        if let server = environment["HOOKWIRE_SERVER"], !server.isEmpty { options.server = server }
        if let token = environment["HOOKWIRE_TOKEN"], !token.isEmpty { options.token = token }

        var remaining: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                remaining.append(contentsOf: arguments[(index - 1)...])
                break
            }
            switch argument {
            case "--json":
                options.json = true
            case "--help", "-h":
                options.help = true
            case "--version":
                options.version = true
            case "--server", "--token":
                guard index < arguments.count else { throw UsageError("option \(argument) needs a value") }
                if argument == "--server" { options.server = arguments[index] } else { options.token = arguments[index] }
                index += 1
            case _ where argument.hasPrefix("--server="):
                options.server = String(argument.dropFirst("--server=".count))
            case _ where argument.hasPrefix("--token="):
                options.token = String(argument.dropFirst("--token=".count))
            default:
                remaining.append(argument)
            }
        }
        return (options, remaining)
    }
}
