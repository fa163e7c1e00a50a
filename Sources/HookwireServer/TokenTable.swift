import HookwireCore
import Foundation

/// The access tokens a server accepts, each naming the application that presents it.
///
/// A token file has one entry per line: the token, then white space, then the application name,
/// such as `k3J9xQ2mWb7rT4vZ crm-sync`. Blank lines and lines starting with `#` are ignored. A
/// token must be at least 16 characters long and may appear only once; an application name is
/// one word and may have several tokens. The application name becomes the caller's
/// `applicationToken`, so hooks saved by one application can be changed only by clients
/// presenting one of that application's tokens.
public struct TokenTable: Sendable {
    /// The shortest token accepted, so that a token cannot be guessed by trying.
    public static let minimumTokenLength = 16

    /// One accepted token and the application it names.
    struct Entry: Sendable {
        var token: [UInt8]
        var application: String
    }

    let entries: [Entry]

    /// The number of tokens in the table.
    public var count: Int { entries.count }

    /// Creates a table from token and application-name pairs.
    ///
    /// - Throws: `HookwireError.invalidArgument` for a token shorter than
    ///   `minimumTokenLength`, a duplicate token or an empty application name. The message
    ///   names the application, never the token.
    public init(tokens: [(token: String, application: String)]) throws {
        var entries: [Entry] = []
        var seen = Set<String>()
        for (index, pair) in tokens.enumerated() {
            try Self.validate(token: pair.token, application: pair.application, place: "token \(index + 1)")
            guard seen.insert(pair.token).inserted else {
                throw HookwireError.invalidArgument(
                    "token \(index + 1) (application \(pair.application)) repeats an earlier token")
            }
            entries.append(Entry(token: Array(pair.token.utf8), application: pair.application))
        }
        self.entries = entries
    }

    /// Parses the text of a token file.
    ///
    /// - Throws: `HookwireError.invalidArgument` naming the line number of a malformed line.
    public init(parsing text: String) throws {
        var pairs: [(token: String, application: String)] = []
        var seen = Set<String>()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count == 2 else {
                throw HookwireError.invalidArgument(
                    "line \(index + 1) of the token file has \(fields.count) fields; expected TOKEN APPLICATION-NAME")
            }
            let token = String(fields[0])
            let application = String(fields[1])
            try Self.validate(token: token, application: application, place: "line \(index + 1) of the token file")
            guard seen.insert(token).inserted else {
                throw HookwireError.invalidArgument(
                    "line \(index + 1) of the token file repeats an earlier token (application \(application))")
            }
            pairs.append((token, application))
        }
        try self.init(tokens: pairs)
    }

    /// Reads and parses a token file.
    ///
    /// - Throws: `HookwireError.invalidArgument` when the file cannot be read or a line is
    ///   malformed.
    public init(contentsOfFile path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw HookwireError.invalidArgument("cannot read token file \(path): \(reason)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw HookwireError.invalidArgument("token file \(path) is not UTF-8 text")
        }
        do {
            try self.init(parsing: text)
        } catch let error as HookwireError {
            throw HookwireError(error.code, "\(path): \(error.message)")
        }
    }

    private static func validate(token: String, application: String, place: String) throws {
        guard token.utf8.count >= minimumTokenLength else {
            throw HookwireError.invalidArgument(
                "\(place) has a token of \(token.utf8.count) characters; tokens need at least \(minimumTokenLength)")
        }
        guard !application.isEmpty else {
            throw HookwireError.invalidArgument("\(place) has no application name")
        }
    }

    /// Returns the application name of a presented token, or nil when no entry matches.
    ///
    /// The comparison takes the same time whichever entry matches and wherever a mismatch
    /// starts: every entry is compared over its whole length.
    public func application(presenting token: some Collection<UInt8>) -> String? {
        var match: String?
        for entry in entries where Self.constantTimeEquals(entry.token, token) {
            match = entry.application
        }
        return match
    }

    /// Compares two byte strings in time that depends only on the lengths.
    static func constantTimeEquals(_ expected: [UInt8], _ presented: some Collection<UInt8>) -> Bool {
        var difference = UInt(bitPattern: expected.count ^ presented.count)
        var index = 0
        for byte in presented {
            let expectedByte = index < expected.count ? expected[index] : 0
            difference |= UInt(expectedByte ^ byte)
            index += 1
        }
        return difference == 0
    }
}
