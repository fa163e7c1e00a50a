import Testing

@testable import HookwireProtocol

/// One valid frame of each type, with metadata and payload where the type allows them.
let sampleFrames: [Frame] = [
    Frame(type: .hello, payload: [0x0A, 0x01, 0x01]),
    Frame(type: .welcome, code: StatusCode.ok.rawValue, payload: [0x08, 0x01]),
    Frame(type: .request, streamId: 1, code: Method.getWebhook.rawValue, metadata: [0x08, 0xE8, 0x07], payload: [0x08, 0x2A]),
    Frame(type: .response, streamId: 0xFFFF_FFFF, payload: [0x08, 0x2A, 0x12, 0x01, 0x61]),
    Frame(type: .streamItem, streamId: 7, payload: [0x08, 0x01]),
    Frame(type: .streamItem, flags: .endStream, streamId: 7, payload: []),
    Frame(type: .error, streamId: 3, code: StatusCode.notFound.rawValue, payload: [0x08, 0x05]),
    Frame(type: .cancel, streamId: 9),
    Frame(type: .ping, payload: [1, 2, 3, 4, 5, 6, 7, 8]),
    Frame(type: .pong, payload: [1, 2, 3, 4, 5, 6, 7, 8]),
    Frame(type: .goAway, code: StatusCode.unavailable.rawValue, payload: [0x08, 0x05]),
]

@Suite struct FrameRoundTripTests {
    @Test func everyFrameTypeRoundTrips() throws {
        #expect(Set(sampleFrames.map(\.type)) == Set(FrameType.allCases))
        for frame in sampleFrames {
            var buffer: [UInt8] = []
            try FrameEncoder().append(frame, to: &buffer)
            #expect(buffer.count == frame.encodedSize)
            let decoded = try Frame(decodingExactly: buffer[...])
            #expect(decoded == frame, "\(frame.type)")
        }
    }

    @Test func headerFieldsSitAtDocumentedOffsets() throws {
        var buffer: [UInt8] = []
        try FrameEncoder().append(
            Frame(type: .request, streamId: 0x0102_0304, code: 0x0506, metadata: [0xAA], payload: [0xBB, 0xCC]),
            to: &buffer)
        #expect(buffer == [
            0x00, 0x00, 0x00, 0x0F, 0xB1, 0x03, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x01,
            0xAA, 0xBB, 0xCC,
        ])
    }

    @Test func decodedPayloadIsSliceOfBuffer() throws {
        var buffer: [UInt8] = [0xEE, 0xEE]
        try FrameEncoder().append(Frame(type: .response, streamId: 5, payload: [9, 8, 7]), to: &buffer)
        let (frame, size) = try #require(try Frame.decode(buffer[2...]))
        #expect(size == buffer.count - 2)
        #expect(frame.payload.startIndex == 2 + FrameHeader.byteCount)
        #expect(Array(frame.payload) == [9, 8, 7])
    }

    @Test func decoderReturnsPipelinedFramesInOrder() throws {
        var wire: [UInt8] = []
        for frame in sampleFrames { try FrameEncoder().append(frame, to: &wire) }
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        // Feed the bytes in uneven chunks, as a socket would deliver them.
        var offset = 0
        var chunk = 1
        while offset < wire.count {
            let end = min(wire.count, offset + chunk)
            decoder.append(wire[offset..<end])
            while let frame = try decoder.nextFrame() { decoded.append(frame) }
            offset = end
            chunk = chunk * 3 % 17 + 1
        }
        #expect(decoded == sampleFrames)
        #expect(decoder.bufferedByteCount == 0)
        try decoder.finish()
    }

    @Test func receiveWritesIntoBuffer() throws {
        var wire: [UInt8] = []
        try FrameEncoder().append(Frame(type: .ping, payload: [1, 2, 3, 4, 5, 6, 7, 8]), to: &wire)
        var decoder = FrameDecoder()
        let written = decoder.receive(maxCount: 4096) { space in
            for (index, byte) in wire.enumerated() { space[index] = byte }
            return wire.count
        }
        #expect(written == wire.count)
        #expect(decoder.bufferedByteCount == wire.count)
        let nothing = decoder.receive(maxCount: 4096) { _ in -1 }
        #expect(nothing == -1)
        #expect(decoder.bufferedByteCount == wire.count)
        let frame = try #require(try decoder.nextFrame())
        #expect(frame.type == .ping)
        #expect(Array(frame.payload) == [1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func decoderStorageStaysBounded() throws {
        var wire: [UInt8] = []
        for streamId in 1...2000 {
            try FrameEncoder().append(
                Frame(type: .response, streamId: UInt32(streamId), payload: ArraySlice(repeating: 7, count: streamId % 300)),
                to: &wire)
        }
        var decoder = FrameDecoder()
        var offset = 0
        var frames = 0
        while offset < wire.count {
            let count = decoder.receive(maxCount: 1000) { space in
                let count = min(space.count, wire.count - offset)
                for index in 0..<count { space[index] = wire[offset + index] }
                return count
            }
            offset += count
            while let frame = try decoder.nextFrame() {
                frames += 1
                #expect(frame.streamId == UInt32(frames))
                #expect(frame.payload.count == frames % 300)
            }
            // One partial frame (under 330 bytes) plus one read of 1000 bytes.
            #expect(decoder.storageSize <= 1330)
        }
        #expect(frames == 2000)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func encoderWritesPayloadInPlace() throws {
        var buffer: [UInt8] = []
        try FrameEncoder().append(.response, streamId: 2, to: &buffer, metadata: { $0.append(0x01) }) {
            $0.append(contentsOf: [0x10, 0x20])
        }
        let frame = try Frame(decodingExactly: buffer[...])
        #expect(Array(frame.metadata) == [0x01])
        #expect(Array(frame.payload) == [0x10, 0x20])
    }

    @Test func encoderRejectsFrameOverPeerLimit() throws {
        var buffer: [UInt8] = [0x42]
        let encoder = FrameEncoder(maxFrameSize: 1024)
        #expect(throws: FrameError.frameTooLarge(length: 1025, limit: 1024)) {
            try encoder.append(.response, streamId: 1, to: &buffer) {
                $0.append(contentsOf: repeatElement(0, count: 1025 - FrameHeader.minimumLength))
            }
        }
        #expect(buffer == [0x42])
        try encoder.append(.response, streamId: 1, to: &buffer) {
            $0.append(contentsOf: repeatElement(0, count: 1024 - FrameHeader.minimumLength))
        }
        #expect(buffer.count == 1 + 1024 + FrameHeader.lengthPrefixSize)
    }

    @Test func encoderRejectsFramesDecoderWouldReject() {
        var buffer: [UInt8] = []
        let encoder = FrameEncoder()
        #expect(throws: FrameError.badStreamId(type: .request, streamId: 0)) {
            try encoder.append(Frame(type: .request, streamId: 0), to: &buffer)
        }
        #expect(throws: FrameError.badStreamId(type: .ping, streamId: 4)) {
            try encoder.append(Frame(type: .ping, streamId: 4, payload: [0, 0, 0, 0, 0, 0, 0, 0]), to: &buffer)
        }
        #expect(throws: FrameError.badFlags(type: .response, flags: 1)) {
            try encoder.append(Frame(type: .response, flags: .endStream, streamId: 4), to: &buffer)
        }
        #expect(throws: FrameError.badPayloadLength(type: .ping, length: 3)) {
            try encoder.append(Frame(type: .ping, payload: [1, 2, 3]), to: &buffer)
        }
        #expect(buffer.isEmpty)
    }

    @Test func encodedPayloadMatchesClosureForm() throws {
        let encoder = FrameEncoder()
        for frame in sampleFrames where frame.metadata.isEmpty && frame.flags.isEmpty {
            var expected: [UInt8] = [0x42]
            try encoder.append(frame, to: &expected)
            var actual: [UInt8] = [0x42]
            try encoder.append(frame.type, streamId: frame.streamId, code: frame.code, payload: Array(frame.payload), to: &actual)
            #expect(actual == expected, "\(frame.type)")
        }
        var buffer: [UInt8] = []
        try encoder.append(.response, streamId: 0x0102_0304, code: 0x0506, payload: [0xBB, 0xCC], to: &buffer)
        #expect(buffer == [
            0x00, 0x00, 0x00, 0x0E, 0xB1, 0x04, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x00, 0x00,
            0xBB, 0xCC,
        ])
    }

    @Test func encodedPayloadFormRejectsBadFrames() {
        var buffer: [UInt8] = [0x42]
        let encoder = FrameEncoder(maxFrameSize: 1024)
        #expect(throws: FrameError.frameTooLarge(length: 1025, limit: 1024)) {
            try encoder.append(.response, streamId: 1, payload: [UInt8](repeating: 0, count: 1025 - FrameHeader.minimumLength), to: &buffer)
        }
        #expect(throws: FrameError.badStreamId(type: .response, streamId: 0)) {
            try encoder.append(.response, streamId: 0, payload: [], to: &buffer)
        }
        #expect(throws: FrameError.badPayloadLength(type: .ping, length: 3)) {
            try encoder.append(.ping, streamId: 0, payload: [1, 2, 3], to: &buffer)
        }
        #expect(buffer == [0x42])
    }
}
