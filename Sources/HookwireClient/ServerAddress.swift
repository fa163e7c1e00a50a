import HookwireCore

/// A server's host and TCP port, written `HOST:PORT` (`[::1]:7600` for an IPv6 address).
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// A host name, an IPv4 address or an IPv6 address without brackets.
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPV6]:PORT` or a bare `HOST`, which gets `defaultPort`.
    /// - Throws: `HookwireError` with code `invalidArgument` that quotes the text, for an empty
    ///   host, a missing `]`, or a port that is not an integer from 1 to 65535.
    public init(parsing text: String, defaultPort: UInt16 = 7600) throws {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw HookwireError.invalidArgument("invalid server address \"\(text)\": missing `]` after the IPv6 address")
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    throw HookwireError.invalidArgument("invalid server address \"\(text)\": expected `:PORT` after `]`")
                }
                portText = rest.dropFirst()
            }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        } else {
            host = Substring(text)
        }
        guard !host.isEmpty else {
            throw HookwireError.invalidArgument("invalid server address \"\(text)\": the host is empty; expected HOST:PORT")
        }
        var port = defaultPort
        if let portText {
            guard let number = UInt16(portText), number > 0 else {
                throw HookwireError.invalidArgument(
                    "invalid server address \"\(text)\": the port must be an integer from 1 to 65535")
            }
            port = number
        }
        self.init(host: String(host), port: port)
    }

    /// `HOST:PORT`, with brackets around an IPv6 address.
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
