import Foundation
import HookwireCore
import HookwireProtocol

/// `hookwire-bench codec`: nanoseconds per operation of the protocol codecs on one thread, the
/// work the server and the client do for every call apart from I/O and the engine.
enum CodecBenchmark {
    static let usage = """
        usage: hookwire-bench codec [--seconds S] [--repeat R]

        Measures, per frame or message, on one thread:
          encode request     FrameEncoder.appendRequest of a GetWebhook call into a reused buffer
          decode request     FrameDecoder.nextFrame over pipelined GetWebhook calls, plus the
                             payload decoded to Wire.GetWebhookRequest
          encode response    a Webhook with 2 events, 1 header and properties, converted to
                             Wire.Webhook and appended as a RESPONSE
          decode response    that RESPONSE decoded and converted back to a Webhook
        Each figure is the best of R rounds of S seconds of wall-clock time. Build with
        -c release for meaningful figures.

          --seconds S    time per round, default 0.3
          --repeat R     rounds per measurement, default 5
        """

    static func run(arguments: [String]) throws {
        var seconds = 0.3
        var rounds = 5
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            switch argument {
            case "--seconds":
                guard index < arguments.count, let value = Double(arguments[index]), value > 0 else {
                    throw UsageError("--seconds needs a positive number")
                }
                seconds = value
                index += 1
            case "--repeat":
                guard index < arguments.count, let value = Int(arguments[index]), value > 0 else {
                    throw UsageError("--repeat needs a positive integer")
                }
                rounds = value
                index += 1
            case "--help", "-h":
                print(usage)
                return
            default:
                throw UsageError("unknown flag \(argument)\n\(usage)")
            }
        }

        let encoder = FrameEncoder()
        let webhook = Webhook(
            id: 42, name: "CRM sync", events: ["contact.created", "sale.*"],
            targetURL: "https://hooks.example.com/crm", headers: ["X-Tenant": "Cust1234"],
            properties: ["region": "eu"], applicationToken: "crm-sync", description: "benchmark hook",
            registered: Date(timeIntervalSince1970: 1_700_000_000), updated: Date(timeIntervalSince1970: 1_700_000_100))
        let batch = 1000

        var requests: [UInt8] = []
        for streamId in 1...UInt32(batch) {
            try encoder.appendRequest(.getWebhook, streamId: streamId, Wire.GetWebhookRequest(id: 42), to: &requests)
        }
        var responses: [UInt8] = []
        for streamId in 1...UInt32(batch) {
            try encoder.appendResponse(streamId: streamId, Wire.Webhook(webhook, includeSecret: false), to: &responses)
        }
        print("codec: \(requests.count / batch) bytes per request frame, \(responses.count / batch) per response frame")

        var output: [UInt8] = []
        output.reserveCapacity(responses.count)
        report("encode request", measure(seconds: seconds, rounds: rounds, batch: batch) {
            output.removeAll(keepingCapacity: true)
            for streamId in 1...UInt32(batch) {
                try! encoder.appendRequest(.getWebhook, streamId: streamId, Wire.GetWebhookRequest(id: 42), to: &output)
            }
        })
        var checksum: Int64 = 0
        report("decode request", measure(seconds: seconds, rounds: rounds, batch: batch) {
            var decoder = FrameDecoder()
            decoder.append(requests)
            while let frame = try! decoder.nextFrame() {
                checksum &+= try! frame.decodePayload(as: Wire.GetWebhookRequest.self).id
            }
        })
        report("encode response", measure(seconds: seconds, rounds: rounds, batch: batch) {
            output.removeAll(keepingCapacity: true)
            for streamId in 1...UInt32(batch) {
                try! encoder.appendResponse(streamId: streamId, Wire.Webhook(webhook, includeSecret: false), to: &output)
            }
        })
        report("decode response", measure(seconds: seconds, rounds: rounds, batch: batch) {
            var decoder = FrameDecoder()
            decoder.append(responses)
            while let frame = try! decoder.nextFrame() {
                checksum &+= try! Webhook(wire: frame.decodePayload(as: Wire.Webhook.self)).id
            }
        })
        if checksum == 0 { print("codec: checksum 0") }
    }

    /// Returns the best nanoseconds per operation over `rounds` rounds of about `seconds` each;
    /// each call of `body` performs `batch` operations.
    private static func measure(seconds: Double, rounds: Int, batch: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<rounds {
            var operations = 0
            let start = clock.now
            var elapsed = Duration.zero
            while elapsed < .milliseconds(Int(seconds * 1000)) {
                body()
                operations += batch
                elapsed = clock.now - start
            }
            let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
            best = min(best, nanoseconds / Double(operations))
        }
        return best
    }

    struct UsageError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    private static func report(_ name: String, _ nanoseconds: Double) {
        let padded = name.padding(toLength: 18, withPad: " ", startingAt: 0)
        print("codec: \(padded) \(String(format: "%8.1f", nanoseconds)) ns per frame")
    }
}
