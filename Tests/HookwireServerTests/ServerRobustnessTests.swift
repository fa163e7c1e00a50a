import Foundation
import Glibc
import HookwireProtocol
import Testing

@testable import HookwireServer

/// Bad input on one connection must end only that connection: after each case a well-behaved
/// client still completes a handshake and a call.
@Suite(.serialized) struct ServerRobustnessTests {
    /// A deterministic generator, so that a failure can be reproduced.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let httpRequest = Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.0\r\n\r\n".utf8)

    /// The start of a TLS 1.2 ClientHello record: handshake type 0x16, version 3.1, a length,
    /// ClientHello 0x01, then random bytes.
    static let tlsClientHello: [UInt8] = {
        var bytes: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0xC8, 0x01, 0x00, 0x00, 0xC4, 0x03, 0x03]
        var generator = SplitMix(state: 7)
        bytes += (0..<189).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return bytes
    }()

    static func helloFrame() -> [UInt8] {
        var bytes: [UInt8] = []
        try! FrameEncoder().append(.hello, streamId: 0, to: &bytes) { $0.append(contentsOf: TestWire.hello()) }
        return bytes
    }

    /// Sends `bytes` (after a handshake when `afterHandshake`) and returns the frames the server
    /// sent before closing.
    func attack(_ server: TestServer, _ bytes: [UInt8], afterHandshake: Bool = false, closeWrite: Bool = false) throws
        -> [ReceivedFrame]
    {
        let client = afterHandshake ? try server.connectedClient() : try RawClient(port: server.port)
        client.send(bytes)
        if closeWrite { shutdown(client.fd, Int32(SHUT_WR)) }
        return try client.readUntilClosed()
    }

    @Test func randomBytesCloseTheConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        var generator = SplitMix(state: 42)
        for round in 0..<20 {
            let bytes = (0..<(64 + round * 97)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let frames = try attack(server, bytes, afterHandshake: round % 2 == 1, closeWrite: true)
            #expect(frames.allSatisfy { $0.type == .goAway || $0.type == .welcome })
        }
        #expect(try server.servesWellBehavedClient())
    }

    @Test func httpRequestGetsGoAway() throws {
        let server = try TestServer()
        defer { server.stop() }
        let frames = try attack(server, Self.httpRequest)
        #expect(frames.map(\.type) == [.goAway])
        #expect(frames.first?.status == .invalidArgument)
        #expect(try Wire.GoAway(decoding: frames[0].payload).message.contains("HTTP"))
        #expect(try server.servesWellBehavedClient())
    }

    @Test func tlsClientHelloGetsGoAway() throws {
        let server = try TestServer()
        defer { server.stop() }
        let frames = try attack(server, Self.tlsClientHello)
        #expect(frames.map(\.type) == [.goAway])
        #expect(frames.first.map { $0.status != .ok } == true)
        #expect(try server.servesWellBehavedClient())
    }

    @Test func hugeLengthIsRejectedBeforeBuffering() throws {
        let server = try TestServer()
        defer { server.stop() }
        let bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xB1, 0x03, 0, 0, 0, 0, 0, 1, 0, 2, 0, 0]
        for afterHandshake in [false, true] {
            let frames = try attack(server, bytes, afterHandshake: afterHandshake)
            #expect(frames.map(\.type) == [.goAway])
            #expect(frames.first?.status == .resourceExhausted)
        }
        #expect(try server.servesWellBehavedClient())
    }

    @Test func truncatedFramesAreDropped() throws {
        let server = try TestServer()
        defer { server.stop() }
        let hello = Self.helloFrame()
        for cut in [1, 4, 10, 16, hello.count - 1] {
            let frames = try attack(server, Array(hello.prefix(cut)), closeWrite: true)
            #expect(frames == [])
        }
        #expect(try server.servesWellBehavedClient())
    }

    @Test func badFlagsReservedAndTypeAreProtocolErrors() throws {
        let server = try TestServer()
        defer { server.stop() }
        var withFlags = Self.helloFrame()
        withFlags[6] = 0x80
        var withReserved = Self.helloFrame()
        withReserved[7] = 1
        var withType = Self.helloFrame()
        withType[5] = 0x7E
        var withStream = Self.helloFrame()
        withStream[11] = 9
        for bytes in [withFlags, withReserved, withType, withStream] {
            let frames = try attack(server, bytes)
            #expect(frames.map(\.type) == [.goAway])
            #expect(frames.first?.status == .invalidArgument)
        }
        #expect(try server.servesWellBehavedClient())
    }

    @Test func thousandIdleConnectionsDoNotBlockOthers() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4096 {
            limit.rlim_cur = min(4096, limit.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let server = try TestServer()
        defer { server.stop() }
        var idle: [RawClient] = []
        for index in 0..<1000 {
            let client = try RawClient(port: server.port)
            if index % 2 == 0 { client.sendFrame(.hello, payload: TestWire.hello()) }
            idle.append(client)
        }
        #expect(server.waitForConnectionCount(1000))
        #expect(try server.servesWellBehavedClient())
        idle.removeAll()
        #expect(server.waitForConnectionCount(0))
    }

    @Test func clientLeavingMidResponseIsDropped() throws {
        let server = try TestServer()
        defer { server.stop() }
        for _ in 0..<5 {
            let client = try server.connectedClient()
            var bytes: [UInt8] = []
            for stream in 1...30 {
                client.frame(.request, streamId: UInt32(stream), code: scriptedMethod, payload: script("big:1000000"), into: &bytes)
            }
            client.send(bytes)
            var header = [UInt8](repeating: 0, count: 16)
            _ = read(client.fd, &header, 16)
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        #expect(server.waitForConnectionCount(0))
        #expect(try server.servesWellBehavedClient())
    }
}
