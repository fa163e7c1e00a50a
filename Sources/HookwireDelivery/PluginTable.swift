import HookwireCore
import Synchronization

/// The delivery plugins by type name, matched case-insensitively. The HTTP type `webhook` is
/// always known; it is delivered by the engine's transport unless a system plugin provides a
/// broadcaster.
public final class PluginTable: Sendable {
    /// Plugins by lowercased type name.
    private let plugins = Mutex<[String: any WebhookPlugin]>([:])

    public init() {}

    /// Adds a plugin. Throws `failedPrecondition` when its type name is taken or is `webhook`,
    /// and `invalidArgument` when it is empty.
    public func register(_ plugin: any WebhookPlugin) throws {
        let key = plugin.typeName.lowercased()
        guard !key.isEmpty else {
            throw HookwireError.invalidArgument("invalid plugin type name \"\(plugin.typeName)\": it is empty")
        }
        guard key != Webhook.httpType else {
            throw HookwireError(
                .failedPrecondition, "plugin type \"\(plugin.typeName)\" is the built-in HTTP type and cannot be replaced")
        }
        try plugins.withLock { table in
            guard table[key] == nil else {
                throw HookwireError(.failedPrecondition, "a plugin for type \"\(plugin.typeName)\" is already registered")
            }
            table[key] = plugin
        }
    }

    /// The plugin for a type name, or nil for `webhook` and for unknown names.
    public func plugin(forType type: String) -> (any WebhookPlugin)? {
        let key = type.lowercased()
        return plugins.withLock { $0[key] }
    }

    /// Whether a hook of this type can be delivered.
    public func isKnownType(_ type: String) -> Bool {
        let key = type.lowercased()
        return key == Webhook.httpType || plugins.withLock { $0[key] != nil }
    }

    /// The registered type names, sorted, `webhook` included.
    public var typeNames: [String] {
        ([Webhook.httpType] + plugins.withLock { Array($0.keys) }).sorted()
    }
}
