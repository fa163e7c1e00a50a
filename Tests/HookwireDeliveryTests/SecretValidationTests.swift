import Foundation
@testable import Hookwire
import HookwireSQLite
import Testing

/// Secrets that cannot sign: rejected on save, and never the cause of an unsigned request.
@Suite(.serialized) struct SecretValidationTests {
    @Test func unusableSecretsRejectedOnSave() throws {
        let fixture = try EngineFixture()
        for secret in ["whsec_!!!", "whsec_AAAA", "whsec_"] {
            let error = #expect(throws: HookwireError.self) {
                try fixture.engine.registry.save(
                    Webhook(name: "bad", events: ["*"], targetURL: fixture.receiver.url("/bad"), secret: secret))
            }
            #expect(error?.code == .invalidArgument)
            #expect(error?.message.hasPrefix("invalid secret: the whsec_ secret") == true, "\(String(describing: error))")
            // The message names the rule, never the secret. The bare prefix is in every message.
            if secret != "whsec_" { #expect(error?.message.contains(secret) == false) }
        }
        #expect(try fixture.engine.registry.list().isEmpty)

        // A secret without the whsec_ prefix is used as raw key bytes, so any one can sign.
        let plain = try fixture.engine.registry.save(
            Webhook(name: "plain", events: ["*"], targetURL: fixture.receiver.url("/plain"), secret: "shared words"))
        let rotation = #expect(throws: HookwireError.self) {
            try fixture.engine.rotateSecret(webhookId: plain.id, to: "whsec_AAAA")
        }
        #expect(rotation?.code == .invalidArgument)
        #expect(try fixture.engine.registry.get(id: plain.id)?.secret == "shared words")
    }

    @Test func storedUnusableSecretSendsNothing() throws {
        let fixture = try EngineFixture()
        let hook = try fixture.hook("/unsigned")
        // A row written before secrets were checked on save.
        let store = try SQLiteWebhookStore(path: fixture.directory.appendingPathComponent("hookwire.db").path)
        _ = try store.update(id: hook.id) { existing in
            var changed = existing
            changed.secret = "whsec_AAAA"
            return changed
        }

        let ping = try fixture.engine.test(webhookId: hook.id)
        #expect(!ping.succeeded)
        #expect(ping.message.contains("webhook \(hook.id) has an unusable secret"), "\(ping.message)")
        #expect(ping.message.hasSuffix("no request was sent"))

        _ = try fixture.publish()
        let delivery = try #require(try fixture.waitForDeliveries(of: hook, state: .failed).first)
        let attempt = try #require(try fixture.engine.attempts(deliveryId: delivery.id).first)
        #expect(attempt.errorKind == .signing)
        #expect(attempt.status == 0)
        #expect(attempt.error?.contains("no request was sent") == true)
        #expect(try eventually { try fixture.engine.registry.get(id: hook.id)?.state == .tooManyErrors })
        #expect(fixture.receiver.requests(path: "/unsigned").isEmpty)
    }
}
