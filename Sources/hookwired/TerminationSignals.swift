import Glibc

/// SIGTERM and SIGINT, blocked in every thread and taken synchronously by `wait()`.
///
/// `block()` must run before any thread starts, so that the threads inherit the blocked mask
/// and the signals stay pending until the main thread takes them with `sigwait`.
struct TerminationSignals {
    private var set = sigset_t()

    static func block() -> TerminationSignals {
        var signals = TerminationSignals()
        sigemptyset(&signals.set)
        sigaddset(&signals.set, SIGTERM)
        sigaddset(&signals.set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals.set, nil)
        return signals
    }

    /// Waits for SIGTERM or SIGINT and returns its name.
    func wait() -> String {
        var set = self.set
        var number: Int32 = 0
        while sigwait(&set, &number) != 0 {}
        return number == SIGTERM ? "SIGTERM" : "SIGINT"
    }
}
