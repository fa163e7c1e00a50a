import Foundation
import HookwireClient
import Synchronization

/// Load through the Swift client's async API instead of raw frames: C `HookwireClient`
/// instances (one connection each) with P tasks each, every task calling in a loop. It measures
/// what an application gets from the library, continuation and thread hops included.
enum ClientAPILoad {
    static func run<Response: Sendable>(
        address: ServerAddress, token: String?, connections: Int, concurrency: Int, requests: Int,
        call: HookwireCall<Response>
    ) async throws -> ProtocolLoadGenerator.Result {
        let clients = (0..<connections).map { _ in
            HookwireClient(configuration: HookwireClient.Configuration(address: address, token: token))
        }
        defer { for client in clients { client.close() } }
        for client in clients { try client.connect() }

        let remaining = SharedCounter(requests)
        let errors = SharedCounter(0)
        let started = ProtocolLoadGenerator.clock()
        var latencies: [UInt64] = []
        latencies.reserveCapacity(requests)
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for client in clients {
                for _ in 0..<concurrency {
                    group.addTask {
                        var own: [UInt64] = []
                        own.reserveCapacity(requests / (connections * concurrency) + 1)
                        while remaining.value.subtract(1, ordering: .relaxed).oldValue > 0 {
                            let start = ProtocolLoadGenerator.clock()
                            do {
                                _ = try await client.perform(call)
                            } catch {
                                errors.value.add(1, ordering: .relaxed)
                            }
                            own.append(ProtocolLoadGenerator.clock() - start)
                        }
                        return own
                    }
                }
            }
            for try await own in group { latencies += own }
        }
        let seconds = Double(ProtocolLoadGenerator.clock() - started) / 1e9
        latencies.sort()
        return ProtocolLoadGenerator.Result(
            completed: latencies.count, errors: errors.value.load(ordering: .relaxed), firstError: nil, seconds: seconds,
            latencies: latencies)
    }
}

/// An atomic counter that tasks share by reference.
private final class SharedCounter: Sendable {
    let value: Atomic<Int>

    init(_ initial: Int) {
        value = Atomic(initial)
    }
}
