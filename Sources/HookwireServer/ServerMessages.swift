import HookwireCore
import HookwireProtocol

/// Encodes the frames the server sends, straight into output buffers.
enum ServerMessages {
    /// The server name announced in WELCOME.
    static let serverName = "hookwired/\(HookwireServer.version)"
    /// Status messages are cut to this many bytes so that an error always fits in a frame.
    static let maxStatusMessageBytes = 4096

    static func appendWelcome(
        version: UInt32, limits: ProtocolLimits, idleTimeout: Double, caller: Caller, maxEventPayloadBytes: Int,
        to buffer: inout [UInt8]
    ) {
        let welcome = Wire.Welcome(
            version: version, limits: limits, idleTimeoutMilliseconds: UInt32(clamping: Int(idleTimeout * 1000)),
            serverName: serverName, application: caller.applicationToken ?? "",
            maxEventPayloadBytes: UInt32(clamping: maxEventPayloadBytes))
        welcome.encode(into: &buffer)
    }

    static func appendRejectedWelcome(message: String, to buffer: inout [UInt8]) {
        Wire.Welcome(version: 0, supportedVersions: Wire.supportedVersions, serverName: serverName, message: message)
            .encode(into: &buffer)
    }

    static func appendGoAway(lastStreamId: UInt32, message: String, to buffer: inout [UInt8]) {
        Wire.GoAway(lastStreamId: lastStreamId, message: truncated(message)).encode(into: &buffer)
    }

    static func appendStatus(_ status: StatusCode, message: String, code: HookwireError.Code?, to buffer: inout [UInt8]) {
        Wire.Status(code: status, message: truncated(message), errorCode: code?.rawValue ?? 0).encode(into: &buffer)
    }

    /// Appends an ERROR frame that ends a call.
    static func appendError(
        streamId: UInt32, _ status: StatusCode, _ message: String, code: HookwireError.Code?,
        encoder: FrameEncoder, to buffer: inout [UInt8]
    ) {
        // The message is cut to 4 KiB; when even that is over the client's frame size, the
        // ERROR goes out with an empty message.
        do {
            try encoder.append(.error, streamId: streamId, code: status.rawValue, to: &buffer) {
                appendStatus(status, message: message, code: code, to: &$0)
            }
        } catch {
            try? encoder.append(.error, streamId: streamId, code: status.rawValue, to: &buffer) {
                appendStatus(status, message: "", code: code, to: &$0)
            }
        }
    }

    /// Encodes the frame that ends a unary call: RESPONSE with the message, or ERROR. A response
    /// over the client's maximum frame size becomes RESOURCE_EXHAUSTED.
    static func encodeResult(_ result: CallResult, streamId: UInt32, encoder: FrameEncoder) -> [UInt8] {
        var buffer: [UInt8] = []
        appendResult(result, streamId: streamId, encoder: encoder, to: &buffer)
        return buffer
    }

    /// Appends the frame that ends a unary call, as `encodeResult` encodes it.
    static func appendResult(_ result: CallResult, streamId: UInt32, encoder: FrameEncoder, to buffer: inout [UInt8]) {
        switch result {
        case .success(let payload):
            do {
                try encoder.append(.response, streamId: streamId, payload: payload, to: &buffer)
            } catch {
                appendTooLarge(streamId: streamId, error: error, encoder: encoder, to: &buffer)
            }
        case .message(let message):
            do {
                try encoder.append(.response, streamId: streamId, to: &buffer) { message.encode(into: &$0) }
            } catch {
                appendTooLarge(streamId: streamId, error: error, encoder: encoder, to: &buffer)
            }
        case .failure(let status, let message, let code):
            appendError(streamId: streamId, status, message, code: code, encoder: encoder, to: &buffer)
        }
    }

    /// Encodes one STREAM_ITEM frame, or nil when the item is over the client's frame size.
    static func encodeStreamItem(_ item: any ProtobufMessage, streamId: UInt32, encoder: FrameEncoder) -> [UInt8]? {
        var buffer: [UInt8] = []
        do {
            try encoder.append(.streamItem, streamId: streamId, to: &buffer) { item.encode(into: &$0) }
        } catch {
            return nil
        }
        return buffer
    }

    private static func appendTooLarge(streamId: UInt32, error: FrameError, encoder: FrameEncoder, to buffer: inout [UInt8]) {
        appendError(
            streamId: streamId, .resourceExhausted,
            "the response does not fit in a frame: \(error); ask for a smaller page", code: .tooLarge,
            encoder: encoder, to: &buffer)
    }

    private static func truncated(_ message: String) -> String {
        guard message.utf8.count > maxStatusMessageBytes else { return message }
        var end = message.utf8.index(message.utf8.startIndex, offsetBy: maxStatusMessageBytes)
        while end > message.startIndex, !message.unicodeScalars.indices.contains(end) {
            end = message.utf8.index(before: end)
        }
        return String(message[..<end]) + "..."
    }
}
