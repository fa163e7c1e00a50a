import COpenSSL

/// An `EVP_MAC_CTX` pointer that may move between threads. A context is used by one thread at a
/// time: ``SigningKey`` hands each one out from its pool under a mutex.
struct MACContext: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// The HMAC implementation fetched from the default provider once per process. `EVP_MAC` objects
/// are reference-counted and immutable after the fetch, so threads may share one.
private struct FetchedMAC: @unchecked Sendable {
    let pointer: OpaquePointer?
}

private let fetchedHMAC = FetchedMAC(pointer: EVP_MAC_fetch(nil, "HMAC", nil))

enum OpenSSLHMAC {
    /// Creates an HMAC-SHA256 context keyed with `key`. The caller owns the context and frees it
    /// with `EVP_MAC_CTX_free`.
    ///
    /// - Throws: ``SignatureError/Code/cryptoFailure`` when OpenSSL has no HMAC or SHA-256 or
    ///   rejects the key (a FIPS provider rejects keys shorter than 112 bits).
    static func makeContext(key: UnsafeRawBufferPointer) throws(SignatureError) -> MACContext {
        guard let mac = fetchedHMAC.pointer else {
            throw SignatureError(.cryptoFailure, "OpenSSL has no HMAC implementation: \(drainErrorQueue())")
        }
        guard let context = EVP_MAC_CTX_new(mac) else {
            throw SignatureError(.cryptoFailure, "EVP_MAC_CTX_new failed: \(drainErrorQueue())")
        }
        // EVP_MAC_init with a NULL key means "restart with the key already set", so an empty key
        // needs a non-NULL pointer of its own.
        var emptyKey: UInt8 = 0
        let keyPointer = key.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let initialised = OSSL_MAC_PARAM_DIGEST.withCString { name in
            "SHA256".withCString { digest in
                // OpenSSL only reads the digest name when it sets parameters.
                var parameters = [
                    OSSL_PARAM_construct_utf8_string(name, UnsafeMutablePointer(mutating: digest), 0),
                    OSSL_PARAM_construct_end(),
                ]
                return withUnsafeMutablePointer(to: &emptyKey) { emptyKeyPointer in
                    EVP_MAC_init(context, keyPointer ?? UnsafePointer(emptyKeyPointer), key.count, &parameters)
                }
            }
        }
        guard initialised == 1 else {
            EVP_MAC_CTX_free(context)
            throw SignatureError(.cryptoFailure, "EVP_MAC_init for HMAC-SHA256 failed: \(drainErrorQueue())")
        }
        return MACContext(pointer: context)
    }

    /// Duplicates a keyed context with its key schedule, or returns nil when memory runs out.
    static func duplicate(_ context: MACContext) -> MACContext? {
        EVP_MAC_CTX_dup(context.pointer).map(MACContext.init)
    }

    static func free(_ context: MACContext) {
        EVP_MAC_CTX_free(context.pointer)
    }

    /// Restarts a keyed context with its stored key schedule, feeds it through `feed` and returns
    /// the MAC.
    ///
    /// OpenSSL fails these calls only when memory runs out, and then this function stops the
    /// process, as Swift itself does on allocation failure.
    static func compute(
        with context: MACContext,
        _ feed: (_ update: (UnsafeRawBufferPointer) -> Void) -> Void
    ) -> MessageAuthenticationCode {
        guard EVP_MAC_init(context.pointer, nil, 0, nil) == 1 else {
            fatalError("EVP_MAC_init failed to restart HMAC-SHA256: \(drainErrorQueue())")
        }
        feed { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
            guard EVP_MAC_update(context.pointer, base.assumingMemoryBound(to: UInt8.self), bytes.count) == 1 else {
                fatalError("EVP_MAC_update failed for HMAC-SHA256: \(drainErrorQueue())")
            }
        }
        return MessageAuthenticationCode { output in
            var length = 0
            let base = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard EVP_MAC_final(context.pointer, base, &length, output.count) == 1,
                length == MessageAuthenticationCode.byteCount
            else {
                fatalError("EVP_MAC_final failed for HMAC-SHA256: \(drainErrorQueue())")
            }
        }
    }

    /// Returns OpenSSL's text for the oldest error queued on this thread and clears the queue.
    static func drainErrorQueue() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no OpenSSL error queued" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
