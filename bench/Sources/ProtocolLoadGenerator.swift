import CLinuxShim
import Foundation
import HookwireProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// A closed-loop load generator for the binary protocol, built like `redis-benchmark`.
///
/// It can also drive redis-server with the GET that `redis-benchmark -t get` sends, so that
/// both servers can be measured by the same client in the same way.
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
    /// The server to drive and the call to repeat.
    enum Target {
        /// hookwired: a HELLO with `token`, then calls of `method` with the encoded request
        /// message `payload`.
        case hookwire(token: String, method: HookwireProtocol.Method, payload: [UInt8])
        /// redis-server: `GET key` in RESP, as `redis-benchmark -t get` sends it.
        case redisGet(key: String)
    }

    var host: String
    var port: Int
    var target: Target
    var connections: Int
    var pipeline: Int
    var requests: Int
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
        /// The CPU time the server used during the run, when the benchmark started the server.
        var serverCPUSeconds: Double?

        /// The server's CPU time per call in microseconds, or nil when unknown.
        var serverMicrosecondsPerCall: Double? { serverCPUSeconds.map { $0 * 1e6 / Double(completed) } }

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
        var replies = RedisReplyScanner()
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
        var isHookwire = false
        if case .hookwire(let token, _, _) = target {
            isHookwire = true
            try FrameEncoder().append(.hello, streamId: 0, to: &hello) { buffer in
                Wire.Hello(token: token, clientName: "hookwire-bench").encode(into: &buffer)
            }
        }
        let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { readBuffer.deallocate() }

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
            // redis's requests carry no id, so only hookwire's batch changes between sends.
            for index in 0..<pipeline where isHookwire {
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
                let received = isHookwire
                    ? try receiveFrames(&open[index], index: index)
                    : try receiveReplies(&open[index], index: index, buffer: readBuffer)
                if received.errors > 0 {
                    errors += received.errors
                    if firstError == nil { firstError = received.firstError }
                }
                let now = ProtocolLoadGenerator.clock()
                for _ in 0..<received.replies { latencies.append(now - open[index].batchStart) }
                completed += received.replies
                open[index].outstanding -= received.replies
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

    /// Encodes `pipeline` identical requests; hookwire's REQUEST frames get placeholder stream ids.
    private func encodeBatch() throws -> [UInt8] {
        var batch: [UInt8] = []
        switch target {
        case .hookwire(_, let method, let payload):
            let encoder = FrameEncoder()
            for _ in 0..<pipeline {
                try encoder.append(.request, streamId: 1, code: method.rawValue, to: &batch) { buffer in
                    buffer.append(contentsOf: payload)
                }
            }
        case .redisGet(let key):
            let request = "*2\r\n$3\r\nGET\r\n$\(key.utf8.count)\r\n\(key)\r\n"
            for _ in 0..<pipeline { batch.append(contentsOf: request.utf8) }
        }
        return batch
    }

    /// The result of one read of a connection: complete responses, the error responses among
    /// them, and the first error's message.
    private typealias Received = (replies: Int, errors: Int, firstError: String?)

    // Both targets read a ready connection once, as redis-benchmark does; what is left stays
    // readable and is read in the next pass.

    /// Reads hookwired's frames on one connection.
    private func receiveFrames(_ connection: inout Connection, index: Int) throws -> Received {
        let descriptor = connection.descriptor
        let count = connection.decoder.receive(maxCount: 64 << 10) { buffer in
            recv(descriptor, buffer.baseAddress, buffer.count, 0)
        }
        try check(count, index: index)
        var received: Received = (0, 0, nil)
        while let frame = try connection.decoder.nextFrame() {
            switch frame.type {
            case .welcome:
                guard frame.status == .ok else {
                    let welcome = try? Wire.Welcome(decoding: frame.payload)
                    throw ProtocolBenchmarkError("handshake rejected: \(welcome?.message ?? "\(frame.status)")")
                }
                connection.isWelcomed = true
            case .response:
                received.replies += 1
            case .error:
                received.replies += 1
                received.errors += 1
                if received.firstError == nil {
                    received.firstError = (try? Wire.Status(decoding: frame.payload))?.message ?? "\(frame.status)"
                }
            case .goAway:
                throw ProtocolBenchmarkError("the server sent GOAWAY on connection \(index)")
            default:
                break
            }
        }
        return received
    }

    /// Reads redis's replies on one connection.
    private func receiveReplies(
        _ connection: inout Connection, index: Int, buffer: UnsafeMutableRawBufferPointer
    ) throws -> Received {
        let count = recv(connection.descriptor, buffer.baseAddress, buffer.count, 0)
        try check(count, index: index)
        guard count > 0 else { return (0, 0, nil) }
        let (replies, errors) = try connection.replies.scan(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        return (replies, errors, errors > 0 ? connection.replies.firstError : nil)
    }

    /// Throws when a read failed or found the connection closed; a read with nothing to take is no error.
    private func check(_ count: Int, index: Int) throws {
        if count == 0 { throw ProtocolBenchmarkError("the server closed connection \(index)") }
        if count < 0 && errno != EAGAIN && errno != EINTR {
            throw ProtocolBenchmarkError("connection \(index) failed: \(String(cString: strerror(errno)))")
        }
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

/// Counts complete RESP replies in the bytes redis sends, across reads. It parses the reply
/// types a GET can get: simple strings, errors, integers and bulk strings.
struct RedisReplyScanner {
    /// The bytes of a reply not yet complete.
    private var partial: [UInt8] = []
    /// The message of the first error reply.
    private(set) var firstError: String?

    /// Returns the replies completed by `bytes` and how many of them are errors.
    /// - Throws: when the bytes are not a reply a GET can get.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) throws -> (replies: Int, errors: Int) {
        if partial.isEmpty {
            return try scanComplete(bytes)
        }
        partial.append(contentsOf: bytes)
        let joined = partial
        partial.removeAll(keepingCapacity: true)
        return try joined.withUnsafeBytes { try scanComplete($0) }
    }

    private mutating func scanComplete(_ bytes: UnsafeRawBufferPointer) throws -> (replies: Int, errors: Int) {
        var replies = 0
        var errors = 0
        var position = 0
        while position < bytes.count {
            guard let lineEnd = Self.lineEnd(in: bytes, from: position) else { break }
            let kind = bytes[position]
            var next = lineEnd + 2
            switch kind {
            case UInt8(ascii: "+"), UInt8(ascii: ":"):
                break
            case UInt8(ascii: "-"):
                errors += 1
                if firstError == nil {
                    firstError = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<lineEnd]), as: UTF8.self)
                }
            case UInt8(ascii: "$"):
                let digits = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 1)..<lineEnd]), as: UTF8.self)
                guard let length = Int(digits), length >= -1 else {
                    throw ProtocolBenchmarkError("redis sent a bulk string of length \"\(digits)\"")
                }
                if length >= 0 { next += length + 2 }
            default:
                throw ProtocolBenchmarkError("redis sent a reply of type \"\(Character(Unicode.Scalar(kind)))\", which a GET does not get")
            }
            guard next <= bytes.count else { break }
            replies += 1
            position = next
        }
        if position < bytes.count { partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position...])) }
        return (replies, errors)
    }

    /// Returns the position of the first CR LF at or after `start`, or nil.
    private static func lineEnd(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 13 && bytes[index + 1] == 10 { return index }
            index += 1
        }
        return nil
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
