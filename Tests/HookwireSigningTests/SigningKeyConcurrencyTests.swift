import Dispatch
import HookwireSigning
import Synchronization
import Testing

@Suite struct SigningKeyConcurrencyTests {
    @Test func concurrentSignaturesMatchSerialOnes() throws {
        let key = try makeKey()
        let bodies = (0..<64).map { index in [UInt8](repeating: UInt8(index), count: 100 + index * 37) }
        let expected = bodies.map { key.sign(id: "msg_\($0.count)", timestamp: 1_700_000_000, body: $0) }
        let mismatches = Atomic<Int>(0)
        let signatures = Atomic<Int>(0)

        // More threads than the pool keeps idle, so contexts are created and freed too.
        DispatchQueue.concurrentPerform(iterations: SigningKey.maximumIdleContexts * 2) { thread in
            for round in 0..<200 {
                let index = (thread * 7 + round) % bodies.count
                let body = bodies[index]
                let code = key.sign(id: "msg_\(body.count)", timestamp: 1_700_000_000, body: body)
                if code != expected[index] { mismatches.add(1, ordering: .relaxed) }
                signatures.add(1, ordering: .relaxed)
            }
        }

        #expect(signatures.load(ordering: .relaxed) == SigningKey.maximumIdleContexts * 2 * 200)
        #expect(mismatches.load(ordering: .relaxed) == 0)
    }
}
