import Foundation
import HookwireProtocol
import Testing

@testable import HookwireServer

@Suite(.serialized) struct ServerWatchTests {
    static let watchMethod = HookwireProtocol.Method.watch.rawValue

    /// Waits until the handler has `count` open watch streams.
    func waitForWatchers(_ handler: ScriptedHandler, count: Int) -> Bool {
        for _ in 0..<500 {
            if handler.watchers.withLock({ $0.filter { !$0.isCancelled }.count }) == count { return true }
            usleep(10_000)
        }
        return false
    }

    func item(_ webhooks: Int64) -> Wire.Stats {
        var stats = Wire.Stats()
        stats.webhooks = webhooks
        return stats
    }

    @Test func watchItemsStreamUntilCancel() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 2, code: Self.watchMethod)
        #expect(waitForWatchers(server.handler, count: 1))
        usleep(50_000)

        server.handler.emitToWatchers(item(7))
        let first = try client.expectFrame("a watch item")
        #expect(first.type == .streamItem)
        #expect(first.streamId == 2)
        #expect(first.flags == [])
        #expect(try Wire.Stats(decoding: first.payload).webhooks == 7)

        client.sendFrame(.cancel, streamId: 2)
        let end = try client.expectFrame("the end of the watch")
        #expect(end.type == .error)
        #expect(end.streamId == 2)
        #expect(end.status == .cancelled)
        #expect(waitForWatchers(server.handler, count: 0))

        // Stream 2 is free again. An item the old watch emits late must not reach a new call
        // that reuses the stream id.
        let stale = try #require(server.handler.watchers.withLock { $0.first })
        client.sendFrame(.request, streamId: 2, code: scriptedMethod, payload: script("wait:reuse"))
        while server.handler.started.load(ordering: .relaxed) == 0 { usleep(1000) }
        stale.emit(item(8))
        usleep(50_000)
        server.handler.gates.open("reuse")
        let response = try client.expectFrame("the unary response")
        #expect(response.type == .response)
        #expect(response.streamId == 2)
        #expect(response.payload == Array("reuse".utf8))
    }

    @Test func refusedWatchEndsWithStatus() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 4, code: Self.watchMethod, payload: script("refuse"))
        let end = try client.expectFrame()
        #expect(end.type == .error)
        #expect(end.streamId == 4)
        #expect(end.status == .permissionDenied)
    }

    @Test func watchKeepsConnectionPastIdleTimeout() throws {
        let server = try TestServer { $0.idleTimeout = 0.3 }
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 2, code: Self.watchMethod)
        #expect(waitForWatchers(server.handler, count: 1))
        usleep(800_000)
        #expect(server.handler.emitToWatchers(item(1)) == 1)
        #expect(try client.expectFrame().type == .streamItem)
    }

    @Test func idleConnectionIsClosedWithGoAway() throws {
        let server = try TestServer { $0.idleTimeout = 0.3 }
        defer { server.stop() }
        let client = try server.connectedClient()
        let frames = try client.readUntilClosed()
        #expect(frames.map(\.type) == [.goAway])
        #expect(frames.first?.status == .ok)
    }

    @Test func shutdownEndsWatchWithUnavailable() throws {
        let server = try TestServer()
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 2, code: Self.watchMethod)
        #expect(waitForWatchers(server.handler, count: 1))
        usleep(50_000)
        let running = server.server
        Thread.detachNewThread { running.shutdown(gracePeriod: 5) }
        let goAway = try client.expectFrame("GOAWAY")
        #expect(goAway.type == .goAway)
        #expect(try Wire.GoAway(decoding: goAway.payload).lastStreamId == 2)
        let end = try client.expectFrame("the end of the watch")
        #expect(end.type == .error)
        #expect(end.status == .unavailable)
        #expect(try client.readUntilClosed() == [])
        #expect(waitForWatchers(server.handler, count: 0))
    }
}
