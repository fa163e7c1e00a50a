#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import HookwireSigning

// The `hookwire sign` and `hookwire verify` subcommands: signatures computed and checked
// locally, with no server involved.

/// The environment variable read when no `--secret` is given, which keeps the secret out of the
/// process list.
private let secretEnvironmentVariable = "HOOKWIRE_SECRET"

private let signUsage = """
    usage: hookwire sign [--secret SECRET]... [--scheme standard|body|github] \
    [--id ID --timestamp SECONDS] [FILE]

    Prints the signature of the body in FILE, or of standard input when FILE is absent or "-".
    The body is read as raw bytes: no newline is added or removed.

    Options:
      --secret SECRET      Webhook secret. A whsec_ secret is base64-decoded to get the HMAC key;
                           any other secret is used as its UTF-8 bytes. Receivers that verify with
                           Standard Webhooks libraries need the whsec_ form. Repeat the option to
                           sign with several secrets while one is rotated (standard scheme).
                           Without it, the HOOKWIRE_SECRET environment variable is used, which
                           keeps the secret out of the process list.
      --scheme NAME        standard (default): the webhook-signature value, v1,<base64> per secret.
                           body: the base64 HMAC-SHA256 of the body (X-Hookwire-Signature).
                           github: sha256=<hex> of the body (X-Hub-Signature-256).
      --id ID              The webhook-id value. Required by the standard scheme.
      --timestamp SECONDS  The webhook-timestamp value in Unix seconds. Required by the standard
                           scheme.
      -h, --help           Print this help.

    With `hookwire --json sign`, the output is {"scheme":...,"signature":...}.

    Exit status: 0 when the signature was printed, 2 on a usage error.
    """

private let verifyUsage = """
    usage: hookwire verify [--secret SECRET]... --header 'NAME: VALUE'... \
    [--scheme standard|body|github] [--tolerance SECONDS] [FILE]

    Verifies the signature of the body in FILE, or of standard input when FILE is absent or "-",
    against the request headers given. Prints "valid" and exits 0, or prints the reason and exits 1.

    Options:
      --secret SECRET      Webhook secret. A whsec_ secret is base64-decoded to get the HMAC key;
                           any other secret is used as its UTF-8 bytes. Repeat the option to
                           accept any of several secrets. Without it, the HOOKWIRE_SECRET
                           environment variable is used, which keeps the secret out of the
                           process list.
      --header 'NAME: VALUE'
                           A request header; repeat it for each header. Names match in any case.
                           standard: webhook-id, webhook-timestamp and one or more
                           webhook-signature headers. body: X-Hookwire-Signature.
                           github: X-Hub-Signature-256.
      --scheme NAME        standard (default), body or github, as in `hookwire sign`.
      --tolerance SECONDS  How far webhook-timestamp may be from the current time, in seconds,
                           in either direction. Default: 300.
      -h, --help           Print this help.

    With `hookwire --json verify`, the output is {"valid":true}, or {"valid":false,"code":...,
    "message":...}.

    Exit status: 0 valid, 1 invalid (the reason is printed), 2 usage error.
    """

/// The signature schemes of `--scheme`.
private enum SignatureSchemeOption: String {
    case standard, body, github
}

/// A command-line mistake, reported with the usage and exit status 2.
private struct SignUsageError: Error {
    let message: String
}

/// Runs `hookwire sign` with the arguments after the subcommand and returns the exit status.
/// With `json`, the signature is printed as `{"scheme":…,"signature":…}`.
func runSignCommand(_ arguments: [String], json: Bool = false) -> Int32 {
    do {
        let options = try SignCommandOptions(
            arguments, valueFlags: ["--secret", "--scheme", "--id", "--timestamp"], usage: signUsage)
        if options.helpRequested {
            print(signUsage)
            return 0
        }
        let scheme = try options.scheme()
        let keys = try options.signingKeys()
        let body = try readBody(options.file)
        func printSignature(_ signature: String) {
            print(json ? OrderedJSON.object([("scheme", .string(scheme.rawValue)), ("signature", .string(signature))]).serialized() : signature)
        }

        switch scheme {
        case .standard:
            guard let id = options.values["--id"]?.last, !id.isEmpty else {
                throw SignUsageError(message: "the standard scheme needs --id, the webhook-id value")
            }
            guard let timestampText = options.values["--timestamp"]?.last else {
                throw SignUsageError(message: "the standard scheme needs --timestamp, the webhook-timestamp value")
            }
            guard let timestamp = parseSeconds(timestampText) else {
                throw SignUsageError(message: "--timestamp '\(timestampText)' is not an integer number of Unix seconds")
            }
            printSignature(StandardWebhooks.signatureHeaderValue(id: id, timestamp: timestamp, body: body, keys: keys))
        case .body, .github:
            guard keys.count == 1 else {
                throw SignUsageError(message: "the \(scheme.rawValue) scheme signs with one secret, \(keys.count) were given")
            }
            if options.values["--id"] != nil || options.values["--timestamp"] != nil {
                throw SignUsageError(message: "the \(scheme.rawValue) scheme signs the body only; remove --id and --timestamp")
            }
            printSignature(scheme == .body
                ? BodySignature.base64Signature(of: body, key: keys[0])
                : BodySignature.gitHubSignature(of: body, key: keys[0]))
        }
        return 0
    } catch let error as SignUsageError {
        return reportUsageError(error, command: "sign")
    } catch let error as SignatureError {
        return reportUsageError(SignUsageError(message: error.message), command: "sign")
    } catch {
        return reportUsageError(SignUsageError(message: "\(error)"), command: "sign")
    }
}

/// Runs `hookwire verify` with the arguments after the subcommand and returns the exit status.
/// With `json`, the verdict is printed as `{"valid":true}`, or with `code` and `message` when invalid.
func runVerifyCommand(_ arguments: [String], json: Bool = false) -> Int32 {
    let request: (scheme: SignatureSchemeOption, keys: [SigningKey], headers: [(name: String, value: String)],
        tolerance: Int64, body: [UInt8])
    do {
        let options = try SignCommandOptions(
            arguments, valueFlags: ["--secret", "--scheme", "--header", "--tolerance"], usage: verifyUsage)
        if options.helpRequested {
            print(verifyUsage)
            return 0
        }
        let scheme = try options.scheme()
        let keys = try options.signingKeys()
        let headers = try (options.values["--header"] ?? []).map(parseHeader)
        guard !headers.isEmpty else {
            throw SignUsageError(message: "give the request headers with --header 'NAME: VALUE'")
        }
        var tolerance = StandardWebhooks.defaultToleranceSeconds
        if let text = options.values["--tolerance"]?.last {
            guard let seconds = parseSeconds(text) else {
                throw SignUsageError(message: "--tolerance '\(text)' is not a non-negative integer number of seconds")
            }
            tolerance = seconds
        }
        request = (scheme, keys, headers, tolerance, try readBody(options.file))
    } catch let error as SignUsageError {
        return reportUsageError(error, command: "verify")
    } catch let error as SignatureError {
        return reportUsageError(SignUsageError(message: error.message), command: "verify")
    } catch {
        return reportUsageError(SignUsageError(message: "\(error)"), command: "verify")
    }

    do throws(SignatureError) {
        switch request.scheme {
        case .standard:
            let verifier = StandardWebhooksVerifier(keys: request.keys, toleranceSeconds: request.tolerance)
            try verifier.verify(headers: request.headers, body: request.body)
        case .body:
            let value = try headerValue(BodySignature.headerName, in: request.headers)
            try BodySignature.verifyBase64(value, body: request.body, keys: request.keys)
        case .github:
            let value = try headerValue(BodySignature.gitHubHeaderName, in: request.headers)
            try BodySignature.verifyGitHub(value, body: request.body, keys: request.keys)
        }
        print(json ? OrderedJSON.object([("valid", .bool(true))]).serialized() : "valid")
        return 0
    } catch {
        let code = "\(error.code)"
        if json {
            print(OrderedJSON.object([("valid", .bool(false)), ("code", .string(code)), ("message", .string(error.message))]).serialized())
        } else {
            // "invalid: CODE: MESSAGE", unless the message already starts with the code's words.
            print(error.message.hasPrefix(code) ? "invalid: \(error.message)" : "invalid: \(code): \(error.message)")
        }
        return 1
    }
}

/// Flags and the optional FILE operand of a subcommand. Flags take a value as the next argument
/// or after `=`, and may repeat.
private struct SignCommandOptions {
    var values: [String: [String]] = [:]
    var file: String?
    var helpRequested = false

    init(_ arguments: [String], valueFlags: Set<String>, usage: String) throws {
        var index = 0
        var operands: [String] = []
        var flagsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if flagsEnded || argument == "-" || !argument.hasPrefix("-") {
                operands.append(argument)
                continue
            }
            if argument == "--" {
                flagsEnded = true
                continue
            }
            if argument == "-h" || argument == "--help" {
                helpRequested = true
                continue
            }
            var name = argument
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            guard valueFlags.contains(name) else {
                throw SignUsageError(message: "unknown option \(name)")
            }
            if value == nil {
                guard index < arguments.count else {
                    throw SignUsageError(message: "\(name) needs a value")
                }
                value = arguments[index]
                index += 1
            }
            values[name, default: []].append(value!)
        }
        guard operands.count <= 1 else {
            throw SignUsageError(message: "expected at most one FILE, got \(operands.count): \(operands.joined(separator: " "))")
        }
        file = operands.first
    }

    func scheme() throws -> SignatureSchemeOption {
        guard let name = values["--scheme"]?.last else { return .standard }
        guard let scheme = SignatureSchemeOption(rawValue: name) else {
            throw SignUsageError(message: "--scheme '\(name)' is not one of standard, body, github")
        }
        return scheme
    }

    /// Returns the keys of every `--secret`, or of `HOOKWIRE_SECRET` when none is given.
    func signingKeys() throws -> [SigningKey] {
        var secrets = values["--secret"] ?? []
        if secrets.isEmpty, let pointer = getenv(secretEnvironmentVariable) {
            secrets = [String(cString: pointer)]
        }
        guard !secrets.isEmpty else {
            throw SignUsageError(message: "give the secret with --secret or the \(secretEnvironmentVariable) environment variable")
        }
        return try secrets.map { secret throws(SignatureError) in try SigningKey(secret: secret) }
    }
}

/// Reads all bytes of FILE, or of standard input for nil or "-".
private func readBody(_ path: String?) throws -> [UInt8] {
    let name = path ?? "-"
    let descriptor = name == "-" ? STDIN_FILENO : open(name, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else {
        throw SignUsageError(message: "cannot open \(name): \(String(cString: strerror(errno)))")
    }
    defer { if descriptor != STDIN_FILENO { close(descriptor) } }

    var body: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count == 0 { return body }
        if count < 0 {
            if errno == EINTR { continue }
            throw SignUsageError(message: "cannot read \(name == "-" ? "standard input" : name): \(String(cString: strerror(errno)))")
        }
        body.append(contentsOf: chunk[0..<count])
    }
}

/// Splits `NAME: VALUE` at the first colon; spaces and tabs around the value are dropped.
private func parseHeader(_ text: String) throws -> (name: String, value: String) {
    guard let colon = text.firstIndex(of: ":") else {
        throw SignUsageError(message: "--header '\(text.prefix(80))' is not in the form 'NAME: VALUE'")
    }
    let name = text[..<colon].trimmingCharacters(in: " \t")
    guard !name.isEmpty else {
        throw SignUsageError(message: "--header '\(text.prefix(80))' has an empty name")
    }
    return (name, text[text.index(after: colon)...].trimmingCharacters(in: " \t"))
}

/// Returns the value of the first header named `name` in any letter case.
private func headerValue(_ name: String, in headers: [(name: String, value: String)]) throws(SignatureError) -> String {
    guard let header = headers.first(where: { $0.name.lowercased() == name.lowercased() }) else {
        throw SignatureError(.missingHeader, "missing header \(name)")
    }
    return header.value
}

/// Parses a non-negative integer of ASCII digits.
private func parseSeconds(_ text: String) -> Int64? {
    guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
        return nil
    }
    return Int64(text)
}

private func reportUsageError(_ error: SignUsageError, command: String) -> Int32 {
    writeStandardError("hookwire \(command): \(error.message)\nRun 'hookwire \(command) --help' for usage.\n")
    return 2
}

/// Writes `text` to standard error, unbuffered.
private func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { return }
            offset += written
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        let set = Set(characters)
        guard let first = firstIndex(where: { !set.contains($0) }) else { return "" }
        let last = lastIndex(where: { !set.contains($0) })!
        return String(self[first...last])
    }
}
