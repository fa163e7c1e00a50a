import Foundation
import HookwireSigning
import Testing

/// Runs the built `hookwire-cli` executable end to end.
@Suite(.enabled(if: hookwireCLIPath != nil, "hookwire-cli is not built in the test bundle's directory"))
struct SignCommandTests {
    let cli = hookwireCLIPath ?? "/nonexistent"

    func run(_ arguments: [String], input: [UInt8] = [], secret: String? = nil) throws -> ProcessResult {
        try runProcess(cli, arguments, input: input, environment: secret.map { ["HOOKWIRE_SECRET": $0] } ?? [:])
    }

    func writeTemporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("hookwire-sign-\(UUID().uuidString).body").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func signPrintsSpecificationVectorFromFile() throws {
        let path = try writeTemporaryFile(Array(SpecificationVector.body.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run([
            "sign", "--secret", SpecificationVector.secret, "--id", SpecificationVector.id,
            "--timestamp", String(SpecificationVector.timestamp), path,
        ])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == SpecificationVector.signature + "\n")
    }

    @Test func signReadsStandardInputExactly() throws {
        let body = binaryBody + [0x0A]
        let result = try run(
            ["sign", "--id", "msg_stdin", "--timestamp", "1700000000"], input: body, secret: SpecificationVector.secret)
        let expected = StandardWebhooks.signatureHeaderValue(
            id: "msg_stdin", timestamp: 1_700_000_000, body: body, key: try makeKey())
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput == expected + "\n")
    }

    @Test func signBodyAndGitHubSchemes() throws {
        let input = Array("Hello, World!".utf8)
        let secret = "It's a Secret to Everybody"
        let gitHub = try run(["sign", "--scheme", "github", "--secret", secret], input: input)
        #expect(gitHub.status == 0)
        #expect(gitHub.standardOutput == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17\n")

        let body = try run(["sign", "--scheme=body"], input: input, secret: secret)
        #expect(body.status == 0)
        #expect(body.standardOutput == "dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=\n")
    }

    @Test func signWithTwoSecretsPrintsRotationList() throws {
        let second = try SigningSecret.generate()
        let result = try run(
            ["sign", "--secret", SpecificationVector.secret, "--secret", second, "--id", "m", "--timestamp", "1"],
            input: [0x7B, 0x7D])
        #expect(result.status == 0)
        let entries = result.standardOutput.dropLast().split(separator: " ")
        #expect(entries.count == 2)
        for entry in entries {
            #expect(entry.hasPrefix("v1,"), "entry \(entry)")
            #expect(entry.count == 47, "entry \(entry)")
        }
    }

    @Test func signThenVerifyRoundTrip() throws {
        let secret = try SigningSecret.generate()
        let body = Array(emojiBody.utf8)
        let timestamp = String(currentUnixTime())
        let signed = try run(["sign", "--id", "msg_cli", "--timestamp", timestamp], input: body, secret: secret)
        try #require(signed.status == 0, "\(signed.standardError)")
        let signature = signed.standardOutput.trimmingCharacters(in: .newlines)

        let headers = [
            "--header", "Webhook-Id: msg_cli", "--header", "webhook-timestamp: \(timestamp)",
            "--header", "webhook-signature: v2,ignored",
            "--header", "WEBHOOK-SIGNATURE: \(signature)",
        ]
        let verified = try run(["verify"] + headers, input: body, secret: secret)
        #expect(verified.status == 0, "\(verified.standardOutput) \(verified.standardError)")
        #expect(verified.standardOutput == "valid\n")

        let tampered = try run(["verify"] + headers, input: body + [0x20], secret: secret)
        #expect(tampered.status == 1)
        #expect(tampered.standardOutput.hasPrefix("invalid: no matching signature: "))
    }

    @Test func verifyReportsEachReason() throws {
        let secret = SpecificationVector.secret
        let body = Array(SpecificationVector.body.utf8)
        let id = "webhook-id: \(SpecificationVector.id)"
        let timestamp = "webhook-timestamp: \(SpecificationVector.timestamp)"
        let signature = "webhook-signature: \(SpecificationVector.signature)"

        let cases: [(headers: [String], extra: [String], output: String)] = [
            ([id, timestamp], [], "invalid: missing header webhook-signature"),
            ([timestamp, signature], [], "invalid: missing header webhook-id"),
            ([id, "webhook-timestamp: 16142653.30", signature], [], "invalid: invalid timestamp: "),
            ([id, timestamp, signature], [], "invalid: timestamp too old: "),
            ([id, "webhook-timestamp: 99999999999", signature], [], "invalid: timestamp too new: "),
        ]
        for testCase in cases {
            let arguments = ["verify"] + testCase.headers.flatMap { ["--header", $0] } + testCase.extra
            let result = try run(arguments, input: body, secret: secret)
            #expect(result.status == 1, "headers \(testCase.headers)")
            #expect(result.standardOutput.hasPrefix(testCase.output), "output \(result.standardOutput)")
        }
    }

    @Test func verifyHonoursTolerance() throws {
        let secret = try SigningSecret.generate()
        let timestamp = String(currentUnixTime() - 600)
        let signed = try run(["sign", "--id", "msg_old", "--timestamp", timestamp], input: [], secret: secret)
        let signature = signed.standardOutput.trimmingCharacters(in: .newlines)
        let headers = [
            "--header", "webhook-id: msg_old", "--header", "webhook-timestamp: \(timestamp)",
            "--header", "webhook-signature: \(signature)",
        ]
        let strict = try run(["verify"] + headers, secret: secret)
        #expect(strict.status == 1)
        #expect(strict.standardOutput.hasPrefix("invalid: timestamp too old: "))

        let lenient = try run(["verify", "--tolerance", "3600"] + headers, secret: secret)
        #expect(lenient.status == 0)
        #expect(lenient.standardOutput == "valid\n")
    }

    @Test func verifyBodySchemes() throws {
        let input = Array("Hello, World!".utf8)
        let secret = "It's a Secret to Everybody"
        let gitHub = try run(
            ["verify", "--scheme", "github", "--header",
             "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"],
            input: input, secret: secret)
        #expect(gitHub.status == 0)
        #expect(gitHub.standardOutput == "valid\n")

        let body = try run(
            ["verify", "--scheme", "body", "--header", "x-hookwire-signature: dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc="],
            input: input + [0x0A], secret: secret)
        #expect(body.status == 1)
        #expect(body.standardOutput.hasPrefix("invalid: no matching signature: "))

        let missing = try run(["verify", "--scheme", "body", "--header", "a: b"], input: input, secret: secret)
        #expect(missing.status == 1)
        #expect(missing.standardOutput == "invalid: missing header X-Hookwire-Signature\n")
    }

    @Test func jsonOutputForScripts() throws {
        let signed = try run([
            "--json", "sign", "--secret", SpecificationVector.secret, "--id", SpecificationVector.id,
            "--timestamp", String(SpecificationVector.timestamp),
        ], input: Array(SpecificationVector.body.utf8))
        #expect(signed.status == 0, "\(signed.standardError)")
        #expect(signed.standardOutput == #"{"scheme":"standard","signature":"\#(SpecificationVector.signature)"}"# + "\n")

        let input = Array("Hello, World!".utf8)
        let secret = "It's a Secret to Everybody"
        let valid = try run(
            ["--json", "verify", "--scheme", "body", "--header", "x-hookwire-signature: dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc="],
            input: input, secret: secret)
        #expect(valid.status == 0)
        #expect(valid.standardOutput == #"{"valid":true}"# + "\n")

        let missing = try run(["--json", "verify", "--scheme", "body", "--header", "a: b"], input: input, secret: secret)
        #expect(missing.status == 1)
        #expect(
            missing.standardOutput
                == #"{"valid":false,"code":"missing header","message":"missing header X-Hookwire-Signature"}"# + "\n")
    }

    @Test func usageErrorsExitWithStatus2() throws {
        let cases: [(arguments: [String], message: String)] = [
            (["sign", "--id", "m", "--timestamp", "1"], "give the secret with --secret or the HOOKWIRE_SECRET"),
            (["sign", "--secret", "s", "--timestamp", "1"], "needs --id"),
            (["sign", "--secret", "s", "--id", "m", "--timestamp", "1.5"], "--timestamp '1.5' is not an integer"),
            (["sign", "--secret", "s", "--scheme", "sha1"], "--scheme 'sha1' is not one of standard, body, github"),
            (["sign", "--secret", "whsec_AAAA", "--id", "m", "--timestamp", "1"], "decodes to 3 bytes, fewer than the minimum of 24"),
            (["sign", "--secret", "s", "--bogus"], "unknown option --bogus"),
            (["sign", "--secret", "s", "--id", "m", "--timestamp", "1", "/nonexistent/body"], "cannot open /nonexistent/body"),
            (["verify", "--secret", "s"], "give the request headers with --header"),
            (["verify", "--secret", "s", "--header", "no colon"], "is not in the form 'NAME: VALUE'"),
            (["verify", "--secret", "s", "--header", "a: b", "--tolerance", "-1"], "--tolerance '-1' is not"),
            (["frobnicate"], "usage: hookwire"),
        ]
        for testCase in cases {
            let result = try run(testCase.arguments)
            #expect(result.status == 2, "arguments \(testCase.arguments)")
            #expect(result.standardError.contains(testCase.message), "stderr \(result.standardError)")
            #expect(result.standardOutput.isEmpty)
        }
    }

    @Test func secretNeverAppearsInErrors() throws {
        let secret = "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="
        let result = try run(["sign", "--id", "m", "--timestamp", "1"], secret: secret)
        #expect(result.status == 2)
        #expect(!result.standardError.contains("c2VjcmV0"))
    }

    @Test func helpDocumentsSecretEnvironmentVariable() throws {
        for command in ["sign", "verify"] {
            let result = try run([command, "--help"])
            #expect(result.status == 0)
            #expect(result.standardOutput.contains("HOOKWIRE_SECRET"))
            #expect(result.standardOutput.contains("whsec_"))
        }
    }
}
