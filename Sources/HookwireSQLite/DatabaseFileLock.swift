import Foundation
import Glibc
import HookwireCore

/// The lock that lets one process at a time run Hookwire's stores on a database file.
///
/// The webhook cache and the delivery thread assume that no other process changes the file: a
/// second process would miss the first one's edits and send deliveries to hooks it had
/// stopped. So the first store to open the file takes an exclusive `flock` on `<path>.lock`,
/// and a store in another process fails to open while it is held. Every store of this process
/// shares the lock, and the kernel releases it when the last of them is freed or the process
/// exits. The lock file stays behind, which is harmless.
///
/// The lock is on a file of its own because closing any other descriptor of the database file
/// would drop the POSIX locks SQLite holds on it.
public final class DatabaseFileLock: Sendable {
    /// The lock file: the database's path with `.lock` appended.
    public let path: String
    private let descriptor: Int32

    private static let byFile = PerFileRegistry<DatabaseFileLock>()

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Returns this process's lock of the database file at `databasePath`, taking it when this
    /// process does not hold it yet. The lock file sits beside the file the path resolves to,
    /// so symbolic links and relative spellings of one database share one lock.
    ///
    /// - Returns: nil for in-memory databases and empty paths, and when the database's
    ///   directory does not exist: SQLite then reports that it cannot create the file.
    /// - Throws: `unavailable` with the holder's process id when another process holds the
    ///   lock. `storage` when the lock file cannot be opened or `flock` fails otherwise.
    public static func acquire(forDatabase databasePath: String) throws -> DatabaseFileLock? {
        guard let file = filePath(of: databasePath) else { return nil }
        let lockPath = canonicalFilePath(file) + ".lock"
        var descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if descriptor < 0 && (errno == EACCES || errno == EPERM) {
            // flock needs no write permission, so a lock file that another user created works.
            descriptor = open(lockPath, O_RDONLY | O_CLOEXEC)
        }
        guard descriptor >= 0 else {
            let reason = errno
            if reason == ENOENT { return nil }
            throw HookwireError(
                .storage,
                "failed to open the lock file \(lockPath): \(String(cString: strerror(reason))); Hookwire needs it "
                    + "to keep other processes off \(databasePath)")
        }
        // Keyed by the lock file's device and inode, which do not depend on how the path is spelled.
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let reason = errno
            close(descriptor)
            throw HookwireError(.storage, "failed to read the lock file \(lockPath): \(String(cString: strerror(reason)))")
        }
        var isAdopted = false
        defer { if !isAdopted { close(descriptor) } }
        return try byFile.object(forKey: "\(status.st_dev):\(status.st_ino)") {
            guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
                let reason = errno
                if reason == EWOULDBLOCK {
                    let holder = Self.recordedProcess(descriptor).map { " (process \($0))" } ?? ""
                    throw HookwireError(
                        .unavailable,
                        "database \(databasePath) is in use by another process\(holder), which holds \(lockPath); "
                            + "stop that process or use another database file")
                }
                throw HookwireError(.storage, "failed to lock \(lockPath): \(String(cString: strerror(reason)))")
            }
            // The process id in the file lets a refused process name the holder.
            let line = "\(getpid())\n"
            if ftruncate(descriptor, 0) == 0 {
                _ = line.withCString { pwrite(descriptor, $0, strlen($0), 0) }
            }
            isAdopted = true
            return DatabaseFileLock(path: lockPath, descriptor: descriptor)
        }
    }

    /// Returns the file a database path names: the path itself, or the path of a `file:` URI.
    /// Returns nil for in-memory databases (`:memory:`, `mode=memory`) and empty paths.
    static func filePath(of databasePath: String) -> String? {
        guard databasePath != ":memory:", !databasePath.isEmpty else { return nil }
        guard databasePath.hasPrefix("file:") else { return databasePath }
        var rest = Substring(databasePath.dropFirst("file:".count))
        let queryStart = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        if rest[queryStart...].contains("mode=memory") { return nil }
        rest = rest[..<queryStart]
        if rest.hasPrefix("//") {
            // file://HOST/path: SQLite takes an empty host or localhost.
            let afterSlashes = rest.dropFirst(2)
            rest = afterSlashes[(afterSlashes.firstIndex(of: "/") ?? afterSlashes.endIndex)...]
        }
        let path = String(rest).removingPercentEncoding ?? String(rest)
        return path.isEmpty || path == ":memory:" ? nil : path
    }

    /// Returns the process id that the lock's holder wrote into the file, or nil when there is
    /// none or no such process runs (a holder that could only open the file read-only leaves
    /// an earlier id behind).
    private static func recordedProcess(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let process = Int32(text), process > 0, kill(process, 0) == 0 || errno == EPERM else { return nil }
        return process
    }
}
