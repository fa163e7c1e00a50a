import CLinuxShim
import Foundation
import Glibc
import Synchronization

/// A minimal HTTP receiver on 127.0.0.1 that responds 200 to every request and counts the
/// requests, so that deliveries have a real target.
final class LoopbackHTTPReceiver: Sendable {
    let port: Int
    private let fd: Int32
    private let requests = Atomic<Int>(0)
    private let stopped = Atomic<Bool>(false)

    init() throws {
        var bound: Int32 = 0
        let fd = hw_tcp_listen("127.0.0.1", 0, 0, 64, &bound)
        guard fd >= 0 else { throw RawClientError.connectFailed(errno) }
        hw_set_nonblocking(fd, 0)
        self.fd = fd
        port = Int(bound)
        Thread.detachNewThread { [self] in serve() }
    }

    var requestCount: Int { requests.load(ordering: .relaxed) }

    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve() {
        while !stopped.load(ordering: .relaxed) {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            answer(client)
            close(client)
        }
    }

    /// Reads the head and the body the Content-Length announces, then responds 200.
    private func answer(_ client: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        var bodyNeeded: Int?
        var headEnd = 0
        while true {
            if bodyNeeded == nil, let end = received.firstRange(of: Array("\r\n\r\n".utf8)) {
                headEnd = end.upperBound
                let head = String(decoding: received[..<end.lowerBound], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) }
                bodyNeeded = length ?? 0
            }
            if let bodyNeeded, received.count - headEnd >= bodyNeeded { break }
            let count = read(client, &buffer, buffer.count)
            if count <= 0 { return }
            received += buffer[0..<count]
        }
        requests.add(1, ordering: .relaxed)
        let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        _ = response.withUnsafeBytes { hw_send_nosignal(client, $0.baseAddress, UInt($0.count)) }
    }
}
