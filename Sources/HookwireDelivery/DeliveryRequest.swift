import Foundation
import HookwireCore
import HookwireSigning

/// A hook's definition with its signing keys, as the delivery thread uses it.
public struct PreparedWebhook: Sendable {
    public var webhook: Webhook
    /// The key of the current secret first, then the keys of replaced secrets still valid.
    public var keys: [SigningKey]
    /// The reason the current secret cannot sign, or nil when it can. Such a hook gets no HTTP
    /// request at all, because a receiver cannot distinguish an unsigned request from a forged one.
    public var secretProblem: String?

    /// Builds the keys of `webhook.secret` and `previousSecrets`. A previous secret that cannot
    /// be used as a key is skipped, and a current one sets `secretProblem`.
    public init(webhook: Webhook, previousSecrets: [String]) {
        self.webhook = webhook
        var keys: [SigningKey] = []
        var problem: String?
        do {
            keys.append(try SigningKey(secret: webhook.secret ?? ""))
        } catch {
            problem = "webhook \(webhook.id) has an unusable secret: \(error.message)"
        }
        for secret in previousSecrets {
            if let key = try? SigningKey(secret: secret) { keys.append(key) }
        }
        self.keys = keys
        self.secretProblem = problem
    }

    /// Pairs a hook with keys built before, for the same secrets, and the problem found then.
    public init(webhook: Webhook, keys: [SigningKey], secretProblem: String?) {
        self.webhook = webhook
        self.keys = keys
        self.secretProblem = secretProblem
    }
}

/// Builds the HTTP request of one attempt: the headers, with signatures over the exact body.
public enum DeliveryRequest {

    /// Returns the request for one attempt.
    ///
    /// - Parameters:
    ///   - messageId: The `webhook-id`, the same on every attempt of the delivery.
    ///   - attempt: The attempt number, 0 for the first; sent as `X-Hookwire-Retry`.
    ///   - timestamp: This attempt's time in Unix seconds, sent as `webhook-timestamp`.
    public static func make(
        hook: PreparedWebhook, body: [UInt8], messageId: String, event: String, eventId: String,
        attempt: Int32, timestamp: Int64, isTest: Bool
    ) -> HTTPRequest {
        var headers: [String] = []
        headers.reserveCapacity(12 + hook.webhook.headers.count)
        headers.append("Content-Type: application/json; charset=utf-8")
        headers.append("webhook-id: \(messageId)")
        headers.append("webhook-timestamp: \(timestamp)")
        if !hook.keys.isEmpty {
            var standard = ""
            var bodyOnly = ""
            for key in hook.keys {
                if !standard.isEmpty {
                    standard += " "
                    bodyOnly += " "
                }
                standard += "v1," + key.sign(id: messageId, timestamp: timestamp, body: body).base64EncodedString()
                bodyOnly += key.sign(body).base64EncodedString()
            }
            headers.append("webhook-signature: \(standard)")
            headers.append("X-Hookwire-Signature: \(bodyOnly)")
        }
        headers.append("X-Hookwire-Event: \(event)")
        headers.append("X-Hookwire-Event-Id: \(eventId)")
        headers.append("X-Hookwire-Retry: \(attempt)")
        for (name, value) in hook.webhook.headers.sorted(by: { $0.key < $1.key }) {
            // The registry rejects reserved headers on save; one stored before that check is left out.
            guard isSafeHeader(name: name, value: value), !Webhook.isReservedHeader(name) else { continue }
            // libcurl drops "Name:" with nothing after it, and sends "Name;" as an empty header.
            headers.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if isTest { headers.append("X-Hook-Test: true") }
        return HTTPRequest(url: hook.webhook.targetURL, headers: headers, body: body)
    }

    /// A header name must be a token and a value must not break the line; the registry checks
    /// this on save, and this check keeps a bad stored value from splitting a request.
    static func isSafeHeader(name: String, value: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
            && !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 })
    }
}
