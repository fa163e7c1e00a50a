import Testing

@testable import HookwireProtocol

/// Decodes `bytes` as one frame and returns the error, or nil when it decoded or needs more.
private func decodeError(_ bytes: [UInt8], limits: ProtocolLimits = .default) -> FrameError? {
    do {
        _ = try Frame.decode(bytes[...], limits: limits)
        return nil
    } catch {
        return error
    }
}

/// A valid REQUEST frame header for stream 1 with the given overrides.
private func header(
    length: UInt32 = 12, magic: UInt8 = 0xB1, type: UInt8 = 0x03, flags: UInt8 = 0, reserved: UInt8 = 0,
    streamId: UInt32 = 1, metadataLength: UInt16 = 0
) -> [UInt8] {
    [
        UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
        magic, type, flags, reserved,
        UInt8(streamId >> 24), UInt8(streamId >> 16 & 0xFF), UInt8(streamId >> 8 & 0xFF), UInt8(streamId & 0xFF),
        0x00, 0x02, UInt8(metadataLength >> 8), UInt8(metadataLength & 0xFF),
    ]
}

@Suite struct FrameDecoderErrorTests {
    @Test func httpRequestIsBadMagic() {
        let error = decodeError(Array("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        #expect(error == .badMagic(UInt8(ascii: "/")))
        #expect(error?.description.contains("HTTP") == true)
    }

    @Test func tlsClientHelloIsBadMagic() {
        // A TLS record header (handshake, TLS 1.0 record version, length 0x0200) and ClientHello type.
        let clientHello: [UInt8] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03]
        #expect(decodeError(clientHello) == .badMagic(0x00))
    }

    @Test func maximumLengthRejectedFromPrefixAlone() {
        #expect(decodeError([0xFF, 0xFF, 0xFF, 0xFF]) == .frameTooLarge(length: 0xFFFF_FFFF, limit: 1 << 20))
        #expect(decodeError([0xFF, 0xFF, 0xFF, 0xFF, 0xB1]) == .frameTooLarge(length: 0xFFFF_FFFF, limit: 1 << 20))
    }

    @Test func lengthLimitIsConfigurable() throws {
        let limits = try ProtocolLimits(maxFrameSize: 2048, maxMetadataSize: 1024)
        #expect(decodeError(header(length: 2049), limits: limits) == .frameTooLarge(length: 2049, limit: 2048))
        #expect(decodeError(header(length: 2048), limits: limits) == nil)
    }

    @Test func oversizedFrameRejectedBeforeBuffering() {
        var decoder = FrameDecoder()
        decoder.append(header(length: 16 << 20))
        #expect(throws: FrameError.frameTooLarge(length: 16 << 20, limit: 1 << 20)) { try decoder.nextFrame() }
        #expect(decoder.bufferedByteCount == FrameHeader.byteCount)
    }

    @Test func lengthBelowHeaderRejected() {
        #expect(decodeError(header(length: 11)) == .frameTooShort(length: 11))
        #expect(decodeError([0, 0, 0, 0, 0xB1]) == .frameTooShort(length: 0))
    }

    @Test func versionAndMagicChecked() {
        #expect(decodeError(header(magic: 0xB2)) == .unsupportedVersion(2))
        #expect(decodeError(header(magic: 0xA1)) == .badMagic(0xA1))
    }

    @Test func unknownFrameTypesRejected() {
        for type: UInt8 in [0x00, 0x0B, 0x7F, 0xFF] {
            #expect(decodeError(header(type: type)) == .unknownFrameType(type))
        }
    }

    @Test func badFlagsRejected() {
        #expect(decodeError(header(flags: 0x01)) == .badFlags(type: .request, flags: 0x01))
        #expect(decodeError(header(type: 0x05, flags: 0x02)) == .badFlags(type: .streamItem, flags: 0x02))
        #expect(decodeError(header(type: 0x05, flags: 0x01)) == nil)
    }

    @Test func reservedByteMustBeZero() {
        #expect(decodeError(header(reserved: 0x80)) == .reservedNotZero(0x80))
    }

    @Test func streamIdRulesEnforced() {
        #expect(decodeError(header(streamId: 0)) == .badStreamId(type: .request, streamId: 0))
        #expect(decodeError(header(type: 0x01, streamId: 3)) == .badStreamId(type: .hello, streamId: 3))
    }

    @Test func metadataLimitsEnforced() {
        #expect(decodeError(header(length: 60_000, metadataLength: 9000)) == .metadataTooLong(length: 9000, limit: 8192))
        #expect(decodeError(header(length: 20, metadataLength: 9)) == .metadataBeyondFrame(metadataLength: 9, frameLength: 20))
    }

    @Test func pingAndCancelPayloadLengths() {
        #expect(decodeError(header(length: 15, type: 0x08, streamId: 0)) == .badPayloadLength(type: .ping, length: 3))
        #expect(decodeError(header(length: 13, type: 0x07)) == .badPayloadLength(type: .cancel, length: 1))
    }

    @Test func truncatedFrameAtEveryCut() throws {
        var wire: [UInt8] = []
        try FrameEncoder().append(
            Frame(type: .request, streamId: 11, code: 2, metadata: [1, 2, 3], payload: [4, 5, 6, 7]), to: &wire)
        for cut in 0..<wire.count {
            let prefix = Array(wire[..<cut])
            #expect(try Frame.decode(prefix[...]) == nil, "cut at \(cut)")
            #expect(throws: FrameError.self, "cut at \(cut)") { try Frame(decodingExactly: prefix[...]) }
            var decoder = FrameDecoder()
            decoder.append(prefix)
            #expect(try decoder.nextFrame() == nil)
            if cut > 0 {
                #expect(throws: FrameError.self) { try decoder.finish() }
            }
        }
        #expect(throws: FrameError.trailingBytes(count: 1)) { try Frame(decodingExactly: (wire + [0])[...]) }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SplitMix64(seed: 0x5EED)
        var errors = 0
        for _ in 0..<20_000 {
            let count = 5 + Int(generator.next() % 64)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            var decoder = FrameDecoder()
            decoder.append(bytes)
            do {
                while try decoder.nextFrame() != nil {}
            } catch {
                errors += 1
            }
        }
        // From 5 bytes on the magic byte is checked, and 15 of 16 random bytes fail it.
        #expect(errors > 18_000)
    }

    @Test func limitsValidated() {
        #expect(throws: (any Error).self) { try ProtocolLimits(maxFrameSize: (16 << 20) + 1) }
        #expect(throws: (any Error).self) { try ProtocolLimits(maxFrameSize: 100) }
        #expect(throws: (any Error).self) { try ProtocolLimits(maxMetadataSize: 70_000) }
        #expect(throws: (any Error).self) { try ProtocolLimits(maxConcurrentStreams: 0) }
        #expect(ProtocolLimits.default.maxFrameSize == 1_048_576)
        #expect(throws: Never.self) { try ProtocolLimits(maxFrameSize: 16 << 20) }
    }
}

/// A small deterministic random generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
