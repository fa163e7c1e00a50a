import Foundation
import Hookwire
import HookwireDelivery
import Synchronization
import Testing

/// A plugin that records what it receives and returns a fixed result.
final class RecordingPlugin: WebhookPlugin {
    let typeName: String
    let answer: WebhookResult
    let received = Mutex<[PluginDelivery]>([])

    init(typeName: String, answer: WebhookResult = .success) {
        self.typeName = typeName
        self.answer = answer
    }

    func deliver(_ delivery: PluginDelivery) -> WebhookResult {
        received.withLock { $0.append(delivery) }
        return answer
    }
}

/// A system plugin that uses the default storage but broadcasts through a plugin.
struct ReplacingSystemPlugin: SystemWebhookPlugin {
    var name: String { "Replacement" }
    var priority: Int
    let broadcastPlugin: RecordingPlugin

    var broadcaster: (any WebhookPlugin)? { broadcastPlugin }

    func openStorage(databasePath: String) throws -> SystemStorage {
        try DefaultSystemWebhookPlugin().openStorage(databasePath: databasePath)
    }
}

@Suite(.serialized) struct PluginTests {
    @Test func pluginTypeMatchesCaseInsensitively() throws {
        let plugin = RecordingPlugin(typeName: "CrmScript")
        let fixture = try EngineFixture { $0.plugins = [plugin] }
        let hook = try fixture.engine.registry.save(
            Webhook(name: "script", events: ["sale.sold"], targetURL: "OnSaleSold", type: "crmscript"))
        _ = try fixture.publish("sale.sold", primaryKey: 7)
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        let delivery = try #require(plugin.received.withLock { $0.first })
        #expect(delivery.webhook.id == hook.id)
        #expect(delivery.event == "sale.sold")
        #expect(delivery.attempt == 0)
        let json = try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any]
        #expect(json?["PrimaryKey"] as? Int == 7)
        #expect(fixture.engine.pluginTypes == ["crmscript", "webhook"])
    }

    @Test func unknownTypeCannotBeSaved() throws {
        let fixture = try EngineFixture()
        #expect(throws: HookwireError.self) {
            try fixture.engine.registry.save(
                Webhook(name: "x", events: ["a.b"], targetURL: "anything", type: "carrier-pigeon"))
        }
        try fixture.engine.register(plugin: RecordingPlugin(typeName: "Carrier-Pigeon"))
        let saved = try fixture.engine.registry.save(
            Webhook(name: "x", events: ["a.b"], targetURL: "anything", type: "carrier-pigeon"))
        #expect(saved.id > 0)
        #expect(throws: HookwireError.self) { try fixture.engine.register(plugin: RecordingPlugin(typeName: "webhook")) }
    }

    @Test func pluginPermanentFailureDisablesHook() throws {
        let plugin = RecordingPlugin(
            typeName: "queue", answer: WebhookResult(succeeded: false, permanentFailure: true, message: "queue deleted"))
        let fixture = try EngineFixture { $0.plugins = [plugin] }
        let hook = try fixture.engine.registry.save(
            Webhook(name: "q", events: ["a.b"], targetURL: "orders", type: "Queue"))
        _ = try fixture.publish("a.b")
        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .failed).first)
        #expect(delivery.lastError == "queue deleted")
        #expect(try eventually { try fixture.engine.registry.get(id: hook.id)?.state == .tooManyErrors })
    }

    @Test func lowestPrioritySystemPluginWins() throws {
        let broadcast = RecordingPlugin(typeName: "webhook")
        let other = RecordingPlugin(typeName: "webhook")
        let fixture = try EngineFixture {
            $0.systemPlugins = [
                ReplacingSystemPlugin(priority: 10, broadcastPlugin: other),
                ReplacingSystemPlugin(priority: 5, broadcastPlugin: broadcast),
            ]
        }
        #expect(fixture.engine.systemPluginName == "Replacement")
        let hook = try fixture.hook("/never")
        _ = try fixture.publish()
        try fixture.waitForDeliveries(of: hook, state: .succeeded)
        #expect(broadcast.received.withLock { $0.count } == 1)
        #expect(other.received.withLock { $0.count } == 0)
        #expect(fixture.receiver.requests(path: "/never").isEmpty)

        let plain = try EngineFixture()
        #expect(plain.engine.systemPluginName == "Default")
    }
}
