/// The version of Hookwire. It matches `HW_VERSION_STRING` in include/hookwire.h, and every
/// executable and the `User-Agent` header report it.
public enum HookwireVersion {
    public static let string = "1.0.0"
}
