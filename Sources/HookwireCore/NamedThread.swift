import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Thread {
    /// Returns an unstarted thread that runs `body` under `name`.
    ///
    /// The thread gives itself the name when it starts, because Foundation on Linux does not
    /// pass a name set before `start()` to the system: `top -H`, `ps -L`, perf and gdb showed
    /// only the process name. Linux keeps the first 15 bytes of a thread name.
    public static func named(_ name: String, _ body: @escaping @Sendable () -> Void) -> Thread {
        let systemName = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        let thread = Thread {
            #if canImport(Glibc)
            // Writing /proc/thread-self/comm renames the calling thread, as prctl(PR_SET_NAME)
            // does; Swift cannot call the variadic prctl. Failing to name a thread is harmless.
            let file = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            if file >= 0 {
                _ = systemName.withCString { write(file, $0, strlen($0)) }
                close(file)
            }
            #endif
            body()
        }
        thread.name = name
        return thread
    }
}
