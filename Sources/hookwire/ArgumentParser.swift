import Foundation

/// A command-line mistake: an unknown option, a missing value, a value of the wrong form. The
/// tool prints the message and the command's usage and exits with status 2.
struct UsageError: Error, Sendable, CustomStringConvertible {
    var message: String
    /// The subcommand whose usage is printed, or nil for the tool's overview.
    var command: String?

    init(_ message: String, command: String? = nil) {
        self.message = message
        self.command = command
    }

    var description: String { message }
}

/// One `--name` option a subcommand accepts.
struct OptionSpec: Sendable {
    var name: String
    /// True for `--name VALUE`, false for a switch such as `--json`.
    var takesValue: Bool
    /// True when the option may be given more than once (`--header K=V --header K=V`).
    var isRepeatable: Bool

    static func value(_ name: String) -> OptionSpec { OptionSpec(name: name, takesValue: true, isRepeatable: false) }
    static func repeated(_ name: String) -> OptionSpec { OptionSpec(name: name, takesValue: true, isRepeatable: true) }
    static func flag(_ name: String) -> OptionSpec { OptionSpec(name: name, takesValue: false, isRepeatable: false) }
}

/// The options and positional arguments of one subcommand, after parsing.
struct ParsedArguments: Sendable {
    var command: String
    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// Parses `--name VALUE`, `--name=VALUE`, switches and positional arguments. A lone `--`
    /// ends the options, so later words are positional even when they start with `-`.
    /// - Throws: `UsageError` for an unknown option, a missing value, or a repeated option that
    ///   may appear only once.
    init(_ arguments: [String], options: [OptionSpec], command: String) throws {
        self.command = command
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("--") || argument == "-" {
                if argument == "--" && !optionsEnded {
                    optionsEnded = true
                } else {
                    positionals.append(argument)
                }
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String?
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            guard let spec = options.first(where: { $0.name == name }) else {
                throw UsageError("unknown option --\(name) for `\(command)`", command: command)
            }
            if !spec.takesValue {
                guard inlineValue == nil else {
                    throw UsageError("option --\(name) takes no value", command: command)
                }
                flags.insert(name)
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
            } else {
                guard index < arguments.count else {
                    throw UsageError("option --\(name) needs a value", command: command)
                }
                value = arguments[index]
                index += 1
            }
            if !spec.isRepeatable, values[name] != nil {
                throw UsageError("option --\(name) is given twice", command: command)
            }
            values[name, default: []].append(value)
        }
    }

    /// Returns the value of a single-valued option, or nil when it was not given.
    func value(_ name: String) -> String? { values[name]?.last }

    /// Returns every value of a repeatable option, in the order given.
    func allValues(_ name: String) -> [String] { values[name] ?? [] }

    /// True when a switch or an option with a value was given.
    func has(_ name: String) -> Bool { flags.contains(name) || values[name] != nil }

    /// Parses the value of an option as an integer. Returns nil when the option was not given.
    /// - Throws: `UsageError` when the value is not an integer.
    func integer(_ name: String) throws -> Int64? {
        guard let text = value(name) else { return nil }
        guard let number = Int64(text) else {
            throw UsageError("option --\(name) needs an integer, got \"\(text)\"", command: command)
        }
        return number
    }

    /// Checks that exactly `count` positional arguments were given and returns them.
    /// - Parameter names: the placeholders shown in the error, such as `ID`.
    func requirePositionals(_ names: String...) throws -> [String] {
        guard positionals.count == names.count else {
            if positionals.count < names.count {
                throw UsageError("missing \(names[positionals.count])", command: command)
            }
            throw UsageError("unexpected argument \"\(positionals[names.count])\"", command: command)
        }
        return positionals
    }

    /// Parses the single positional argument as an id, such as a webhook or delivery id.
    func requireId(_ name: String = "ID") throws -> Int64 {
        let text = try requirePositionals(name)[0]
        guard let id = Int64(text), id > 0 else {
            throw UsageError("\(name) must be a positive integer, got \"\(text)\"", command: command)
        }
        return id
    }

    /// Parses `K=V` pairs of a repeatable option into a dictionary.
    /// - Throws: `UsageError` naming a pair without `=` or with an empty key.
    func keyValuePairs(_ name: String) throws -> [String: String] {
        var pairs: [String: String] = [:]
        for pair in allValues(name) {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw UsageError("option --\(name) needs KEY=VALUE, got \"\(pair)\"", command: command)
            }
            pairs[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return pairs
    }

    /// Splits a comma-separated list, dropping blanks: `a, b,` gives `["a", "b"]`.
    func list(_ name: String) -> [String]? {
        value(name).map { text in
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }
}
