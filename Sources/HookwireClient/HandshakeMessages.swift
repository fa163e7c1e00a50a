import HookwireCore
import HookwireProtocol

/// Encoding and decoding of the connection-level messages the client sends and reads.
enum ConnectionMessages {
    /// The client name sent in HELLO, which the server writes to its logs.
    static let clientName = "hookwire-swift-client/1"

    /// Appends a HELLO payload offering every version this code speaks.
    static func encodeHello(token: String?, into buffer: inout [UInt8]) {
        Wire.Hello(token: token ?? "", clientName: clientName).encode(into: &buffer)
    }

    /// The limits a server announced in WELCOME.
    struct ServerLimits {
        var maxFrameSize: Int
        var maxConcurrentStreams: Int
        /// The largest event the server publishes, in bytes, or nil when WELCOME has no such limit.
        var maxEventPayloadBytes: Int?
    }

    /// Decodes WELCOME into the limits the server announced, or the reason it rejected the
    /// handshake.
    static func decodeWelcome(_ frame: Frame) -> Result<ServerLimits, HookwireError> {
        let welcome: Wire.Welcome
        do {
            welcome = try Wire.Welcome(decoding: frame.payload)
        } catch {
            return .failure(HookwireError(.internalError, "malformed WELCOME from the server: \(error)"))
        }
        guard frame.status == .ok else {
            var message = welcome.message.isEmpty ? "the server rejected the handshake (\(frame.status))" : welcome.message
            if !welcome.supportedVersions.isEmpty, !welcome.supportedVersions.contains(where: Wire.supportedVersions.contains) {
                message += "; the server speaks protocol versions \(welcome.supportedVersions.map(String.init).joined(separator: ", "))"
                message += " and this client \(Wire.supportedVersions.map(String.init).joined(separator: ", "))"
            }
            return .failure(HookwireError(frame.status.hookwireCode, message))
        }
        let maxFrameSize = welcome.maxFrameSize == 0 ? ProtocolLimits.defaultMaxFrameSize : Int(welcome.maxFrameSize)
        let maxStreams =
            welcome.maxConcurrentStreams == 0 ? ProtocolLimits.defaultMaxConcurrentStreams : Int(welcome.maxConcurrentStreams)
        let maxEventPayloadBytes = welcome.maxEventPayloadBytes == 0 ? nil : Int(welcome.maxEventPayloadBytes)
        return .success(
            ServerLimits(
                maxFrameSize: maxFrameSize, maxConcurrentStreams: maxStreams, maxEventPayloadBytes: maxEventPayloadBytes))
    }

    /// Decodes the error an ERROR frame reports, with the server's message.
    static func decodeStatus(_ frame: Frame) -> HookwireError {
        guard let status = try? Wire.Status(decoding: frame.payload) else {
            return HookwireError(frame.status.hookwireCode, "the call failed with \(frame.status) and a malformed status message")
        }
        if status.message.isEmpty {
            return HookwireError(HookwireError(wire: status).code, "the call failed with \(frame.status)")
        }
        return HookwireError(wire: status)
    }

    /// Decodes the last stream id the server processes, the status and the reason of a GOAWAY.
    static func decodeGoAway(_ frame: Frame) -> (lastStreamId: UInt32, status: StatusCode, message: String) {
        let goAway = (try? Wire.GoAway(decoding: frame.payload)) ?? Wire.GoAway(lastStreamId: 0, message: "")
        return (goAway.lastStreamId, frame.status, goAway.message)
    }

    /// The maximum length of the metadata that `encodeCallMetadata` appends, reached with the
    /// largest timeout and a negative associate id because their varints take the most bytes.
    static let maximumCallMetadataLength: Int = {
        var metadata: [UInt8] = []
        encodeCallMetadata(timeoutMilliseconds: UInt32.max, associateId: Int64.min, into: &metadata)
        return metadata.count
    }()

    /// Appends the metadata of a REQUEST: the caller's timeout and associate id.
    static func encodeCallMetadata(timeoutMilliseconds: UInt32, associateId: Int64, into buffer: inout [UInt8]) {
        Wire.CallMetadata(timeoutMilliseconds: timeoutMilliseconds, associateId: associateId).encode(into: &buffer)
    }
}
