import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The calling thread's last error message, kept in a pthread key so that each host thread has
/// its own and the message is freed when the thread exits.
enum ThreadLastError {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let result = pthread_key_create(&key) { pointer in
            free(pointer)
        }
        precondition(result == 0, "pthread_key_create failed with \(result)")
        return key
    }()

    /// Replaces the calling thread's message with a copy of `message`.
    static func set(_ message: String) {
        let copy = strdup(message)
        let previous = pthread_getspecific(key)
        pthread_setspecific(key, copy)
        free(previous)
    }

    /// Returns the calling thread's message, valid until the next `set` on this thread.
    static func get() -> UnsafePointer<CChar>? {
        guard let pointer = pthread_getspecific(key) else { return nil }
        return UnsafePointer(pointer.assumingMemoryBound(to: CChar.self))
    }
}

/// The last error message of one handle, shared by every thread that calls it.
///
/// The C string stays allocated until the next failure on the handle replaces it, or until the
/// handle is released, which is the lifetime the header promises. `lock` guards `message`.
final class LastErrorSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var message: UnsafeMutablePointer<CChar>?

    func set(_ text: String) {
        let copy = strdup(text)
        lock.lock()
        let previous = message
        message = copy
        lock.unlock()
        free(previous)
    }

    func get() -> UnsafePointer<CChar>? {
        lock.lock()
        defer { lock.unlock() }
        return message.map { UnsafePointer($0) }
    }

    deinit {
        free(message)
    }
}
