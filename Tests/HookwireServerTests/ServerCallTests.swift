import Foundation
import HookwireCore
import HookwireProtocol
import Testing

@testable import HookwireServer

@Suite(.serialized) struct ServerCallTests {
    @Test func pingIsAnsweredWithSameBytes() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.ping, payload: [1, 2, 3, 4, 5, 6, 7, 8])
        let pong = try client.expectFrame("PONG")
        #expect(pong.type == .pong)
        #expect(pong.payload == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func callsPipelinedBehindHelloAllRun() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        var bytes: [UInt8] = []
        client.frame(.hello, payload: TestWire.hello(), into: &bytes)
        for stream in 1...50 {
            client.frame(.request, streamId: UInt32(stream), code: scriptedMethod, payload: script("echo:\(stream)"), into: &bytes)
        }
        client.send(bytes)
        #expect(try client.expectFrame("WELCOME").type == .welcome)
        var seen: [UInt32: [UInt8]] = [:]
        for _ in 1...50 {
            let frame = try client.expectFrame("a response")
            #expect(frame.type == .response)
            seen[frame.streamId] = frame.payload
        }
        #expect(seen.count == 50)
        for stream in 1...50 {
            #expect(seen[UInt32(stream)] == Array("\(stream)".utf8))
        }
    }

    @Test func responsesReturnOutOfOrder() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("wait:first"))
        client.sendFrame(.request, streamId: 3, code: scriptedMethod, payload: script("echo:second"))
        let early = try client.expectFrame("the second call's response")
        #expect(early.streamId == 3)
        #expect(early.payload == Array("second".utf8))
        server.handler.gates.open("first")
        let late = try client.expectFrame("the first call's response")
        #expect(late.streamId == 1)
        #expect(late.payload == Array("first".utf8))
    }

    @Test func callOverStreamLimitIsExhaustedWithoutRunning() throws {
        let server = try TestServer { $0.maxConcurrentStreams = 2 }
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("wait:limit"))
        client.sendFrame(.request, streamId: 3, code: scriptedMethod, payload: script("wait:limit"))
        client.sendFrame(.request, streamId: 5, code: scriptedMethod, payload: script("echo:over"))
        let refused = try client.expectFrame("RESOURCE_EXHAUSTED")
        #expect(refused.type == .error)
        #expect(refused.streamId == 5)
        #expect(refused.status == .resourceExhausted)
        #expect(try Wire.Status(decoding: refused.payload).message.contains("2 calls are running"))
        server.handler.gates.open("limit")
        let ends = [try client.expectFrame(), try client.expectFrame()]
        #expect(Set(ends.map(\.streamId)) == [1, 3])
        #expect(server.handler.calls.load(ordering: .relaxed) == 2)
        client.sendFrame(.request, streamId: 7, code: scriptedMethod, payload: script("echo:after"))
        #expect(try client.expectFrame().payload == Array("after".utf8))
    }

    @Test func duplicateInFlightStreamIdEndsConnection() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("wait:duplicate"))
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("echo:again"))
        let goAway = try client.expectFrame("GOAWAY")
        #expect(goAway.type == .goAway)
        #expect(goAway.status == .invalidArgument)
        let message = try Wire.GoAway(decoding: goAway.payload)
        #expect(message.lastStreamId == 1)
        #expect(message.message.contains("stream id 1"))
        #expect(try client.readUntilClosed() == [])
        server.handler.gates.open("duplicate")
        #expect(try server.servesWellBehavedClient())
    }

    @Test func cancelledCallEndsWithCancelled() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("wait:cancel"))
        while server.handler.started.load(ordering: .relaxed) == 0 { usleep(1000) }
        client.sendFrame(.cancel, streamId: 1)
        client.sendFrame(.ping, payload: [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(try client.expectFrame("PONG").type == .pong)
        server.handler.gates.open("cancel")
        let end = try client.expectFrame("the cancelled call's end")
        #expect(end.type == .error)
        #expect(end.streamId == 1)
        #expect(end.status == .cancelled)
    }

    @Test func unknownMethodIsUnimplementedAndConnectionStays() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: 999, payload: [])
        let error = try client.expectFrame("UNIMPLEMENTED")
        #expect(error.type == .error)
        #expect(error.status == .unimplemented)
        #expect(try Wire.Status(decoding: error.payload).message.contains("999"))
        client.sendFrame(.request, streamId: 3, code: scriptedMethod, payload: script("echo:still here"))
        #expect(try client.expectFrame().payload == Array("still here".utf8))
    }

    @Test func engineErrorBecomesStatusWithCode() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("fail"))
        let error = try client.expectFrame()
        #expect(error.type == .error)
        #expect(error.status == .notFound)
        let status = try Wire.Status(decoding: error.payload)
        #expect(status.message == "webhook 42 not found")
        #expect(status.errorCode == HookwireError.Code.notFound.rawValue)
    }

    @Test func responseOverClientFrameSizeIsExhausted() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("big:\(2 << 20)"))
        let error = try client.expectFrame()
        #expect(error.type == .error)
        #expect(error.status == .resourceExhausted)
    }

    @Test func shutdownSendsGoAwayAndFinishesRunningCalls() throws {
        let server = try TestServer()
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 5, code: scriptedMethod, payload: script("wait:shutdown"))
        while server.handler.started.load(ordering: .relaxed) == 0 { usleep(1000) }
        let stopped = DispatchSemaphore(value: 0)
        let running = server.server
        Thread.detachNewThread {
            running.shutdown(gracePeriod: 10)
            stopped.signal()
        }
        let goAway = try client.expectFrame("GOAWAY")
        #expect(goAway.type == .goAway)
        #expect(goAway.status == .ok)
        #expect(try Wire.GoAway(decoding: goAway.payload).lastStreamId == 5)
        client.sendFrame(.request, streamId: 7, code: scriptedMethod, payload: script("echo:late"))
        let refused = try client.expectFrame("UNAVAILABLE")
        #expect(refused.streamId == 7)
        #expect(refused.status == .unavailable)
        server.handler.gates.open("shutdown")
        let response = try client.expectFrame("the running call's response")
        #expect(response.type == .response)
        #expect(response.streamId == 5)
        #expect(try client.readUntilClosed() == [])
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        #expect(isPortClosed(server.port))
    }

    @Test func connectionsOverMaximumAreClosed() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        defer { server.stop() }
        let first = try server.connectedClient()
        let second = try server.connectedClient()
        let third = try RawClient(port: server.port)
        third.sendFrame(.hello, payload: TestWire.hello())
        #expect(try third.readUntilClosed() == [])
        first.sendFrame(.ping, payload: [UInt8](repeating: 1, count: 8))
        second.sendFrame(.ping, payload: [UInt8](repeating: 2, count: 8))
        #expect(try first.expectFrame().type == .pong)
        #expect(try second.expectFrame().type == .pong)
    }
}

/// Returns true when nothing listens on the port any more.
func isPortClosed(_ port: Int) -> Bool {
    (try? RawClient(port: port)) == nil
}
