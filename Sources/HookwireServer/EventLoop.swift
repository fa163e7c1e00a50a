import CLinuxShim
import Foundation
import Glibc
import Synchronization

/// A message handed to an event loop from another thread.
enum LoopMessage: Sendable {
    /// Encoded frames for one stream of one connection, from a worker or a watch subscription.
    /// `endsStream` is true when the frames finish the call. `watch` is the watch call's number,
    /// or 0 for a unary call, so that frames of a cancelled watch never reach a later call that
    /// reuses its stream id.
    case frames(ConnectionKey, streamId: UInt32, bytes: [UInt8], endsStream: Bool, watch: UInt64)
    /// A watch stream's subscription, once a worker opened it.
    case watchStarted(ConnectionKey, streamId: UInt32, watch: UInt64, subscription: any WatchSubscription)
    /// Stop accepting, send GOAWAY to every connection and close each once its calls finish.
    case beginShutdown
    /// Close every connection now.
    case closeAll
    /// Leave the loop and release its descriptors.
    case stop
}

/// Identifies a connection across threads: the descriptor plus a serial number, so that a
/// message for a closed connection never reaches a later connection that reuses the descriptor.
struct ConnectionKey: Hashable, Sendable {
    var fd: Int32
    var serial: UInt64
}

/// One epoll event loop on its own thread: it accepts connections on its own listening socket,
/// reads and decodes requests, hands calls to the worker pool and writes their responses.
///
/// Everything but `post` runs on the loop thread. Thread safety: `inbox` is a `Mutex`; the
/// remaining state is touched only by the loop thread.
final class EventLoop: @unchecked Sendable {
    static let wakeTag = UInt64.max
    static let listenerTag = UInt64.max - 1
    /// How often deadlines are checked and a paused accept is resumed, in nanoseconds.
    static let tickNanoseconds: UInt64 = 250_000_000
    /// How long accepting pauses after the process or the system runs out of descriptors.
    static let acceptPauseNanoseconds: UInt64 = 100_000_000

    let index: Int
    let core: ServerCore
    let epollFD: Int32
    let wakeFD: Int32
    var listenFD: Int32
    /// A descriptor kept open so that, when accept fails with EMFILE, closing it frees one slot
    /// to accept and at once close the waiting connection instead of spinning on it.
    var spareFD: Int32
    /// Messages from other threads, and whether the loop sleeps in epoll_wait and needs the
    /// eventfd to wake up. A busy loop takes new messages on its next iteration without a wakeup.
    private struct Inbox {
        var messages: [LoopMessage] = []
        var isSleeping = false
    }

    private let inbox = Mutex<Inbox>(Inbox())
    private let exited = DispatchSemaphore(value: 0)

    var connections: [Int32: Connection] = [:]
    var dirty: [Connection] = []
    var nextSerial: UInt64 = 1
    var isRunning = true
    var isDraining = false
    var acceptPausedUntil: UInt64 = 0
    var isListenerRegistered = false
    var lastAcceptErrorLog: UInt64 = 0
    let readBuffer: UnsafeMutableRawBufferPointer
    var drainedInbox: [LoopMessage] = []
    /// Calls decoded in this iteration, handed to the workers in one batch per pool.
    var pendingJobs: [@Sendable () -> Void] = []
    var pendingWaitingJobs: [@Sendable () -> Void] = []

    /// Creates a loop around an already listening socket. Throws when epoll or eventfd fail.
    init(index: Int, core: ServerCore, listenFD: Int32) throws {
        self.index = index
        self.core = core
        self.listenFD = listenFD
        epollFD = hw_epoll_create()
        guard epollFD >= 0 else { throw SystemError.last("epoll_create1") }
        wakeFD = hw_eventfd_create()
        guard wakeFD >= 0 else {
            let error = SystemError.last("eventfd")
            close(epollFD)
            throw error
        }
        spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        readBuffer = .allocate(byteCount: 64 << 10, alignment: 16)
        guard hw_epoll_ctl(epollFD, 1, wakeFD, HW_EPOLLIN, Self.wakeTag) == 0 else {
            throw SystemError.last("epoll_ctl on the eventfd")
        }
        registerListener()
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Starts the loop's thread.
    func start() {
        Thread.named("hw-loop-\(index + 1)") { [self] in
            run()
            exited.signal()
        }.start()
    }

    /// Hands a message to the loop from any thread and wakes it when needed.
    func post(_ message: LoopMessage) {
        let mustWake = inbox.withLock { inbox in
            inbox.messages.append(message)
            guard inbox.isSleeping else { return false }
            inbox.isSleeping = false
            return true
        }
        if mustWake { hw_eventfd_signal(wakeFD) }
    }

    /// Waits up to `timeout` seconds for the loop thread to exit after `.stop`.
    func waitUntilStopped(timeout: Double) -> Bool {
        exited.wait(timeout: .now() + timeout) == .success
    }

    // MARK: - The loop

    func run() {
        var events = [hw_epoll_event](repeating: hw_epoll_event(), count: 256)
        var nextTick = now() + Self.tickNanoseconds
        while isRunning {
            let timeout: Int32 = inbox.withLock { inbox in
                guard inbox.messages.isEmpty else { return 0 }
                inbox.isSleeping = true
                return 250
            }
            let count = events.withUnsafeMutableBufferPointer { buffer in
                hw_epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), timeout)
            }
            if count < 0 && errno != EINTR {
                core.log("event loop \(index + 1): epoll_wait failed: \(String(cString: strerror(errno)))")
            }
            for position in 0..<max(0, Int(count)) {
                handle(event: events[position])
            }
            core.workers.submit(contentsOf: &pendingJobs)
            core.waitingWorkers.submit(contentsOf: &pendingWaitingJobs)
            processInbox()
            flushDirty()
            let current = now()
            if current >= nextTick {
                nextTick = current + Self.tickNanoseconds
                checkDeadlines(now: current)
                flushDirty()
            }
        }
        for connection in Array(connections.values) { closeConnection(connection, reason: nil) }
        if listenFD >= 0 { close(listenFD) }
        if spareFD >= 0 { close(spareFD) }
        close(wakeFD)
        close(epollFD)
    }

    func handle(event: hw_epoll_event) {
        switch event.data {
        case Self.wakeTag:
            hw_eventfd_drain(wakeFD)
        case Self.listenerTag:
            acceptConnections()
        default:
            guard let connection = connections[Int32(truncatingIfNeeded: event.data)] else { return }
            if event.events & (HW_EPOLLERR | HW_EPOLLHUP) != 0 && event.events & HW_EPOLLIN == 0 {
                closeConnection(connection, reason: nil)
                return
            }
            if event.events & HW_EPOLLOUT != 0 {
                flush(connection)
                if connection.isClosed { return }
            }
            if event.events & (HW_EPOLLIN | HW_EPOLLHUP | HW_EPOLLERR) != 0 {
                readFrom(connection)
            }
        }
    }

    func processInbox() {
        inbox.withLock { inbox in
            inbox.isSleeping = false
            swap(&inbox.messages, &drainedInbox)
        }
        for message in drainedInbox {
            switch message {
            case .frames(let key, let streamId, let bytes, let endsStream, let watch):
                guard let connection = connections[key.fd], connection.serial == key.serial else { continue }
                connection.deliver(streamId: streamId, bytes: bytes, endsStream: endsStream, watch: watch)
            case .watchStarted(let key, let streamId, let watch, let subscription):
                guard let connection = connections[key.fd], connection.serial == key.serial else {
                    subscription.cancel()
                    core.untrack(subscription)
                    continue
                }
                connection.watchStarted(streamId: streamId, watch: watch, subscription: subscription)
            case .beginShutdown:
                beginDrain()
            case .closeAll:
                for connection in Array(connections.values) { closeConnection(connection, reason: nil) }
            case .stop:
                isRunning = false
            }
        }
        drainedInbox.removeAll(keepingCapacity: true)
    }
}
