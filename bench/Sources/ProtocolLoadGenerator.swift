import CLinuxShim
import Foundation
import HookwireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A closed-loop load generator for the binary protocol, built like `redis-benchmark`.
///
/// One thread drives C connections. Each connection writes a batch of P pipelined requests and
/// writes the next batch once every response of the last one arrived. A request's latency is
/// the time from writing its batch to reading its response.
///
/// Requests are encoded once; each batch only rewrites the stream ids in place.
///
/// With `rate` set, a connection whose batch is ready waits for its turn in a schedule of one
/// batch every P / rate seconds, after a first batch on every connection at the start. The
/// server then gets the same calls per second as another run, but fewer calls wait at once
/// than in a closed loop. Latency is still measured from the batch's write.
struct ProtocolLoadGenerator {
    var host: String
    var port: Int
    var token: String
    var connections: Int
    var pipeline: Int
    var requests: Int
    var method: HookwireProtocol.Method
    /// The request message, encoded.
    var payload: [UInt8]
    /// Calls per second across all connections, or nil to send each batch as soon as every
    /// response of the last one arrived.
    var rate: Double? = nil

    /// The measurements of one run.
    struct Result {
        var completed: Int
        var errors: Int
        var firstError: String?
        var seconds: Double
        /// Latencies in nanoseconds, sorted.
        var latencies: [UInt64]

        var callsPerSecond: Double { Double(completed) / seconds }

        /// Returns the latency at `fraction` (0.5 for the median) in milliseconds.
        func percentile(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return .nan }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * fraction).rounded(.up)) - 1)
            return Double(latencies[max(index, 0)]) / 1e6
        }
    }

    private struct Connection {
        var descriptor: Int32
        var decoder = FrameDecoder()
        var outstanding = 0
        var batchStart: UInt64 = 0
        var nextStreamId: UInt32 = 1
        var isWelcomed = false
        /// True while the connection waits in the rate schedule to send its next batch.
        var isWaiting = false
    }

    /// Runs until `requests` calls completed and returns the measurements.
    /// - Throws: `ProtocolBenchmarkError` when a connection cannot be opened or breaks.
    func run() throws -> Result {
        let batchTemplate = try encodeBatch()
        let frameSize = batchTemplate.count / pipeline
        var hello: [UInt8] = []
        try FrameEncoder().append(.hello, streamId: 0, to: &hello) { buffer in
            Wire.Hello(token: token, clientName: "hookwire-bench").encode(into: &buffer)
        }

        var open: [Connection] = []
        defer { for connection in open { close(connection.descriptor) } }
        for _ in 0..<connections {
            let descriptor = hw_tcp_connect(host, Int32(port))
            guard descriptor >= 0 else {
                throw ProtocolBenchmarkError("cannot connect to \(host):\(port): \(String(cString: strerror(errno)))")
            }
            _ = hw_set_nonblocking(descriptor, 1)
            open.append(Connection(descriptor: descriptor))
        }

        var latencies: [UInt64] = []
        latencies.reserveCapacity(requests + connections * pipeline)
        var issued = 0
        var completed = 0
        var errors = 0
        var firstError: String?
        var batch = batchTemplate

        func sendBatch(_ connection: inout Connection, prefix: [UInt8] = []) throws {
            for index in 0..<pipeline {
                let offset = index * frameSize + 8
                let streamId = connection.nextStreamId
                connection.nextStreamId = streamId &+ 1
                batch[offset] = UInt8(truncatingIfNeeded: streamId >> 24)
                batch[offset + 1] = UInt8(truncatingIfNeeded: streamId >> 16)
                batch[offset + 2] = UInt8(truncatingIfNeeded: streamId >> 8)
                batch[offset + 3] = UInt8(truncatingIfNeeded: streamId)
            }
            try sendAll(connection.descriptor, prefix.isEmpty ? batch : prefix + batch)
            connection.outstanding = pipeline
            connection.batchStart = ProtocolLoadGenerator.clock()
            issued += pipeline
        }

        let started = ProtocolLoadGenerator.clock()
        for index in open.indices {
            try sendBatch(&open[index], prefix: hello)
        }
        // With a rate, connections ready to send wait here in order, and the next one may send
        // at `nextSendTime` (nanoseconds of `clock()`).
        let interval = rate.map { UInt64(Double(pipeline) / $0 * 1e9) } ?? 0
        var waiting: [Int] = []
        var nextSendTime = started
        var descriptors = open.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        while completed < requests {
            var now = ProtocolLoadGenerator.clock()
            while !waiting.isEmpty && now >= nextSendTime {
                let index = waiting.removeFirst()
                open[index].isWaiting = false
                try sendBatch(&open[index])
                // Sleeps overshoot, so a schedule that fell behind catches up, but by at most 1 ms
                // of batches at once.
                nextSendTime = max(nextSendTime + interval, now - min(now, 1_000_000))
                now = ProtocolLoadGenerator.clock()
            }
            let timeout = waiting.isEmpty ? 10_000 : Int32(clamping: (nextSendTime - now) / 1_000_000)
            let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 && !waiting.isEmpty {
                // poll waits in whole milliseconds, so sleep out the rest of a shorter wait.
                let current = ProtocolLoadGenerator.clock()
                if nextSendTime > current {
                    var rest = timespec(tv_sec: 0, tv_nsec: Int(min(nextSendTime - current, 999_999_999)))
                    nanosleep(&rest, nil)
                }
                continue
            }
            guard ready > 0 else { throw ProtocolBenchmarkError("no response for 10 s after \(completed) calls") }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                descriptors[index].revents = 0
                while true {
                    let descriptor = open[index].descriptor
                    let count = open[index].decoder.receive(maxCount: 64 << 10) { buffer in
                        recv(descriptor, buffer.baseAddress, buffer.count, 0)
                    }
                    if count == 0 { throw ProtocolBenchmarkError("the server closed connection \(index)") }
                    if count < 0 {
                        if errno == EAGAIN || errno == EINTR { break }
                        throw ProtocolBenchmarkError("connection \(index) failed: \(String(cString: strerror(errno)))")
                    }
                }
                let now = ProtocolLoadGenerator.clock()
                while let frame = try open[index].decoder.nextFrame() {
                    switch frame.type {
                    case .welcome:
                        guard frame.status == .ok else {
                            let welcome = try? Wire.Welcome(decoding: frame.payload)
                            throw ProtocolBenchmarkError("handshake rejected: \(welcome?.message ?? "\(frame.status)")")
                        }
                        open[index].isWelcomed = true
                    case .response, .error:
                        if frame.type == .error {
                            errors += 1
                            if firstError == nil {
                                firstError = (try? Wire.Status(decoding: frame.payload))?.message ?? "\(frame.status)"
                            }
                        }
                        latencies.append(now - open[index].batchStart)
                        completed += 1
                        open[index].outstanding -= 1
                    case .goAway:
                        throw ProtocolBenchmarkError("the server sent GOAWAY on connection \(index)")
                    default:
                        break
                    }
                }
                if open[index].outstanding == 0 && !open[index].isWaiting && issued + waiting.count * pipeline < requests {
                    if rate == nil {
                        try sendBatch(&open[index])
                    } else {
                        open[index].isWaiting = true
                        waiting.append(index)
                    }
                }
            }
        }
        let seconds = Double(ProtocolLoadGenerator.clock() - started) / 1e9
        latencies.sort()
        return Result(completed: completed, errors: errors, firstError: firstError, seconds: seconds, latencies: latencies)
    }

    /// Encodes `pipeline` identical REQUEST frames with placeholder stream ids.
    private func encodeBatch() throws -> [UInt8] {
        var batch: [UInt8] = []
        let encoder = FrameEncoder()
        for _ in 0..<pipeline {
            try encoder.append(.request, streamId: 1, code: method.rawValue, to: &batch) { buffer in
                buffer.append(contentsOf: payload)
            }
        }
        return batch
    }

    /// Writes every byte to a non-blocking socket, waiting for room when it is full.
    private func sendAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { hw_send_nosignal(descriptor, $0.baseAddress! + offset, UInt(bytes.count - offset)) }
            if sent > 0 {
                offset += sent
                continue
            }
            if errno == EAGAIN || errno == EINTR {
                var waiting = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                _ = poll(&waiting, 1, 1000)
                continue
            }
            throw ProtocolBenchmarkError("send failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// A benchmark that cannot go on, with the reason.
struct ProtocolBenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension ProtocolLoadGenerator {
    /// Nanoseconds of the monotonic clock.
    static func clock() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
