import CLinuxShim
import Foundation
import Glibc

/// Accepting, reading, writing and closing connections. Every method runs on the loop thread.
extension EventLoop {
    /// How long a closing connection may keep sending after the server shut down its side, in
    /// nanoseconds, so that the last frames are not lost to a reset.
    static let lingerNanoseconds: UInt64 = 2_000_000_000
    /// Output capacity kept for reuse after a flush; larger buffers are released.
    static let retainedOutputCapacity = 256 << 10

    func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func registerListener() {
        guard listenFD >= 0, !isListenerRegistered else { return }
        if hw_epoll_ctl(epollFD, 1, listenFD, HW_EPOLLIN, Self.listenerTag) == 0 {
            isListenerRegistered = true
        } else {
            core.log("event loop \(index + 1): cannot watch the listening socket: \(SystemError.last("epoll_ctl"))")
        }
    }

    func unregisterListener() {
        guard isListenerRegistered else { return }
        hw_epoll_ctl(epollFD, 2, listenFD, 0, 0)
        isListenerRegistered = false
    }

    func acceptConnections() {
        for _ in 0..<64 {
            let fd = hw_accept4(listenFD)
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE:
                    rejectForLackOfDescriptors()
                    return
                default:
                    logAcceptError(SystemError.last("accept4").description)
                    pauseAccepting()
                    return
                }
            }
            adopt(fd)
        }
    }

    /// Frees the spare descriptor to accept and close one waiting connection, then pauses
    /// accepting so that a full descriptor table does not turn into a busy loop.
    private func rejectForLackOfDescriptors() {
        let reason = SystemError.last("accept4").description
        if spareFD >= 0 {
            close(spareFD)
            let fd = hw_accept4(listenFD)
            if fd >= 0 { close(fd) }
            spareFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        logAcceptError("\(reason); rejecting new connections for a moment")
        pauseAccepting()
    }

    private func pauseAccepting() {
        unregisterListener()
        acceptPausedUntil = now() + Self.acceptPauseNanoseconds
    }

    private func logAcceptError(_ message: String) {
        let current = now()
        guard current - lastAcceptErrorLog >= 1_000_000_000 || lastAcceptErrorLog == 0 else { return }
        lastAcceptErrorLog = current
        core.log("event loop \(index + 1): \(message)")
    }

    private func adopt(_ fd: Int32) {
        let open = core.openConnections.add(1, ordering: .relaxed).newValue
        guard open <= core.configuration.maxConnections, !isDraining else {
            core.openConnections.subtract(1, ordering: .relaxed)
            close(fd)
            logAcceptError("rejected a connection: \(core.configuration.maxConnections) connections are open, the maximum")
            return
        }
        hw_set_nodelay(fd)
        let serial = nextSerial
        nextSerial += 1
        let connection = Connection(loop: self, fd: fd, serial: serial, now: now())
        guard hw_epoll_ctl(epollFD, 1, fd, HW_EPOLLIN, UInt64(UInt32(bitPattern: fd))) == 0 else {
            core.log("connection \(connection.peer): \(SystemError.last("epoll_ctl")); closing it")
            core.openConnections.subtract(1, ordering: .relaxed)
            close(fd)
            return
        }
        connections[fd] = connection
    }

    func readFrom(_ connection: Connection) {
        let count = read(connection.fd, readBuffer.baseAddress, readBuffer.count)
        if count > 0 {
            connection.lastActivity = now()
            if connection.isLingering { return }
            connection.receive(UnsafeRawBufferPointer(rebasing: readBuffer[0..<count]))
        } else if count == 0 {
            connection.peerClosedInput()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            closeConnection(connection, reason: nil)
        }
    }

    /// Queues a connection for the flush at the end of this loop iteration.
    func markDirty(_ connection: Connection) {
        guard !connection.isDirty else { return }
        connection.isDirty = true
        dirty.append(connection)
    }

    func flushDirty() {
        var position = 0
        while position < dirty.count {
            let connection = dirty[position]
            connection.isDirty = false
            if !connection.isClosed { flush(connection) }
            position += 1
        }
        dirty.removeAll(keepingCapacity: true)
    }

    /// Sends as much buffered output as the socket takes, then watches for writability if
    /// some is left.
    func flush(_ connection: Connection) {
        while connection.outputSent < connection.output.count {
            let sent = connection.output.withUnsafeBytes { bytes in
                hw_send_nosignal(
                    connection.fd, bytes.baseAddress! + connection.outputSent,
                    UInt(bytes.count - connection.outputSent))
            }
            if sent > 0 {
                connection.outputSent += sent
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                // The client went away, possibly in the middle of a response.
                closeConnection(connection, reason: nil)
                return
            }
        }
        if connection.outputSent == connection.output.count {
            connection.output.removeAll(keepingCapacity: connection.output.capacity <= Self.retainedOutputCapacity)
            connection.outputSent = 0
            if connection.closeAfterFlush && !connection.isLingering {
                startLinger(connection)
                if connection.isClosed { return }
            }
        }
        updateInterest(connection)
    }

    /// Sets the epoll interest from the connection's state: writable while output is pending,
    /// readable unless too much output is buffered or the peer finished sending.
    func updateInterest(_ connection: Connection) {
        let pending = connection.output.count - connection.outputSent
        let limit = core.configuration.maxBufferedBytesPerConnection
        if pending >= limit {
            connection.isReadingPaused = true
        } else if pending <= limit / 2 {
            connection.isReadingPaused = false
        }
        var wanted: UInt32 = 0
        if !connection.isReadingPaused && !connection.isInputClosed { wanted |= HW_EPOLLIN }
        if pending > 0 { wanted |= HW_EPOLLOUT }
        guard wanted != connection.interest else { return }
        connection.interest = wanted
        hw_epoll_ctl(epollFD, 3, connection.fd, wanted, UInt64(UInt32(bitPattern: connection.fd)))
    }

    /// Shuts down the sending side after the last frame and waits briefly for the peer to close,
    /// discarding what it still sends.
    private func startLinger(_ connection: Connection) {
        if connection.isInputClosed {
            closeConnection(connection, reason: nil)
            return
        }
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.isLingering = true
        connection.lingerDeadline = now() + Self.lingerNanoseconds
    }

    /// Closes the socket at once and removes the connection from the loop. `reason`, when given, is logged.
    func closeConnection(_ connection: Connection, reason: String?) {
        guard !connection.isClosed else { return }
        connection.isClosed = true
        connection.didClose()
        hw_epoll_ctl(epollFD, 2, connection.fd, 0, 0)
        close(connection.fd)
        connections[connection.fd] = nil
        core.openConnections.subtract(1, ordering: .relaxed)
        if let reason { core.log("connection \(connection.peer): \(reason)") }
    }

    func checkDeadlines(now current: UInt64) {
        if !isListenerRegistered && !isDraining && listenFD >= 0 && current >= acceptPausedUntil {
            registerListener()
        }
        let idleLimit = UInt64(core.configuration.idleTimeout * 1e9)
        for connection in Array(connections.values) {
            if connection.isLingering || connection.closeAfterFlush {
                if current >= connection.lingerDeadline { closeConnection(connection, reason: nil) }
            } else if !connection.isAuthenticated {
                if current >= connection.handshakeDeadline { connection.handshakeTimedOut() }
            } else if !connection.hasStreamsOpen && current - connection.lastActivity >= idleLimit {
                connection.idleTimedOut()
            }
        }
    }

    /// Stops accepting and asks every connection to finish its calls and close.
    func beginDrain() {
        guard !isDraining else { return }
        isDraining = true
        unregisterListener()
        if listenFD >= 0 {
            close(listenFD)
            listenFD = -1
        }
        for connection in Array(connections.values) {
            connection.beginDrain()
        }
    }

    /// The number of connections this loop holds.
    var connectionCount: Int { connections.count }
}
