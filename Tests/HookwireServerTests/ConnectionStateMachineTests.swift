import HookwireCore
import HookwireProtocol
import Testing

@testable import HookwireServer

@Suite struct ConnectionStateMachineTests {
    static let token = "k3J9xQ2mWb7rT4vZ"

    func machine(maxConcurrentStreams: Int = 100) -> ConnectionStateMachine {
        let limits = try! ProtocolLimits(maxConcurrentStreams: maxConcurrentStreams)
        return ConnectionStateMachine(limits: limits, supportedVersions: [1], isLoopback: true) { token, _ in
            token == Array(Self.token.utf8)
                ? .success(Caller(applicationToken: "crm-sync"))
                : .failure(AuthenticationFailure(message: "the presented token is not valid"))
        }
    }

    func hello(versions: [UInt32] = [1], token: String = Self.token) -> Frame {
        Frame(type: .hello, payload: Wire.Hello(versions: versions, token: token).encoded()[...])
    }

    func request(_ streamId: UInt32, method: HookwireProtocol.Method = .getWebhook) -> Frame {
        Frame(type: .request, streamId: streamId, code: method.rawValue)
    }

    func opened(maxConcurrentStreams: Int = 100) -> ConnectionStateMachine {
        var machine = machine(maxConcurrentStreams: maxConcurrentStreams)
        _ = machine.receive(hello())
        return machine
    }

    @Test func helloWithTokenOpensConnection() {
        var machine = machine()
        let action = machine.receive(hello(versions: [9, 1]))
        #expect(
            action
                == .welcome(
                    version: 1, caller: Caller(applicationToken: "crm-sync"),
                    clientMaxFrameSize: ProtocolLimits.defaultMaxFrameSize))
        #expect(machine.phase == .open)
    }

    @Test func helloWithoutCommonVersionIsRejected() {
        var machine = machine()
        guard case .rejectHandshake(let status, let message) = machine.receive(hello(versions: [2, 3])) else {
            Issue.record("expected a rejected handshake")
            return
        }
        #expect(status == .unimplemented)
        #expect(message.contains("[2, 3]"))
        #expect(machine.phase == .closed)
    }

    @Test func wrongTokenIsUnauthenticated() {
        var machine = machine()
        let action = machine.receive(hello(token: "not-the-token-at-all"))
        #expect(action == .rejectHandshake(.unauthenticated, "the presented token is not valid"))
        #expect(machine.caller == nil)
        #expect(machine.receive(request(1)) == .none)
    }

    @Test func malformedHelloIsInvalidArgument() {
        var machine = machine()
        guard case .rejectHandshake(let status, _) = machine.receive(Frame(type: .hello, payload: [0x0F, 0x01])) else {
            Issue.record("expected a rejected handshake")
            return
        }
        #expect(status == .invalidArgument)
    }

    @Test func requestBeforeHelloIsProtocolError() {
        var machine = machine()
        guard case .goAway(let status, _) = machine.receive(request(1)) else {
            Issue.record("expected GOAWAY")
            return
        }
        #expect(status == .invalidArgument)
        #expect(machine.phase == .closed)
    }

    @Test func requestIsDispatchedAndTracked() {
        var machine = opened()
        #expect(machine.receive(request(5)) == .dispatch(streamId: 5, method: .getWebhook))
        #expect(machine.lastProcessedStreamId == 5)
        // A call served on the spot never opens its stream; one sent to a worker does.
        #expect(!machine.hasStreamsOpen)
        machine.startUnary(5)
        #expect(machine.hasStreamsOpen)
        #expect(machine.endStream(5) == true)
        #expect(!machine.hasStreamsOpen)
    }

    @Test func duplicateInFlightStreamIdIsProtocolError() {
        var machine = opened()
        _ = machine.receive(request(1))
        machine.startUnary(1)
        guard case .goAway(let status, let message) = machine.receive(request(1)) else {
            Issue.record("expected GOAWAY")
            return
        }
        #expect(status == .invalidArgument)
        #expect(message.contains("stream id 1"))
    }

    @Test func streamIdMayBeReusedAfterItEnds() {
        var machine = opened()
        _ = machine.receive(request(1))
        machine.startUnary(1)
        _ = machine.endStream(1)
        #expect(machine.receive(request(1)) == .dispatch(streamId: 1, method: .getWebhook))
    }

    @Test func streamsOverLimitAreExhaustedWithoutRunning() {
        var machine = opened(maxConcurrentStreams: 2)
        #expect(machine.receive(request(1)) == .dispatch(streamId: 1, method: .getWebhook))
        machine.startUnary(1)
        #expect(machine.receive(request(3)) == .dispatch(streamId: 3, method: .getWebhook))
        machine.startUnary(3)
        guard case .failStream(let streamId, let status, _) = machine.receive(request(5)) else {
            Issue.record("expected RESOURCE_EXHAUSTED")
            return
        }
        #expect(streamId == 5)
        #expect(status == .resourceExhausted)
        #expect(machine.lastProcessedStreamId == 3)
        _ = machine.endStream(1)
        #expect(machine.receive(request(7)) == .dispatch(streamId: 7, method: .getWebhook))
    }

    @Test func unknownMethodIsUnimplemented() {
        var machine = opened()
        guard case .failStream(let streamId, let status, let message) = machine.receive(Frame(type: .request, streamId: 9, code: 999))
        else {
            Issue.record("expected UNIMPLEMENTED")
            return
        }
        #expect(streamId == 9)
        #expect(status == .unimplemented)
        #expect(message.contains("999"))
        #expect(machine.phase == .open)
    }

    @Test func cancelledCallEndsAsCancelled() {
        var machine = opened()
        _ = machine.receive(request(1))
        machine.startUnary(1)
        #expect(machine.receive(Frame(type: .cancel, streamId: 1)) == .none)
        #expect(!machine.isStreamOpen(1))
        #expect(machine.endStream(1) == false)
        #expect(machine.endStream(1) == nil)
    }

    @Test func cancelOfWatchStopsIt() {
        var machine = opened()
        #expect(machine.receive(request(2, method: .watch)) == .startWatch(streamId: 2))
        #expect(machine.watchStreamIds == [2])
        #expect(machine.receive(Frame(type: .cancel, streamId: 2)) == .stopWatch(streamId: 2))
        #expect(!machine.hasStreamsOpen)
    }

    @Test func cancelOfUnknownStreamIsIgnored() {
        var machine = opened()
        #expect(machine.receive(Frame(type: .cancel, streamId: 11)) == .none)
        #expect(machine.phase == .open)
    }

    @Test func pingGetsPong() {
        var machine = opened()
        #expect(machine.receive(Frame(type: .ping, payload: [1, 2, 3, 4, 5, 6, 7, 8])) == .pong)
    }

    @Test func shutdownDrainsThenRefusesNewCalls() {
        var machine = opened()
        _ = machine.receive(request(3))
        #expect(machine.beginShutdown() == .goAway(.ok, "the server is shutting down"))
        #expect(machine.phase == .draining)
        guard case .failStream(7, let status, _) = machine.receive(request(7)) else {
            Issue.record("expected UNAVAILABLE for a call after GOAWAY")
            return
        }
        #expect(status == .unavailable)
        #expect(machine.lastProcessedStreamId == 3)
        #expect(machine.beginShutdown() == nil)
    }

    @Test func serverOnlyFramesFromClientAreProtocolErrors() {
        for type in [FrameType.welcome, .response, .streamItem, .error] {
            var machine = opened()
            guard case .goAway(let status, _) = machine.receive(Frame(type: type, streamId: type.isConnectionLevel ? 0 : 1))
            else {
                Issue.record("expected GOAWAY for \(type)")
                continue
            }
            #expect(status == .invalidArgument)
        }
    }

    @Test func secondHelloIsProtocolError() {
        var machine = opened()
        guard case .goAway = machine.receive(hello()) else {
            Issue.record("expected GOAWAY")
            return
        }
    }
}
