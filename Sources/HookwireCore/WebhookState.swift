/// The delivery state of a webhook. The raw values are stored and sent on the wire, so they
/// never change.
public enum WebhookState: Int32, Sendable, Hashable, CaseIterable {
    /// No state. In a list filter it means "any state".
    case unknown = 0
    /// Events are delivered to the target.
    case active = 1
    /// Turned off by its owner. Deliveries are held until the hook is active again.
    case stopped = 2
    /// Turned off automatically after too many consecutive failures or a permanent failure.
    /// Deliveries are held until the owner sets the hook active again.
    case tooManyErrors = 3

    /// The name used in command-line output and JSON (`Active`, `TooManyErrors`).
    public var name: String {
        switch self {
        case .unknown: "Unknown"
        case .active: "Active"
        case .stopped: "Stopped"
        case .tooManyErrors: "TooManyErrors"
        }
    }

    /// Parses a state from its name (case-insensitive) or its number.
    public init?(name: String) {
        if let number = Int32(name), let state = WebhookState(rawValue: number) {
            self = state
            return
        }
        guard let state = WebhookState.allCases.first(where: { $0.name.lowercased() == name.lowercased() })
        else { return nil }
        self = state
    }
}
