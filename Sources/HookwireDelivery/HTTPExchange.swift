import Foundation
import HookwireCore

/// One HTTP POST to send.
public struct HTTPRequest: Sendable {
    public var url: String
    /// Header lines, `Name: value`.
    public var headers: [String]
    public var body: [UInt8]

    public init(url: String, headers: [String], body: [UInt8]) {
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What came back from one HTTP POST, or why nothing did.
public struct HTTPExchange: Sendable {
    public var startedAt: Date
    public var durationMilliseconds: Int64
    /// The HTTP status, 0 when no response arrived.
    public var status: Int32
    /// The status line and the header lines as received, up to `HTTPTransport.headerLimit` bytes.
    public var headers: String
    /// The first `HTTPTransport.bodyLimit` bytes of the response body, decoded as UTF-8.
    public var body: String
    /// `.none` when a response arrived; otherwise the kind of transport failure.
    public var errorKind: DeliveryErrorKind
    /// The transport failure's text, naming the target.
    public var error: String?

    /// The value of a response header, compared case-insensitively, or nil.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        // "\r\n" is one Character in Swift, so lines split on `isNewline`, not on "\n".
        for line in headers.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == wanted {
                var value = line[line.index(after: colon)...]
                while value.first == " " { value = value.dropFirst() }
                while value.last == " " { value = value.dropLast() }
                return String(value)
            }
        }
        return nil
    }

    /// The first line of the headers, such as `HTTP/1.1 200 OK`.
    public var statusLine: String {
        String(headers.split(maxSplits: 1, whereSeparator: \.isNewline).first ?? "")
    }
}
