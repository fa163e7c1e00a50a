import Foundation
import HookwireCore

/// The outcome of one finished attempt, from HTTP or from a plugin.
struct AttemptReport: Sendable {
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
            errorKind = completion.failureKind
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
