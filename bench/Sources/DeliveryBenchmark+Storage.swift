import Foundation
import HookwireCore
import HookwireSQLite

extension DeliveryBenchmark {
    /// Runs the storage side of `events` deliveries to one hook on one thread, with no HTTP.
    /// It publishes in batches of 500. Then, as the bookkeeping thread does, each turn records
    /// `batch` attempts (with the hook's counters) and claims `batch` more. Prints the CPU time
    /// per delivery of publishing and of the turns.
    static func measureStorage(directory: URL, events: Int, batch: Int, members: [UInt8]) throws {
        let path = directory.appendingPathComponent("storage-\(batch).db").path
        let webhooks = SQLiteWebhookStore(database: try SQLiteDatabase(path: path))
        let registry = WebhookRegistry(store: webhooks)
        let hook = try registry.save(Webhook(name: "storage", events: ["contact.changed"], targetURL: "http://127.0.0.1:9/"))
        let store = try SQLiteDeliveryStore(path: path)

        let publishStart = processCPUSeconds()
        var published = 0
        while published < events {
            let count = min(500, events - published)
            // Foundation's UUID() reads /dev/urandom on every call, which would dominate here.
            let records = (published..<published + count).map { number in
                EventRecord(
                    eventId: String(format: "00000000-0000-4000-8000-%012d", number), event: "contact.changed",
                    createdAt: Date(), members: members, data: nil)
            }
            _ = try store.insertEvents(records, now: Date())
            published += count
        }
        let publishCPU = processCPUSeconds() - publishStart

        let turnStart = processCPUSeconds()
        var done = 0
        var turns = 0
        var claimed: [ClaimedDelivery] = []
        while done < events {
            let now = Date()
            let records = claimed.map { delivery in
                AttemptRecord(
                    deliveryId: delivery.id,
                    attempt: DeliveryAttempt(
                        deliveryId: delivery.id, number: 0, startedAt: now, durationMilliseconds: 1, status: 200,
                        errorKind: .none, error: nil, responseHeaders: "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n",
                        responseBody: ""),
                    disposition: .succeeded)
            }
            done += records.count
            let request = ClaimRequest(
                now: now, leaseUntil: now.addingTimeInterval(60), limit: batch, perWebhookRemaining: [:],
                defaultPerWebhookLimit: batch, webhooksFirst: [hook.id], scansAllWebhooks: false)
            let results = WebhookResults(
                results: records.map { _ in (webhookId: hook.id, result: WebhookResult(succeeded: true, message: "200 OK")) },
                consecutiveErrorLimit: 9, time: now)
            claimed = try store.recordAndClaim(records, results: results, now: now, claim: request).deliveries
            turns += 1
        }
        let turnCPU = processCPUSeconds() - turnStart
        print(
            String(
                format: "storage only, 1 hook, %d per turn: publish %.0f us, record and claim %.0f us of CPU per delivery (%d turns)",
                batch, publishCPU / Double(events) * 1_000_000, turnCPU / Double(events) * 1_000_000, turns))
    }
}
