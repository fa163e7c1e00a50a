import Foundation
import Testing

/// The Python receiver (`receiver.py` next to this file), run as a child process on loopback.
final class Receiver: @unchecked Sendable {
    /// One request the receiver recorded.
    struct Request {
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        /// Per configured secret: whether the Standard Webhooks signature verified.
        var standard: [Bool]
        /// Per configured secret: whether the body-only signature verified.
        var bodyOnly: [Bool]
        var received: Double
        var index: Int

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        }
    }

    let process = Process()
    let port: Int
    let logURL: URL

    static let scriptPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("receiver.py").path

    init(secrets: [String] = [], directory: URL) throws {
        logURL = directory.appendingPathComponent("receiver-\(UUID().uuidString).jsonl")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Receiver.scriptPath, "--log", logURL.path] + secrets.flatMap { ["--secret", $0] }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening "), let port = Int(text.dropFirst(10).prefix { $0.isNumber }) else {
            kill(process.processIdentifier, SIGKILL)
            throw ReceiverError.startFailed(text)
        }
        self.port = port
    }

    deinit { stop() }

    func stop() {
        // The test runner starts children with SIGTERM blocked, so only SIGKILL stops them.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The URL of a path on this receiver, such as `url("/a?status=503")`.
    func url(_ pathAndQuery: String) -> String { "http://127.0.0.1:\(port)\(pathAndQuery)" }

    /// Every request recorded so far, oldest first.
    func requests() -> [Request] {
        guard let data = FileManager.default.contents(atPath: logURL.path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return nil }
            return Request(
                path: object["path"] as? String ?? "",
                headers: object["headers"] as? [String: String] ?? [:],
                body: Array(Data(base64Encoded: object["body"] as? String ?? "") ?? Data()),
                standard: object["standard"] as? [Bool] ?? [],
                bodyOnly: object["body_only"] as? [Bool] ?? [],
                received: object["received"] as? Double ?? 0,
                index: object["index"] as? Int ?? 0)
        }
    }

    func requests(path: String) -> [Request] { requests().filter { $0.path == path } }

    /// Waits until `path` has received at least `count` requests, or `timeout` seconds pass.
    @discardableResult
    func waitFor(path: String, count: Int, timeout: Double = 10) -> [Request] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let found = requests(path: path)
            if found.count >= count || Date() >= deadline { return found }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

enum ReceiverError: Error {
    case startFailed(String)
}

/// A fresh temporary directory, removed by the caller.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("hookwire-delivery-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Polls `condition` every 50 ms until it is true or `timeout` seconds pass, and returns its last value.
@discardableResult
func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.05)
    }
}
