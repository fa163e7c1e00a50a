import Foundation
import Testing

/// Kills a publishing process with SIGKILL in the middle of a fan-out, restarts it on the same
/// database, and checks that every (event, hook) pair reached the receiver at least once.
@Suite(.serialized) struct CrashRecoveryTests {
    /// The helper executable, built next to the test bundle.
    static let helper = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("hookwire-crashtest").path

    /// Starts the helper and returns it with a reader of its standard output.
    func launch(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.helper)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        return (process, output)
    }

    @Test func killedFanOutIsDeliveredAfterRestart() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.helper), "missing \(Self.helper)")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try Receiver(directory: directory)
        let database = directory.appendingPathComponent("crash.db").path
        let hooks = 10
        let events = 30

        // Each request takes 50 ms, so the fan-out of 300 deliveries is mid-way when killed.
        let (publisher, output) = try launch(["publish", database, receiver.url("/crash?delay=0.05"), "\(hooks)", "\(events)"])
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        #expect(line.hasPrefix("published"))
        receiver.waitFor(path: "/crash", count: 40, timeout: 20)
        kill(publisher.processIdentifier, SIGKILL)
        publisher.waitUntilExit()
        #expect(publisher.terminationReason == .uncaughtSignal)
        let beforeRestart = Set(receiver.requests(path: "/crash").compactMap { $0.headers["webhook-id"] })
        #expect(beforeRestart.count < hooks * events, "the fan-out finished before the kill")

        let (drainer, drained) = try launch(["drain", database])
        let deadline = Date().addingTimeInterval(90)
        while drainer.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if drainer.isRunning {
            kill(drainer.processIdentifier, SIGKILL)
            Issue.record("the restarted process did not drain within 90 seconds")
        }
        drainer.waitUntilExit()
        #expect(String(decoding: drained.fileHandleForReading.availableData, as: UTF8.self).contains("drained"))

        var pairs: Set<String> = []
        for request in receiver.requests(path: "/crash") {
            let json = request.json
            guard let eventId = json["EventId"] as? String, let name = json["WebhookName"] as? String else { continue }
            pairs.insert(eventId + "|" + name)
        }
        #expect(pairs.count == hooks * events)
        #expect(Set(pairs.map { $0.split(separator: "|")[0] }).count == events)
    }
}
