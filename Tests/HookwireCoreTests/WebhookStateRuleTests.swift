import Foundation
import Testing

@testable import HookwireCore

@Suite struct WebhookStateRuleTests {
    let time = Date(timeIntervalSince1970: 1_700_000_000)

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var state: WebhookState
        var consecutive: Int64
        var result: WebhookResult
        var expectedState: WebhookState
        var expectedConsecutive: Int64
        var expectedTotalErrors: Int64
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "success on active", state: .active, consecutive: 0, result: .success,
             expectedState: .active, expectedConsecutive: 0, expectedTotalErrors: 5),
        Case(name: "success resets consecutive", state: .active, consecutive: 8, result: .success,
             expectedState: .active, expectedConsecutive: 0, expectedTotalErrors: 5),
        Case(name: "failure below limit", state: .active, consecutive: 7, result: WebhookResult(succeeded: false, message: "HTTP 500"),
             expectedState: .active, expectedConsecutive: 8, expectedTotalErrors: 6),
        Case(name: "failure reaching limit", state: .active, consecutive: 8, result: WebhookResult(succeeded: false, message: "HTTP 500"),
             expectedState: .tooManyErrors, expectedConsecutive: 9, expectedTotalErrors: 6),
        Case(name: "permanent failure first time", state: .active, consecutive: 0,
             result: WebhookResult(succeeded: false, permanentFailure: true, message: "HTTP 410 Gone"),
             expectedState: .tooManyErrors, expectedConsecutive: 1, expectedTotalErrors: 6),
        Case(name: "stopped hook stays stopped", state: .stopped, consecutive: 8,
             result: WebhookResult(succeeded: false, permanentFailure: true, message: "x"),
             expectedState: .stopped, expectedConsecutive: 9, expectedTotalErrors: 6),
        Case(name: "disabled hook stays disabled on success", state: .tooManyErrors, consecutive: 9, result: .success,
             expectedState: .tooManyErrors, expectedConsecutive: 0, expectedTotalErrors: 5),
        Case(name: "disabled hook counts failures", state: .tooManyErrors, consecutive: 9,
             result: WebhookResult(succeeded: false, message: "timeout"),
             expectedState: .tooManyErrors, expectedConsecutive: 10, expectedTotalErrors: 6),
    ]

    @Test(arguments: cases)
    func appliesCase(_ testCase: Case) {
        let usage = WebhookUsage(totalCalls: 10, totalErrors: 5, consecutiveErrors: testCase.consecutive)
        let outcome = WebhookStateRule.apply(testCase.result, state: testCase.state, usage: usage, limit: 9, at: time)
        #expect(outcome.state == testCase.expectedState)
        #expect(outcome.usage.consecutiveErrors == testCase.expectedConsecutive)
        #expect(outcome.usage.totalErrors == testCase.expectedTotalErrors)
        #expect(outcome.usage.totalCalls == 11)
        #expect((outcome.reason != nil) == (testCase.state != testCase.expectedState))
    }

    @Test func failureRecordsLastError() {
        let outcome = WebhookStateRule.apply(
            WebhookResult(succeeded: false, message: "HTTP 503"), state: .active, usage: WebhookUsage(), limit: 9, at: time)
        #expect(outcome.usage.lastError == "HTTP 503")
        #expect(outcome.usage.lastErrorTime == time)
    }

    @Test func successKeepsLastError() {
        let before = WebhookUsage(totalCalls: 1, totalErrors: 1, consecutiveErrors: 1, lastError: "HTTP 503", lastErrorTime: time)
        let outcome = WebhookStateRule.apply(.success, state: .active, usage: before, limit: 9, at: time.addingTimeInterval(60))
        #expect(outcome.usage.lastError == "HTTP 503")
        #expect(outcome.usage.lastErrorTime == time)
    }

    @Test func emptyMessagesGetText() {
        let plain = WebhookStateRule.apply(WebhookResult(succeeded: false), state: .active, usage: .init(), limit: 9, at: time)
        #expect(plain.usage.lastError == "failed")
        let permanent = WebhookStateRule.apply(
            WebhookResult(succeeded: false, permanentFailure: true), state: .active, usage: .init(), limit: 9, at: time)
        #expect(permanent.usage.lastError == "permanent failure")
    }

    @Test func reasonsNameTheCause() {
        let limit = WebhookStateRule.apply(
            WebhookResult(succeeded: false, message: "HTTP 500"), state: .active,
            usage: WebhookUsage(consecutiveErrors: 2), limit: 3, at: time)
        #expect(limit.state == .tooManyErrors)
        #expect(limit.reason == "3 consecutive errors, the latest: HTTP 500")
        let gone = WebhookStateRule.apply(
            WebhookResult(succeeded: false, permanentFailure: true, message: "HTTP 410 Gone"), state: .active,
            usage: .init(), limit: 9, at: time)
        #expect(gone.reason == "permanent failure: HTTP 410 Gone")
    }

    @Test func limitBelowOneCountsAsOne() {
        let outcome = WebhookStateRule.apply(
            WebhookResult(succeeded: false, message: "x"), state: .active, usage: .init(), limit: 0, at: time)
        #expect(outcome.state == .tooManyErrors)
    }
}
