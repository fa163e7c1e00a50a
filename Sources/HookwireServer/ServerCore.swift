import Foundation
import HookwireCore
import HookwireProtocol
import Synchronization

/// The state the event loops of one server share: settings, the call handler, the worker pool
/// and the count of open connections.
///
/// Thread safety: the stored properties are immutable or atomic; `watches` is a `Mutex`.
final class ServerCore: Sendable {
    /// The protocol versions this server speaks, preferred first.
    static let supportedVersions: [UInt32] = Wire.supportedVersions

    let configuration: ServerConfiguration
    let limits: ProtocolLimits
    let handler: any CallHandler
    let workers: WorkerPool
    /// The pool for calls that mostly wait on fsync or the network.
    let waitingWorkers: WorkerPool
    let openConnections = Atomic<Int>(0)
    private let watches = Mutex<[ObjectIdentifier: any WatchSubscription]>([:])

    init(configuration: ServerConfiguration, handler: any CallHandler) throws {
        self.configuration = configuration
        self.limits = try ProtocolLimits(
            maxFrameSize: configuration.maxFrameSize, maxMetadataSize: configuration.maxMetadataSize,
            maxConcurrentStreams: configuration.maxConcurrentStreams)
        self.handler = handler
        self.workers = WorkerPool(count: configuration.workerThreadCount, name: "hw-worker")
        self.waitingWorkers = WorkerPool(count: configuration.waitingWorkerThreadCount, name: "hw-waiting")
    }

    /// Returns whether a method's calls mostly wait (on a group commit's fsync or on a
    /// target's HTTP response) and so run on `waitingWorkers`.
    static func mostlyWaits(_ method: Method) -> Bool {
        switch method {
        case .publish, .publishBatch, .testWebhook, .redeliver: true
        default: false
        }
    }

    /// Stops both worker pools, waiting up to `timeout` seconds for queued calls.
    func stopWorkers(timeout: Double) {
        workers.stop(timeout: timeout)
        waitingWorkers.stop(timeout: timeout)
    }

    /// Writes one log line through the configured sink, if any.
    func log(_ line: @autoclosure () -> String) {
        configuration.log?(line())
    }

    /// Checks a handshake's token, or the client's address when the server has no token file.
    func authenticate(token: [UInt8], isLoopback: Bool) -> Result<Caller, AuthenticationFailure> {
        if let tokens = configuration.tokens {
            if token.isEmpty {
                return .failure(AuthenticationFailure(message: "no token presented; this server requires one"))
            }
            guard let application = tokens.application(presenting: token) else {
                return .failure(AuthenticationFailure(message: "the presented token is not valid"))
            }
            return .success(Caller(applicationToken: application))
        }
        guard isLoopback else {
            return .failure(
                AuthenticationFailure(
                    message: "this server accepts clients from other hosts only when it runs with a token file (--token-file)"))
        }
        return .success(.administrator)
    }

    /// Keeps a watch subscription so that shutdown can stop it if its connection does not.
    func track(_ subscription: any WatchSubscription) {
        watches.withLock { $0[ObjectIdentifier(subscription)] = subscription }
    }

    func untrack(_ subscription: any WatchSubscription) {
        _ = watches.withLock { $0.removeValue(forKey: ObjectIdentifier(subscription)) }
    }

    /// Cancels every watch subscription still open.
    func stopWatches() {
        let all = watches.withLock { watches in
            let all = Array(watches.values)
            watches.removeAll()
            return all
        }
        for subscription in all { subscription.cancel() }
    }
}
