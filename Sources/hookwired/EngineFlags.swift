import Hookwire

extension DaemonOptions {
    /// Flags for the engine's delivery settings.
    static let engineFlags: [DaemonFlag] = []

    /// The engine settings for the start line, as `name=value` pairs.
    static func describeEngine(_ configuration: HookwireEngine.Configuration) -> [String] {
        []
    }
}

/// Logs the engine's delivery retries and webhook state changes.
enum DaemonEvents {
    static func subscribe(engine: HookwireEngine, log: @escaping @Sendable (String) -> Void) {
        // TODO: subscribe to delivery outcomes and state changes once the engine exposes them.
    }
}
