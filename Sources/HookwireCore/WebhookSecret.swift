import Foundation

/// Signing secrets in the Standard Webhooks form: `whsec_` followed by base64.
public enum WebhookSecret {
    /// The prefix of generated secrets.
    public static let prefix = "whsec_"

    /// Returns a new secret: `whsec_` and the base64 of 32 bytes from the system's
    /// cryptographically secure generator (`getrandom` on Linux).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Data(bytes).base64EncodedString()
    }
}

/// Compares two strings in time that depends only on their lengths, not on where they differ,
/// so that comparing a presented token or signature does not leak how much of it was right.
func constantTimeEquals(_ left: String, _ right: String) -> Bool {
    let leftBytes = Array(left.utf8)
    let rightBytes = Array(right.utf8)
    var difference = UInt8(truncatingIfNeeded: leftBytes.count ^ rightBytes.count)
    if leftBytes.count != rightBytes.count { difference |= 1 }
    for index in 0..<max(leftBytes.count, rightBytes.count) {
        let leftByte = index < leftBytes.count ? leftBytes[index] : 0
        let rightByte = index < rightBytes.count ? rightBytes[index] : 0
        difference |= leftByte ^ rightByte
    }
    return difference == 0
}
