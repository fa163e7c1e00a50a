import Dispatch
import HookwireCore
import HookwireProtocol

/// Applies a REQUEST frame's `CallMetadata` to a call before it runs.
enum CallContext {
    /// Returns the caller with the metadata's associate id, or the failure that ends the call:
    /// INVALID_ARGUMENT for malformed metadata, DEADLINE_EXCEEDED when the call waited in the
    /// queue longer than the client's timeout (it is then not run).
    static func make(metadata: [UInt8]?, caller: Caller, queuedAt: UInt64) -> Result<Caller, CallFailure> {
        guard let metadata else { return .success(caller) }
        let decoded: Wire.CallMetadata
        do {
            decoded = try Wire.CallMetadata(decoding: metadata[...])
        } catch {
            return .failure(CallFailure(status: .invalidArgument, message: "malformed call metadata: \(error)", code: .invalidArgument))
        }
        if decoded.timeoutMilliseconds > 0 {
            let waited = (DispatchTime.now().uptimeNanoseconds - queuedAt) / 1_000_000
            if waited >= UInt64(decoded.timeoutMilliseconds) {
                return .failure(
                    CallFailure(
                        status: .deadlineExceeded,
                        message: "the call waited \(waited) ms for a worker, past its \(decoded.timeoutMilliseconds) ms timeout",
                        code: .timedOut))
            }
        }
        var caller = caller
        caller.associateId = decoded.associateId
        return .success(caller)
    }
}
