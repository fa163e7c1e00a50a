import Hookwire
import HookwireCore
import HookwireProtocol

/// Runs the protocol's methods on a `HookwireEngine`.
struct EngineCallHandler: CallHandler {
    let engine: HookwireEngine

    func handle(_ method: Method, request: ArraySlice<UInt8>, caller: Caller) -> CallResult {
        .failure(.unimplemented, "method \(method) is not implemented yet", nil)
    }

    func watch(
        request: ArraySlice<UInt8>, caller: Caller, emit: @escaping @Sendable ([UInt8]) -> Void
    ) -> Result<any WatchSubscription, CallFailure> {
        .failure(CallFailure(status: .unimplemented, message: "watch is not implemented yet", code: nil))
    }
}
