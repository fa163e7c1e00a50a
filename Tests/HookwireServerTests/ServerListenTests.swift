import Foundation
import Hookwire
import HookwireCore
import Testing

@testable import HookwireServer

/// Binding the listening port: a port in use is an error at start, never a shared port.
@Suite struct ServerListenTests {
    @Test func secondServerOnSamePortFails() throws {
        let first = try EngineTestServer()
        var configuration = ServerConfiguration()
        configuration.port = first.port
        configuration.eventLoopCount = 2
        let second = HookwireServer(engine: first.engine, configuration: configuration)

        let error = #expect(throws: HookwireError.self) { try second.start() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("127.0.0.1:\(first.port)") == true)
        #expect(error?.message.contains("in use") == true)
        #expect(second.address == nil)
    }
}
