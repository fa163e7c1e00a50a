/// An IPv4 or IPv6 address range in CIDR notation, such as `127.0.0.0/8` or `fd00::/8`.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The network address: 4 bytes for IPv4, 16 for IPv6.
    public let network: [UInt8]
    /// The number of leading bits that must match.
    public let prefixLength: Int

    /// Parses `address/prefix`, or a single address (a full-length prefix).
    ///
    /// - Throws: `invalidArgument` naming the text when it is not a valid range.
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddressParser.parse(String(parts[0])) else {
            throw HookwireError.invalidArgument(
                "invalid address range \"\(text)\": expected an IPv4 or IPv6 address with an optional /prefix")
        }
        let maximum = address.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), parsed >= 0, parsed <= maximum else {
                throw HookwireError.invalidArgument(
                    "invalid prefix length in address range \"\(text)\": expected 0 to \(maximum)")
            }
            length = parsed
        }
        self.network = address
        self.prefixLength = length
    }

    init(bytes: [UInt8], prefixLength: Int) {
        self.network = bytes
        self.prefixLength = prefixLength
    }

    /// Returns whether `address` (4 or 16 bytes) lies in the range.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        var remaining = prefixLength
        var index = 0
        while remaining > 0 {
            let bits = min(8, remaining)
            let mask: UInt8 = bits == 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if address[index] & mask != network[index] & mask { return false }
            remaining -= bits
            index += 1
        }
        return true
    }

    public var description: String { "\(IPAddressParser.format(network))/\(prefixLength)" }
}

/// Which delivery targets may be dialled.
///
/// The check runs on the address a connection actually dials, after DNS resolution, so a name
/// that resolves to a private address is refused like the address itself. Loopback, private
/// (RFC 1918), link-local (including the cloud metadata address 169.254.169.254), shared
/// (CGNAT), unique-local, multicast, unspecified and reserved addresses, and the IPv4-mapped
/// IPv6 forms of these, are refused unless `allowPrivateTargets` is set or an entry of
/// `allowedRanges` contains the address.
public struct AddressPolicy: Sendable, Hashable {
    /// Allows every address.
    public var allowPrivateTargets: Bool
    /// Ranges allowed although they are private, such as `127.0.0.0/8` for a local receiver.
    public var allowedRanges: [AddressRange]

    public init(allowPrivateTargets: Bool = false, allowedRanges: [AddressRange] = []) {
        self.allowPrivateTargets = allowPrivateTargets
        self.allowedRanges = allowedRanges
    }

    /// The ranges refused by default, with the name used in refusal messages.
    public static let privateRanges: [(range: AddressRange, name: String)] = [
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private (RFC 1918)"),
        ("100.64.0.0/10", "shared address space (CGNAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private (RFC 1918)"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.168.0.0/16", "private (RFC 1918)"),
        ("198.18.0.0/15", "benchmarking"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("fc00::/7", "unique-local"),
        ("fe80::/10", "link-local"),
        ("ff00::/8", "multicast"),
    ].map { (try! AddressRange($0.0), $0.1) }

    /// Returns nil when `address` may be dialled, otherwise the reason it is refused, naming the
    /// address, its range and the settings that would allow it.
    ///
    /// - Parameter address: 4 bytes (IPv4) or 16 bytes (IPv6). An IPv4-mapped IPv6 address
    ///   (`::ffff:a.b.c.d`) is judged as the IPv4 address it carries.
    public func refusal(for address: [UInt8]) -> String? {
        if allowPrivateTargets { return nil }
        let judged = IPAddressParser.unmapped(address)
        guard let match = AddressPolicy.privateRanges.first(where: { $0.range.contains(judged) }) else {
            return nil
        }
        if allowedRanges.contains(where: { $0.contains(judged) || $0.contains(address) }) { return nil }
        let text = IPAddressParser.format(address)
        return "refused to connect to \(text): \(match.name) address in \(match.range). To allow it, start "
            + "hookwired with --allow-range \(match.range) or --allow-private-targets (engine settings "
            + "allowedRanges and allowPrivateTargets, C option allow_private_targets)"
    }
}

/// Parsing and formatting of IP addresses as byte arrays, without the C resolver.
public enum IPAddressParser {
    /// Parses dotted IPv4 (4 bytes) or IPv6 text (16 bytes). Returns nil for anything else.
    public static func parse(_ text: String) -> [UInt8]? {
        if text.contains(":") { return parseIPv6(text) }
        return parseIPv4(text)
    }

    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let value = UInt8(part) else {
                return nil
            }
            bytes.append(value)
        }
        return bytes
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = text.dropFirst().dropLast() }
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func groups(_ part: Substring) -> [UInt8]? {
            if part.isEmpty { return [] }
            var bytes: [UInt8] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(String(piece)) else { return nil }
                    bytes += v4
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 16 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }

    /// Returns the IPv4 address inside an IPv4-mapped IPv6 address, or the address unchanged.
    public static func unmapped(_ address: [UInt8]) -> [UInt8] {
        guard address.count == 16, address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF,
            address[11] == 0xFF
        else { return address }
        return Array(address[12..<16])
    }

    /// Formats 4 bytes as dotted IPv4 and 16 bytes as uncompressed lowercase IPv6 groups.
    public static func format(_ address: [UInt8]) -> String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        guard address.count == 16 else { return "invalid address" }
        if address[0..<10].allSatisfy({ $0 == 0 }), address[10] == 0xFF, address[11] == 0xFF {
            return "::ffff:" + address[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(address[$0]) << 8 | UInt16(address[$0 + 1]) }
        // RFC 5952: the longest run of two or more zero groups, the first of equal ones, becomes "::".
        var best = (start: 0, count: 0)
        var run = (start: 0, count: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                if run.count == 0 { run.start = index }
                run.count += 1
                if run.count > best.count { best = run }
            } else {
                run.count = 0
            }
        }
        let text = groups.map { String($0, radix: 16) }
        guard best.count >= 2 else { return text.joined(separator: ":") }
        let head = text[0..<best.start].joined(separator: ":")
        let tail = text[(best.start + best.count)...].joined(separator: ":")
        return head + "::" + tail
    }
}

extension Substring {
    /// Splits at the first `::`, the IPv6 zero-run marker; more than one gives three parts.
    fileprivate func components(separatedByDoubleColon: ()) -> [Substring] {
        var parts: [Substring] = []
        var rest = self[...]
        while let range = rest.firstRange(of: "::") {
            parts.append(rest[rest.startIndex..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        parts.append(rest)
        return parts
    }
}
