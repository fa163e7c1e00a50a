import CLinuxShim
import Foundation
import Glibc
import HookwireProtocol

/// A frame read by a test client, copied out of the decoder's buffer.
struct ReceivedFrame: Equatable {
    var type: FrameType
    var flags: FrameFlags
    var streamId: UInt32
    var code: UInt16
    var payload: [UInt8]

    var status: StatusCode { StatusCode(rawValue: code) }
}

enum RawClientError: Error, CustomStringConvertible {
    case connectFailed(Int32)
    case timedOut(String)
    case closed(String)

    var description: String {
        switch self {
        case .connectFailed(let code): "connect failed: \(String(cString: strerror(code)))"
        case .timedOut(let what): "timed out waiting for \(what)"
        case .closed(let what): "the server closed the connection while waiting for \(what)"
        }
    }
}

/// A blocking test client that writes raw bytes and frames and reads frames, with a receive
/// timeout so that a test never hangs.
final class RawClient {
    let fd: Int32
    private var decoder = FrameDecoder(limits: try! ProtocolLimits(maxFrameSize: 16 << 20, maxMetadataSize: 65535))
    private let encoder = FrameEncoder(maxFrameSize: 16 << 20)

    init(port: Int, timeout: Double = 10) throws {
        let fd = hw_tcp_connect("127.0.0.1", Int32(port))
        guard fd >= 0 else { throw RawClientError.connectFailed(errno) }
        self.fd = fd
        var interval = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &interval, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Writes bytes as they are, ignoring a peer that already closed.
    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { hw_send_nosignal(fd, $0.baseAddress! + sent, UInt(bytes.count - sent)) }
            if count <= 0 { return }
            sent += count
        }
    }

    /// Encodes one frame into `buffer`.
    func frame(
        _ type: FrameType, streamId: UInt32 = 0, code: UInt16 = 0, flags: FrameFlags = [], payload: [UInt8] = [],
        into buffer: inout [UInt8]
    ) {
        try! encoder.append(type, flags: flags, streamId: streamId, code: code, to: &buffer) {
            $0.append(contentsOf: payload)
        }
    }

    /// Sends one frame.
    func sendFrame(_ type: FrameType, streamId: UInt32 = 0, code: UInt16 = 0, payload: [UInt8] = []) {
        var buffer: [UInt8] = []
        frame(type, streamId: streamId, code: code, payload: payload, into: &buffer)
        send(buffer)
    }

    /// Reads the next frame; returns nil when the server closed the connection cleanly.
    func readFrame() throws -> ReceivedFrame? {
        while true {
            if let frame = try decoder.nextFrame() {
                return ReceivedFrame(
                    type: frame.type, flags: frame.flags, streamId: frame.streamId, code: frame.code,
                    payload: Array(frame.payload))
            }
            let count = decoder.receive(maxCount: 65536) { buffer in
                read(fd, buffer.baseAddress, buffer.count)
            }
            if count == 0 { return nil }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { throw RawClientError.timedOut("a frame") }
                if errno == ECONNRESET { return nil }
                throw RawClientError.closed("a frame (errno \(errno))")
            }
        }
    }

    /// Reads the next frame and fails when the connection closed.
    func expectFrame(_ what: String = "a frame") throws -> ReceivedFrame {
        guard let frame = try readFrame() else { throw RawClientError.closed(what) }
        return frame
    }

    /// Reads frames until the server closes the connection and returns them.
    func readUntilClosed(limit: Int = 10_000) throws -> [ReceivedFrame] {
        var frames: [ReceivedFrame] = []
        while frames.count < limit, let frame = try readFrame() {
            frames.append(frame)
        }
        return frames
    }

    /// Reads raw bytes until the server closes the connection; returns how many arrived.
    func drainUntilClosed() throws -> Int {
        var total = decoder.bufferedByteCount
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return total }
            if count < 0 { throw RawClientError.timedOut("the server to close the connection") }
            total += count
        }
    }
}
