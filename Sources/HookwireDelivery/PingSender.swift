import Foundation
import HookwireCore

/// Sends the test event (PING) to one hook at once, on the calling thread, without retries.
public enum PingSender {
    /// The test event's publication: event and entity `test`, primary key 0, no changes.
    public static let publication = EventPublication(event: "test", entity: "test", primaryKey: 0)

    /// Sends the test event and waits for the outcome.
    ///
    /// - Returns: Success only for a 2xx answer. The message contains the status line, the
    ///   response headers and the first 4 KiB of the body, or the transport error.
    public static func send(
        to hook: PreparedWebhook, settings: HTTPTransportConfiguration, plugin: (any WebhookPlugin)?
    ) -> WebhookResult {
        let eventId = UUID().uuidString.lowercased()
        let members = EventEnvelope.eventMembers(eventId: eventId, timestamp: Date(), publication: publication)
        let body = EventEnvelope.body(
            eventMembers: members, data: nil, webhookName: hook.webhook.name, properties: hook.webhook.properties)
        let messageId = "msg_test_" + eventId.replacingOccurrences(of: "-", with: "")
        if let plugin {
            return plugin.deliver(
                PluginDelivery(
                    webhook: hook.webhook, body: body, event: "test", eventId: eventId, messageId: messageId,
                    attempt: 0, isTest: true))
        }
        if let problem = hook.secretProblem {
            return WebhookResult(succeeded: false, message: "\(problem); no request was sent")
        }
        let request = DeliveryRequest.make(
            hook: hook, body: body, messageId: messageId, event: "test", eventId: eventId, attempt: 0,
            timestamp: Int64(Date().timeIntervalSince1970), isTest: true)
        let transport: HTTPTransport
        do {
            transport = try HTTPTransport(configuration: settings)
        } catch {
            return WebhookResult(succeeded: false, message: "\(error)")
        }
        transport.start(request, token: 0)
        var exchange: HTTPExchange?
        while exchange == nil {
            exchange = transport.poll(timeoutMilliseconds: 100).first?.exchange
        }
        return result(of: exchange!)
    }

    static func result(of exchange: HTTPExchange) -> WebhookResult {
        if exchange.errorKind != .none {
            return WebhookResult(succeeded: false, message: exchange.error ?? "the request failed")
        }
        let text = exchange.headers + exchange.body
        let verdict = AttemptClassification.classify(status: exchange.status, retryAfterHeader: nil, now: 0)
        switch verdict {
        case .success: return WebhookResult(succeeded: true, message: text)
        case .permanent: return WebhookResult(succeeded: false, permanentFailure: true, message: text)
        case .retryable: return WebhookResult(succeeded: false, message: text)
        }
    }
}
