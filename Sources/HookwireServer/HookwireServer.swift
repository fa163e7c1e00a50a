import CLinuxShim
import Foundation
import Glibc
import Hookwire
import HookwireProtocol
import Synchronization

/// The address a server listens on.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host as configured, such as `127.0.0.1` or `::1`.
    public var host: String
    /// The bound TCP port; never 0 once the server has started.
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// The protocol server: epoll event loops that accept clients and serve their calls on an
/// engine, with blocking engine work on a pool of worker threads.
///
/// The server never changes the process's signal handling, so a host may run it in-process.
/// It does not own the engine: shut the server down before the engine.
public final class HookwireServer: Sendable {
    private enum Phase {
        case idle
        case running(core: ServerCore, loops: [EventLoop], address: ListenAddress)
        case stopped
    }

    /// The server's version, printed by `hookwired` at start: the engine's version.
    public static let version = HookwireEngine.version

    private let handler: any CallHandler
    private let configuration: ServerConfiguration
    private let phase = Mutex<Phase>(.idle)

    /// Creates a server for `engine`. Nothing is bound until `start()`.
    public convenience init(engine: HookwireEngine, configuration: ServerConfiguration = .init()) {
        self.init(handler: EngineCallHandler(engine: engine), configuration: configuration)
    }

    init(handler: any CallHandler, configuration: ServerConfiguration) {
        self.handler = handler
        self.configuration = configuration
    }

    /// The bound address while the server runs, otherwise nil.
    public var address: ListenAddress? {
        phase.withLock { phase in
            if case .running(_, _, let address) = phase { return address }
            return nil
        }
    }

    /// The number of open client connections.
    public var connectionCount: Int {
        phase.withLock { phase in
            if case .running(let core, _, _) = phase { return core.openConnections.load(ordering: .relaxed) }
            return 0
        }
    }

    /// Binds the listening sockets and starts the event loops and workers.
    ///
    /// - Returns: the bound address, whose port is the one picked when the configured port is 0.
    /// - Throws: `HookwireError` with `invalidArgument` for a bad setting or a host that does not
    ///   resolve, `unavailable` when the address cannot be bound (in use, not local) or the
    ///   server already started, `internalError` when epoll or eventfd fail.
    @discardableResult
    public func start() throws -> ListenAddress {
        try configuration.validate()
        return try phase.withLock { phase in
            guard case .idle = phase else {
                throw HookwireError(.unavailable, "the server was already started")
            }
            let listeners = try bindListeners()
            let address = ListenAddress(host: configuration.host, port: listeners.port)
            let core = try ServerCore(configuration: configuration, handler: handler)
            var loops: [EventLoop] = []
            do {
                for (index, fd) in listeners.fds.enumerated() {
                    loops.append(try EventLoop(index: index, core: core, listenFD: fd))
                }
            } catch {
                for fd in listeners.fds[loops.count...] { close(fd) }
                for loop in loops { loop.post(.stop); loop.start() }
                core.stopWorkers(timeout: 1)
                throw HookwireError(.internalError, "cannot start the event loops: \(error)")
            }
            for loop in loops { loop.start() }
            phase = .running(core: core, loops: loops, address: address)
            return address
        }
    }

    /// Opens one listening socket per event loop on the same port with SO_REUSEPORT, so that the
    /// kernel spreads new connections across the loops.
    ///
    /// SO_REUSEPORT would also let a second server of the same user join the group on a port
    /// that is in use, splitting clients between two databases. So the port is first bound
    /// without it, which fails with EADDRINUSE when any server listens there, and that probe is
    /// closed before the group is bound.
    // NOTE: two servers started in the same instant can both pass the probe.
    private func bindListeners() throws -> (fds: [Int32], port: Int) {
        let count = configuration.eventLoopCount
        var fds: [Int32] = []
        var port = Int32(configuration.port)
        if count > 1 {
            var bound: Int32 = 0
            let probe = hw_tcp_listen(configuration.host, port, 0, 1, &bound)
            if probe < 0 {
                try throwListenFailure(probe, port: port)
            }
            close(probe)
            port = bound
        }
        for _ in 0..<count {
            var bound: Int32 = 0
            let fd = hw_tcp_listen(configuration.host, port, count > 1 ? 1 : 0, 1024, &bound)
            if fd < 0 {
                let savedErrno = errno
                for open in fds { close(open) }
                errno = savedErrno
                try throwListenFailure(fd, port: port)
            }
            fds.append(fd)
            port = bound
        }
        return (fds, Int(port))
    }

    /// Throws the error for a failed `hw_tcp_listen` result, reading `errno`.
    private func throwListenFailure(_ result: Int32, port: Int32) throws -> Never {
        if result == -2 {
            throw HookwireError.invalidArgument("listen host \(configuration.host) does not resolve to an address")
        }
        let reason = String(cString: strerror(errno))
        throw HookwireError(
            .unavailable, "cannot listen on \(ListenAddress(host: configuration.host, port: Int(port))): \(reason)")
    }

    /// Stops accepting, sends GOAWAY to every client, lets running calls finish for up to
    /// `gracePeriod` seconds, then closes the remaining connections and stops the threads.
    /// Returns once the event loops have exited. Calling it again does nothing.
    ///
    /// Must not be called from a server thread, such as within a call handler.
    public func shutdown(gracePeriod: Double = 10) {
        let running: (ServerCore, [EventLoop])? = phase.withLock { phase in
            guard case .running(let core, let loops, _) = phase else { return nil }
            phase = .stopped
            return (core, loops)
        }
        guard let (core, loops) = running else { return }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, gracePeriod) * 1e9)
        for loop in loops { loop.post(.beginShutdown) }
        while core.openConnections.load(ordering: .relaxed) > 0 && DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(5_000)
        }
        for loop in loops {
            loop.post(.closeAll)
            loop.post(.stop)
        }
        for loop in loops { _ = loop.waitUntilStopped(timeout: 5) }
        core.stopWatches()
        let current = DispatchTime.now().uptimeNanoseconds
        let remaining = deadline > current ? Double(deadline - current) / 1e9 : 0
        core.stopWorkers(timeout: max(1, remaining))
    }
}
