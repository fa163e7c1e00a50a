import Foundation
import COpenSSL
import HookwireSigning

/// `hookwire-bench sign`: nanoseconds per HMAC-SHA256 signature for several body sizes, beside
/// the figure of `openssl speed -hmac sha256 -bytes N` for the same size on the same machine.
enum SignBenchmark {
    static let usage = """
        usage: hookwire-bench sign [--seconds S] [--repeat R] [--sizes N,N,...] [--no-openssl]

        Measures one SigningKey signing the same body repeatedly on one thread:
          body      SigningKey.sign(body), the body-only MAC
          v1 mac    SigningKey.sign(id:timestamp:body:), the HMAC of {id}.{timestamp}.{body}
          standard  the full webhook-signature value: that HMAC written as a v1,<base64> string
          evp       the loop of `openssl speed -hmac`, called from Swift: EVP_MAC_init with the
                    stored key, EVP_MAC_update, EVP_MAC_final on one context
          openssl   `openssl speed -hmac sha256 -bytes N -seconds 1`, run as a separate process
        Figures are CPU time of the measuring thread, as openssl speed counts user time, and each
        is the best of R rounds.
        The ratio column is body / openssl. Build with -c release for meaningful figures.

          --seconds S        time per round of one measurement, default 0.5
          --repeat R         rounds per measurement, default 5
          --sizes N,N,...    body sizes in bytes, default 256,1024,65536,1048576
          --no-openssl       skip the openssl speed runs
        """

    static func run(_ arguments: [String]) throws {
        var seconds = 0.5
        var rounds = 5
        var sizes = [256, 1024, 64 * 1024, 1024 * 1024]
        var runOpenSSL = true
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
            case "--sizes":
                guard index < arguments.count else { throw UsageError("--sizes needs a list") }
                let parsed = arguments[index].split(separator: ",").compactMap { Int($0) }
                guard !parsed.isEmpty, parsed.allSatisfy({ $0 > 0 }) else {
                    throw UsageError("--sizes '\(arguments[index])' is not a list of positive byte counts")
                }
                sizes = parsed
                index += 1
            case "--no-openssl":
                runOpenSSL = false
            case "-h", "--help":
                print(usage)
                return
            default:
                throw UsageError("unknown option \(argument)\n\(usage)")
            }
        }

        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        let key = try SigningKey(secret: secret)
        let evp = try EVPLoop(key: SigningSecret.keyBytes(of: secret))
        print(
            "hookwire-bench sign: one thread, CPU time, best of \(rounds) rounds of \(seconds) s, "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores")
        print(pad("size", 9) + pad("body ns", 12) + pad("v1 mac ns", 12) + pad("standard ns", 13) + pad("evp ns", 12) + pad("openssl ns", 12) + "body/openssl")
        for size in sizes {
            let body = [UInt8](repeating: 0x61, count: size)
            var bodyBest = Double.infinity
            var versionOneBest = Double.infinity
            var standardBest = Double.infinity
            var evpBest = Double.infinity
            var openSSLBest = Double.infinity
            for _ in 0..<rounds {
                bodyBest = min(bodyBest, measure(seconds: seconds) { _ = key.sign(body) })
                versionOneBest = min(versionOneBest, measure(seconds: seconds) {
                    _ = key.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body)
                })
                standardBest = min(standardBest, measure(seconds: seconds) {
                    _ = StandardWebhooks.signatureHeaderValue(
                        id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, key: key)
                })
                evpBest = min(evpBest, body.withUnsafeBytes { bytes in measure(seconds: seconds) { evp.run(bytes) } })
                if runOpenSSL, let figure = try openSSLSpeed(bytes: size) {
                    openSSLBest = min(openSSLBest, figure)
                }
            }
            var line = pad(String(size), 9) + pad(format(bodyBest), 12) + pad(format(versionOneBest), 12)
                + pad(format(standardBest), 13) + pad(format(evpBest), 12)
            if openSSLBest.isFinite {
                line += pad(format(openSSLBest), 12) + String(format: "%.2fx", bodyBest / openSSLBest)
            } else {
                line += pad("-", 12) + "-"
            }
            print(line)
        }
    }

    /// Returns the mean nanoseconds of this thread's CPU time per call of `operation`, run in
    /// batches for about `seconds` of CPU time. `openssl speed` also counts CPU time (user time
    /// unless given `-elapsed`), so the two figures stay comparable while other processes run.
    static func measure(seconds: Double, _ operation: () -> Void) -> Double {
        for _ in 0..<100 { operation() }  // warm the context pool and the caches
        let budget = UInt64(seconds * 1e9)
        var calls = 0
        var batch = 16
        let start = threadCPUNanoseconds()
        var elapsed: UInt64 = 0
        while elapsed < budget {
            for _ in 0..<batch { operation() }
            calls += batch
            elapsed = threadCPUNanoseconds() - start
            if elapsed < budget / 10 { batch *= 2 }
        }
        return Double(elapsed) / Double(calls)
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Runs `openssl speed -hmac sha256` for one second on one block size and returns nanoseconds per HMAC, or
    /// nil when openssl is missing or prints no figure.
    static func openSSLSpeed(bytes: Int) throws -> Double? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "speed", "-hmac", "sha256", "-bytes", String(bytes), "-seconds", "1",
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        // The last line reads "hmac(sha256)   1000236.99k": thousands of bytes per second.
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("hmac(sha256)") }),
            let figure = line.split(separator: " ").last, figure.hasSuffix("k"),
            let kilobytesPerSecond = Double(figure.dropLast()), kilobytesPerSecond > 0
        else { return nil }
        return Double(bytes) / (kilobytesPerSecond * 1000) * 1e9
    }

    static func format(_ nanoseconds: Double) -> String {
        nanoseconds >= 100_000 ? String(format: "%.0f", nanoseconds) : String(format: "%.1f", nanoseconds)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }

    /// A mistake in the flags of this benchmark.
    struct UsageError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The loop of `openssl speed -hmac` in OpenSSL 3.0 (apps/speed.c, EVP_HMAC_loop): one
    /// context keyed once and restarted per MAC, with no pool, no lock and no Swift value types.
    final class EVPLoop {
        let context: OpaquePointer

        init(key: [UInt8]) throws {
            guard let mac = EVP_MAC_fetch(nil, "HMAC", nil), let context = EVP_MAC_CTX_new(mac) else {
                throw UsageError("OpenSSL has no HMAC")
            }
            EVP_MAC_free(mac)
            self.context = context
            let initialised = "digest".withCString { name in
                "SHA256".withCString { digest in
                    var parameters = [
                        OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: digest), 0),
                        OSSL_PARAM_construct_end(),
                    ]
                    return EVP_MAC_init(context, key, key.count, &parameters)
                }
            }
            guard initialised == 1 else { throw UsageError("EVP_MAC_init failed") }
        }

        deinit { EVP_MAC_CTX_free(context) }

        func run(_ body: UnsafeRawBufferPointer) {
            var mac = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            var length = 0
            withUnsafeMutableBytes(of: &mac) { output in
                _ = EVP_MAC_init(context, nil, 0, nil)
                _ = EVP_MAC_update(context, body.baseAddress!.assumingMemoryBound(to: UInt8.self), body.count)
                _ = EVP_MAC_final(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, output.count)
            }
        }
    }
}
