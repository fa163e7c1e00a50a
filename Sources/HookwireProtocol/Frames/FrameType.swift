/// The kind of a frame: the byte at offset 5 of every frame.
///
/// Stream 0 is the connection itself. HELLO, WELCOME, PING, PONG and GOAWAY travel on stream 0;
/// REQUEST, RESPONSE, STREAM_ITEM, ERROR and CANCEL travel on the stream of one call.
public enum FrameType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The client's first frame: the protocol versions it speaks and its token (`Hello`).
    case hello = 0x01
    /// The server's reply to HELLO: the chosen version and the server's limits (`Welcome`).
    /// A status other than OK in the code field means the handshake failed and the server closes.
    case welcome = 0x02
    /// A call: the code field is the method id, the payload the method's request message.
    case request = 0x03
    /// The successful end of a call: the payload is the method's response message.
    case response = 0x04
    /// One item of a server-streaming call. The call stays open unless the END_STREAM flag is set.
    case streamItem = 0x05
    /// The failed end of a call: the code field is the status, the payload a `Status` message.
    case error = 0x06
    /// The client no longer wants the call's result. The server still ends the stream with one
    /// RESPONSE or ERROR frame, so the client knows when the stream id is free again.
    case cancel = 0x07
    /// A liveness check carrying 8 opaque bytes, which the peer echoes in a PONG.
    case ping = 0x08
    /// The reply to a PING, with the same 8 bytes.
    case pong = 0x09
    /// The sender closes the connection after the call with the stream id in the payload
    /// (`GoAway`). The code field is OK for a graceful shutdown, or the status of the error.
    case goAway = 0x0A

    /// The name used in the protocol document (`STREAM_ITEM`).
    public var description: String {
        switch self {
        case .hello: "HELLO"
        case .welcome: "WELCOME"
        case .request: "REQUEST"
        case .response: "RESPONSE"
        case .streamItem: "STREAM_ITEM"
        case .error: "ERROR"
        case .cancel: "CANCEL"
        case .ping: "PING"
        case .pong: "PONG"
        case .goAway: "GOAWAY"
        }
    }

    /// True for the frame types that belong to the connection and must use stream id 0.
    public var isConnectionLevel: Bool {
        switch self {
        case .hello, .welcome, .ping, .pong, .goAway: true
        case .request, .response, .streamItem, .error, .cancel: false
        }
    }

    /// The flags this frame type may carry. Any other bit set is a protocol error.
    public var allowedFlags: FrameFlags {
        switch self {
        case .streamItem: .endStream
        default: []
        }
    }
}

/// The flag bits of a frame: the byte at offset 6. Each frame type allows only the bits listed
/// in `FrameType.allowedFlags`.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// On STREAM_ITEM: this item is the last one and the call succeeded, so no RESPONSE follows.
    public static let endStream = FrameFlags(rawValue: 0x01)
}
