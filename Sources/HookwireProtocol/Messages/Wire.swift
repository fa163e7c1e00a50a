/// The messages of `proto/hookwire.proto` (package `hookwire.v1`), named as the schema names
/// them. They sit in this namespace because several share a name with a HookwireCore model type
/// (`Wire.Webhook` is the wire form of `Webhook`); the `Wire+Model` conversions map between them.
public enum Wire {
    /// The protocol versions this code speaks, as listed in HELLO and WELCOME.
    public static let supportedVersions: [UInt32] = [1]
}
