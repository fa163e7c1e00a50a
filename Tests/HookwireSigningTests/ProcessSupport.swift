import Foundation

/// The exit status and output of a finished child process.
struct ProcessResult {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `executable` with `arguments`, writes `input` to its standard input, and waits for it.
/// The environment is this process's, with `environment` added. Output is expected to be small.
func runProcess(
    _ executable: String, _ arguments: [String], input: [UInt8] = [], environment: [String: String] = [:]
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
    let standardInput = Pipe()
    let standardOutput = Pipe()
    let standardError = Pipe()
    process.standardInput = standardInput
    process.standardOutput = standardOutput
    process.standardError = standardError
    try process.run()
    try standardInput.fileHandleForWriting.write(contentsOf: Data(input))
    try standardInput.fileHandleForWriting.close()
    let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
    let errorOutput = standardError.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus,
        standardOutput: String(decoding: output, as: UTF8.self),
        standardError: String(decoding: errorOutput, as: UTF8.self))
}

/// The path of `python3` on PATH; the interop tests need the standardwebhooks and svix packages
/// that `scripts/setup.sh` installs.
let python3Path: String = {
    let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    for directory in directories {
        let candidate = "\(directory)/python3"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return "/usr/bin/python3"
}()

/// The interop script kept beside the tests in `Tests/interop`.
let interopScriptPath = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("interop/standard_webhooks_interop.py")
    .path

/// The built `hookwire-cli` executable in the test bundle's build directory, or nil when it was
/// not built. `HOOKWIRE_CLI` overrides the search.
let hookwireCLIPath: String? = {
    if let path = ProcessInfo.processInfo.environment["HOOKWIRE_CLI"] { return path }
    guard let testExecutable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
        return nil
    }
    let candidate = URL(fileURLWithPath: testExecutable).deletingLastPathComponent().appendingPathComponent("hookwire-cli").path
    return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
}()

func currentUnixTime() -> Int64 {
    Int64(Date().timeIntervalSince1970)
}
