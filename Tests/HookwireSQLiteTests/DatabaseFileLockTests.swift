import Foundation
import Glibc
import HookwireCore
import Testing

@testable import HookwireSQLite

/// The per-file lock that keeps two processes from running stores on one database.
@Suite struct DatabaseFileLockTests {
    @Test func storesOfOneProcessShareLock() throws {
        let directory = try TemporaryDirectory()
        let first = try #require(try DatabaseFileLock.acquire(forDatabase: directory.path("hooks.db")))
        // Another spelling of the same path gets the same lock.
        let second = try #require(try DatabaseFileLock.acquire(forDatabase: directory.url.path + "/./hooks.db"))
        #expect(first === second)
        #expect(first.path == directory.path("hooks.db") + ".lock")

        let store = try SQLiteDeliveryStore(path: directory.path("hooks.db"))
        #expect(store.fileLock === first)
        let contents = try String(contentsOfFile: first.path, encoding: .utf8)
        #expect(contents == "\(getpid())\n")
    }

    @Test func lockHeldElsewhereRefusesStore() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("busy.db")
        // util-linux's flock(1) takes the same kind of lock from another process. With
        // --no-fork, `sleep` itself keeps it, so killing that process releases it. SIGKILL,
        // because the child may inherit a signal mask that blocks SIGTERM.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", "--no-fork", database + ".lock", "sleep", "30"]
        try holder.run()
        defer {
            kill(holder.processIdentifier, SIGKILL)
            holder.waitUntilExit()
        }
        #expect(eventuallyHeld(database + ".lock"))

        let error = try #require(throws: HookwireError.self) { try SQLiteDeliveryStore(path: database) }
        #expect(error.code == .unavailable)
        let throughLink = directory.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: throughLink, withDestinationPath: database)
        let linked = try #require(throws: HookwireError.self) { try SQLiteDeliveryStore(path: throughLink) }
        #expect(linked.code == .unavailable)
        #expect(error.message.contains("database \(database) is in use by another process"))
        #expect(error.message.contains(database + ".lock"))

        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let store = try SQLiteDeliveryStore(path: database)
        #expect(store.fileLock != nil)
    }

    @Test func memoryDatabaseTakesNoLock() throws {
        #expect(try DatabaseFileLock.acquire(forDatabase: ":memory:") == nil)
        #expect(try DatabaseFileLock.acquire(forDatabase: "file:scratch?mode=memory") == nil)
    }

    @Test func symlinkAndURIShareLock() throws {
        let directory = try TemporaryDirectory()
        let real = directory.path("real.db")
        _ = try SQLiteDeliveryStore(path: real)
        try FileManager.default.createSymbolicLink(atPath: directory.path("alias.db"), withDestinationPath: real)

        let lock = try #require(try DatabaseFileLock.acquire(forDatabase: real))
        #expect(try DatabaseFileLock.acquire(forDatabase: directory.path("alias.db")) === lock)
        #expect(try DatabaseFileLock.acquire(forDatabase: "file:" + real + "?cache=private") === lock)
        #expect(lock.path.hasSuffix("/real.db.lock"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("alias.db.lock")))
    }

    @Test func uriPathsNameTheirFile() {
        #expect(DatabaseFileLock.filePath(of: "hooks.db") == "hooks.db")
        #expect(DatabaseFileLock.filePath(of: "file:/srv/hooks.db?mode=rwc") == "/srv/hooks.db")
        #expect(DatabaseFileLock.filePath(of: "file:///srv/my%20hooks.db") == "/srv/my hooks.db")
        #expect(DatabaseFileLock.filePath(of: "file://localhost/srv/hooks.db") == "/srv/hooks.db")
        #expect(DatabaseFileLock.filePath(of: "file:relative.db#part") == "relative.db")
        #expect(DatabaseFileLock.filePath(of: "") == nil)
    }

    @Test func unusableLockFileRefusesStore() throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("blocked.db")
        try FileManager.default.createDirectory(atPath: database + ".lock", withIntermediateDirectories: false)
        let error = try #require(throws: HookwireError.self) { try SQLiteDeliveryStore(path: database) }
        #expect(error.code == .storage)
        #expect(error.message.hasPrefix("failed to open the lock file \(database).lock: Is a directory"))
    }
}

/// Returns whether another open file description takes an exclusive `flock` on `path` within 5 s.
private func eventuallyHeld(_ path: String) -> Bool {
    for _ in 0..<500 {
        let probe = open(path, O_RDONLY | O_CLOEXEC)
        if probe >= 0 {
            defer { close(probe) }
            if flock(probe, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK { return true }
            flock(probe, LOCK_UN)
        }
        usleep(10_000)
    }
    return false
}
