import HookwireCore
import HookwireProtocol

/// Encodes the frames and messages the server sends.
enum ServerMessages {
    static func appendWelcome(version: UInt32, limits: ProtocolLimits, to buffer: inout [UInt8]) {}
    static func appendRejectedWelcome(message: String, supportedVersions: [UInt32], to buffer: inout [UInt8]) {}
    static func appendGoAway(lastStreamId: UInt32, message: String, to buffer: inout [UInt8]) {}
    static func appendStatus(_ status: StatusCode, message: String, code: HookwireError.Code?, to buffer: inout [UInt8]) {}
    static func appendStreamItem(_ item: [UInt8], streamId: UInt32, maxFrameSize: Int, to buffer: inout [UInt8]) {}
    static func encodeResult(_ result: CallResult, streamId: UInt32, maxFrameSize: Int) -> [UInt8] { [] }
}

struct Hello {
    var versions: [UInt32]
    var token: String
    init(decoding bytes: ArraySlice<UInt8>) throws { versions = []; token = "" }
}
