import Foundation
import HookwireCore
import HookwireProtocol
import Testing

@testable import HookwireServer

@Suite(.serialized) struct ServerHandshakeTests {
    static let token = "k3J9xQ2mWb7rT4vZ"

    @Test func handshakeAnnouncesVersionAndLimits() throws {
        let server = try TestServer { $0.maxConcurrentStreams = 7 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.sendFrame(.hello, payload: TestWire.hello(versions: [9, 1]))
        let welcome = try client.expectFrame("WELCOME")
        #expect(welcome.type == .welcome)
        #expect(welcome.status == .ok)
        let fields = try #require(TestWire.parse(welcome.payload))
        #expect(fields[1]?.first?.integer == 1)
        #expect(TestWire.repeatedVarints(fields[2]) == [1])
        #expect(fields[3]?.first?.integer == UInt64(ProtocolLimits.defaultMaxFrameSize))
        #expect(fields[5]?.first?.integer == 7)
        #expect(fields[9] == nil)
    }

    @Test func unsupportedVersionListsSupportedAndCloses() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.sendFrame(.hello, payload: TestWire.hello(versions: [2, 3]))
        let welcome = try client.expectFrame("WELCOME")
        #expect(welcome.type == .welcome)
        #expect(welcome.status == .unimplemented)
        let fields = try #require(TestWire.parse(welcome.payload))
        #expect(fields[1] == nil)
        #expect(TestWire.repeatedVarints(fields[2]) == [1])
        #expect(fields[9]?.first?.text?.contains("[2, 3]") == true)
        #expect(try client.readUntilClosed() == [])
        #expect(try server.servesWellBehavedClient())
    }

    @Test func wrongTokenGetsUnauthenticatedAndNothingElse() throws {
        let server = try TestServer { $0.tokens = try! TokenTable(parsing: "\(Self.token) crm-sync\n") }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        var bytes: [UInt8] = []
        client.frame(.hello, payload: TestWire.hello(token: "k3J9xQ2mWb7rT4vY"), into: &bytes)
        client.frame(.request, streamId: 1, code: scriptedMethod, payload: script("echo:secret"), into: &bytes)
        client.send(bytes)
        let welcome = try client.expectFrame("WELCOME")
        #expect(welcome.type == .welcome)
        #expect(welcome.status == .unauthenticated)
        #expect(try client.readUntilClosed() == [])
        #expect(server.handler.calls.load(ordering: .relaxed) == 0)
        #expect(!server.log.all.joined().contains("k3J9xQ2mWb7rT4vY"))
    }

    @Test func missingTokenGetsUnauthenticated() throws {
        let server = try TestServer { $0.tokens = try! TokenTable(parsing: "\(Self.token) crm-sync\n") }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.sendFrame(.hello, payload: TestWire.hello())
        let welcome = try client.expectFrame("WELCOME")
        #expect(welcome.status == .unauthenticated)
        #expect(try client.readUntilClosed() == [])
    }

    @Test func tokenNamesTheCallingApplication() throws {
        let server = try TestServer { $0.tokens = try! TokenTable(parsing: "\(Self.token) crm-sync\n") }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.sendFrame(.hello, payload: TestWire.hello(token: Self.token))
        let welcome = try client.expectFrame("WELCOME")
        #expect(welcome.status == .ok)
        #expect(TestWire.parse(welcome.payload)?[8]?.first?.text == "crm-sync")
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("caller"))
        let response = try client.expectFrame("the response")
        #expect(response.type == .response)
        #expect(response.payload == Array("crm-sync".utf8))
    }

    @Test func loopbackClientWithoutTokenFileIsAdministrator() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try server.connectedClient()
        client.sendFrame(.request, streamId: 1, code: scriptedMethod, payload: script("caller"))
        #expect(try client.expectFrame().payload == Array("administrator".utf8))
    }

    @Test func remoteClientWithoutTokenFileIsRejected() throws {
        let core = try ServerCore(configuration: ServerConfiguration(), handler: ScriptedHandler())
        defer { core.stopWorkers(timeout: 1) }
        guard case .failure(let failure) = core.authenticate(token: [], isLoopback: false) else {
            Issue.record("a remote client was accepted without a token file")
            return
        }
        #expect(failure.message.contains("--token-file"))
        guard case .success(let caller) = core.authenticate(token: [], isLoopback: true) else {
            Issue.record("a loopback client was rejected")
            return
        }
        #expect(caller.isAdministrator)
    }

    @Test func malformedHelloIsRejected() throws {
        let server = try TestServer()
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        client.sendFrame(.hello, payload: [0x0F, 0x01])
        let welcome = try client.expectFrame("WELCOME")
        #expect(welcome.status == .invalidArgument)
        #expect(try client.readUntilClosed() == [])
    }

    @Test func silentClientIsClosedAfterHandshakeTimeout() throws {
        let server = try TestServer { $0.handshakeTimeout = 0.3 }
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        let frames = try client.readUntilClosed()
        #expect(frames.map(\.type) == [.goAway])
        #expect(frames.first?.status == .deadlineExceeded)
    }
}
