import Foundation
import HookwireCore
import HookwireDelivery
import HookwireSigning

extension DeliveryBenchmark {
    /// Sends `requests` signed POSTs straight through `HTTPTransport`, keeping `concurrency` in
    /// flight, with no storage at all, and prints the rate. It is the ceiling of what the
    /// delivery thread can send, so the storage's share of a delivery is the difference.
    static func measureTransport(url: String, requests: Int, concurrency: Int, body: [UInt8]) throws {
        var configuration = HTTPTransportConfiguration()
        configuration.addressPolicy = AddressPolicy(allowPrivateTargets: true)
        let transport = try HTTPTransport(configuration: configuration)
        let hook = PreparedWebhook(
            webhook: Webhook(id: 1, name: "bench", events: ["contact.changed"], targetURL: url,
                             secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString()),
            previousSecrets: [])
        var started = 0
        var done = 0
        var failed = 0
        let start = Date()
        let cpuStart = processCPUSeconds()
        func startOne() {
            let request = DeliveryRequest.make(
                hook: hook, body: body, messageId: "msg_\(started)", event: "contact.changed",
                eventId: "00000000-0000-0000-0000-000000000000", attempt: 0,
                timestamp: Int64(Date().timeIntervalSince1970), isTest: false)
            transport.start(request, token: Int64(started))
            started += 1
        }
        while started < min(concurrency, requests) { startOne() }
        while done < requests {
            for (_, exchange) in transport.poll(timeoutMilliseconds: 100) {
                done += 1
                if exchange.status != 200 { failed += 1 }
                if started < requests { startOne() }
            }
        }
        let elapsed = Date().timeIntervalSince(start)
        let cpu = processCPUSeconds() - cpuStart
        print(
            String(
                format: "transport only, no storage, %d in flight: %d signed requests in %.2f s = %.0f requests/s (%d non-200, %.0f us of CPU per request)",
                concurrency, requests, elapsed, Double(requests) / elapsed, failed, cpu / Double(requests) * 1_000_000))
    }
}
