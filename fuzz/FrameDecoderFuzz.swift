// libFuzzer target for the frame decoder. It is compiled into one module with the
// HookwireProtocol sources (see mk/fuzz.mk), so it reaches internal code too.
//
// Each input is fed to a FrameDecoder in chunks whose sizes come from the input's first byte,
// as a socket would deliver it. Every frame that decodes must re-encode to the same bytes, and
// the buffer must never hold more than one maximum-size frame plus one chunk.

@_cdecl("LLVMFuzzerTestOneInput")
public func frameDecoderFuzzTest(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = input.first else { return 0 }
    let chunkSize = Int(first % 32) + 1
    let limits = try! ProtocolLimits(maxFrameSize: 4096, maxMetadataSize: 512)
    var decoder = FrameDecoder(limits: limits)
    var offset = 1
    while offset < input.count {
        let end = min(input.count, offset + chunkSize)
        decoder.append(input[offset..<end])
        offset = end
        do {
            while let frame = try decoder.nextFrame() {
                checkReencoding(frame, limits: limits)
                _ = try? frame.decodeMetadata()
            }
        } catch {
            _ = error.description
            _ = error.status
            return 0
        }
        if decoder.bufferedByteCount > FrameHeader.lengthPrefixSize + limits.maxFrameSize + chunkSize {
            fatalError("decoder buffered \(decoder.bufferedByteCount) bytes")
        }
    }
    _ = try? decoder.finish()
    return 0
}

private func checkReencoding(_ frame: Frame, limits: ProtocolLimits) {
    var buffer: [UInt8] = []
    do {
        try FrameEncoder(maxFrameSize: limits.maxFrameSize).append(frame, to: &buffer)
    } catch {
        fatalError("decoded frame does not re-encode: \(error)")
    }
    guard let decoded = try? Frame(decodingExactly: buffer[...], limits: limits), decoded == frame else {
        fatalError("re-encoded frame decodes differently")
    }
}
