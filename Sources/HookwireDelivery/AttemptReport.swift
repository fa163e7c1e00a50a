import Foundation
import HookwireCore

/// The outcome of one finished attempt, from HTTP or from a plugin.
struct AttemptReport {
    var startedAt: Date
    var durationMilliseconds: Int64
    var status: Int32
    var errorKind: DeliveryErrorKind
    var error: String?
    var responseHeaders: String
    var responseBody: String
    var verdict: AttemptVerdict
    /// The text recorded on the hook: a summary on success, the error with the response's
    /// headers and body on failure.
    var message: String

    init(http exchange: HTTPExchange) {
        startedAt = exchange.startedAt
        durationMilliseconds = exchange.durationMilliseconds
        status = exchange.status
        responseHeaders = exchange.headers
        responseBody = exchange.body

        if exchange.errorKind != .none {
            errorKind = exchange.errorKind
            error = exchange.error
            verdict = .retryable(retryAfter: nil)
            message = exchange.error ?? "the request failed"
            return
        }
        // Only the statuses that honour Retry-After need the header, so successes skip the scan.
        let retryAfter =
            AttemptClassification.retryAfterStatuses.contains(exchange.status) ? exchange.header("Retry-After") : nil
        verdict = AttemptClassification.classify(
            status: exchange.status, retryAfterHeader: retryAfter, now: Date().timeIntervalSince1970)
        if case .success = verdict {
            errorKind = .none
            error = nil
            message = exchange.statusLine
            return
        }

        if (300...399).contains(exchange.status) {
            errorKind = .redirect
            let location = exchange.header("Location").map { " to \($0)" } ?? ""
            error = "\(exchange.statusLine): redirect\(location) not followed"
        } else {
            errorKind = .httpStatus
            error = exchange.statusLine.isEmpty ? "HTTP \(exchange.status)" : exchange.statusLine
        }
        message = exchange.headers + exchange.body
    }

    init(plugin completion: DeliveryDispatcher.PluginCompletion) {
        startedAt = completion.startedAt
        durationMilliseconds = completion.durationMilliseconds
        status = 0
        responseHeaders = ""
        responseBody = ""
        message = completion.result.message
        if completion.result.succeeded {
            errorKind = .none
            error = nil
            verdict = .success
        } else {
            errorKind = .plugin
            error = completion.result.message.isEmpty ? "the plugin reported a failure" : completion.result.message
            verdict = completion.result.permanentFailure ? .permanent : .retryable(retryAfter: nil)
        }
    }

    var result: WebhookResult {
        switch verdict {
        case .success: WebhookResult(succeeded: true, message: message)
        case .permanent: WebhookResult(succeeded: false, permanentFailure: true, message: message)
        case .retryable: WebhookResult(succeeded: false, message: message)
        }
    }
}

extension DeliveryDispatcher {
    /// Records finished attempts in one transaction, then updates the hooks' counters and
    /// states by the registry's rule and notifies the watchers.
    func record(_ finished: [(InFlight, AttemptReport)]) {
        guard !finished.isEmpty else { return }
        let now = Date()
        var records: [AttemptRecord] = []
        var outcomes: [DeliveryOutcome] = []
        records.reserveCapacity(finished.count)
        let watched = !watchers.isEmpty
        for (entry, report) in finished {
            let claimed = entry.claimed
            let attempt = DeliveryAttempt(
                deliveryId: claimed.id, number: claimed.attempts, startedAt: report.startedAt,
                durationMilliseconds: report.durationMilliseconds, status: report.status,
                errorKind: report.errorKind, error: report.error, responseHeaders: report.responseHeaders,
                responseBody: report.responseBody)
            let disposition = disposition(after: report.verdict, attempt: claimed.attempts, now: now)
            records.append(AttemptRecord(deliveryId: claimed.id, attempt: attempt, disposition: disposition))
            if watched {
                outcomes.append(DeliveryOutcome(delivery: delivery(claimed, disposition, report), attempt: attempt))
            }
        }
        do {
            try store.record(records, now: now)
        } catch {
            // NOTE: the attempts stay claimed; their leases run out and they are attempted again.
            return
        }
        recordResults(finished.map { (webhookId: $0.0.claimed.webhookId, result: $0.1.result) })
        watchers.notify(outcomes)
    }

    func disposition(after verdict: AttemptVerdict, attempt: Int32, now: Date) -> DeliveryDisposition {
        switch verdict {
        case .success:
            return .succeeded
        case .permanent:
            return .failed
        case .retryable(let retryAfter):
            guard
                let delay = settings.retrySchedule.delay(
                    afterAttempt: Int(attempt), retryAfter: retryAfter, random: random)
            else { return .failed }
            return .retry(at: now.addingTimeInterval(delay))
        }
    }

    private func delivery(_ claimed: ClaimedDelivery, _ disposition: DeliveryDisposition, _ report: AttemptReport)
        -> Delivery
    {
        var state = DeliveryState.pending
        var next: Date? = nil
        switch disposition {
        case .succeeded: state = .succeeded
        case .failed: state = .failed
        case .held: state = .held
        case .cancelled: state = .cancelled
        case .retry(let at):
            state = .pending
            next = at
        }
        return Delivery(
            id: claimed.id, messageId: claimed.messageId, webhookId: claimed.webhookId, eventId: claimed.eventId,
            event: claimed.event, state: state, attempts: claimed.attempts + 1, createdAt: claimed.createdAt,
            nextAttemptAt: next, lastStatus: report.status, lastError: report.error)
    }
}
