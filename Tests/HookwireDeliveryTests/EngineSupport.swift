import Foundation
import Hookwire
import Testing

/// A secret that the Python receiver and Hookwire both accept.
let testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

/// An engine on a fresh database in a temporary directory, with a receiver on loopback.
final class EngineFixture {
    let directory: URL
    let receiver: Receiver
    var engine: HookwireEngine

    init(
        secrets: [String] = [testSecret],
        configure: (inout HookwireEngine.Configuration) -> Void = { _ in }
    ) throws {
        directory = try makeTemporaryDirectory()
        receiver = try Receiver(secrets: secrets, directory: directory)
        engine = try HookwireEngine.open(EngineFixture.configuration(directory: directory, configure))
    }

    static func configuration(
        directory: URL, _ configure: (inout HookwireEngine.Configuration) -> Void
    ) -> HookwireEngine.Configuration {
        var configuration = HookwireEngine.Configuration(
            databasePath: directory.appendingPathComponent("hookwire.db").path)
        configuration.allowedRanges = ["127.0.0.0/8"]
        configuration.retrySchedule = RetrySchedule(delays: [0.2, 0.2, 0.2], jitter: 0)
        configuration.requestTimeout = 5
        configuration.leaseDuration = 10
        configure(&configuration)
        return configuration
    }

    deinit {
        engine.shutdown(timeout: 1)
        receiver.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Saves an active HTTP hook listening to `events` that posts to `path` on the receiver.
    @discardableResult
    func hook(_ path: String, events: [String] = ["contact.created"], name: String = "test hook") throws -> Webhook {
        try engine.registry.save(
            Webhook(name: name, events: events, targetURL: receiver.url(path), secret: testSecret))
    }

    func publish(_ event: String = "contact.created", primaryKey: Int64 = 1) throws -> PublishResult {
        try engine.publish(EventPublication(event: event, primaryKey: primaryKey, fieldValues: ["name": "Nordlys"]))
    }

    func deliveries(of hook: Webhook) throws -> [Delivery] {
        try engine.deliveries(DeliveryFilter(webhookId: hook.id))
    }

    /// Waits until every delivery of the hook is in `state`, or `timeout` seconds pass.
    @discardableResult
    func waitForDeliveries(of hook: Webhook, count: Int = 1, state: DeliveryState, timeout: Double = 10) throws
        -> [Delivery]
    {
        var last: [Delivery] = []
        try eventually(timeout: timeout) {
            last = try deliveries(of: hook)
            return last.count == count && last.allSatisfy { $0.state == state }
        }
        return last
    }
}
