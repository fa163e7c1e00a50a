import COpenSSL
import Synchronization

/// An HMAC-SHA256 key with its key schedule computed once, for signing many payloads with one
/// webhook secret. The delivery engine keeps one per webhook.
///
/// Thread safety: a key may be used from several threads at once. Each signature takes a keyed
/// `EVP_MAC_CTX` from the key's pool (a `Mutex` guards only the pop and push), restarts it with
/// the stored key schedule, and returns it afterwards. A thread that finds the pool empty
/// duplicates the template context, so a pool grows to the number of threads that sign at the
/// same moment, up to ``maximumIdleContexts`` kept between signatures.
///
/// Signing never copies a contiguous body: OpenSSL reads it from the caller's memory. Only the
/// short `{id}.{timestamp}.` prefix of a Standard Webhooks signature is assembled on the stack.
public final class SigningKey: Sendable {
    /// The maximum number of contexts kept for reuse between signatures. Contexts returned to a
    /// full pool are freed.
    public static let maximumIdleContexts = 8

    /// The keyed context that the pool duplicates. It is never used to sign.
    private let template: MACContext
    private let idleContexts: Mutex<[MACContext]>

    /// Creates a key from a webhook secret by the rule of ``SigningSecret``: a `whsec_` secret is
    /// base64-decoded and any other secret is used as its UTF-8 bytes.
    ///
    /// - Throws: ``SignatureError/Code/invalidSecret`` for a secret that breaks that rule, and
    ///   ``SignatureError/Code/cryptoFailure`` when OpenSSL cannot set up HMAC-SHA256.
    public convenience init(secret: String) throws(SignatureError) {
        var key = try SigningSecret.keyBytes(of: secret)
        defer { OPENSSL_cleanse(&key, key.count) }
        try self.init(keyBytes: key)
    }

    /// Creates a key from raw HMAC key bytes, of any length, the empty key included.
    ///
    /// - Throws: ``SignatureError/Code/cryptoFailure`` when OpenSSL cannot set up HMAC-SHA256.
    public init(keyBytes: [UInt8]) throws(SignatureError) {
        let creation = keyBytes.withUnsafeBytes { key in
            Result { () throws(SignatureError) in try OpenSSLHMAC.makeContext(key: key) }
        }
        self.template = try creation.get()
        var idle: [MACContext] = []
        idle.reserveCapacity(Self.maximumIdleContexts)
        self.idleContexts = Mutex(idle)
    }

    deinit {
        OpenSSLHMAC.free(template)
        idleContexts.withLock { contexts in
            for context in contexts { OpenSSLHMAC.free(context) }
            contexts.removeAll()
        }
    }

    /// Computes the HMAC-SHA256 of `body` (the body-only scheme).
    public func sign(_ body: UnsafeRawBufferPointer) -> MessageAuthenticationCode {
        compute { update in update(body) }
    }

    /// Computes the HMAC-SHA256 of `body` (the body-only scheme) without copying contiguous
    /// collections such as `[UInt8]`, `ArraySlice<UInt8>`, `Data` or `String.UTF8View`.
    @inlinable
    public func sign(_ body: some Collection<UInt8>) -> MessageAuthenticationCode {
        withContiguousBytes(of: body) { sign($0) }
    }

    /// Computes the Standard Webhooks HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    ///
    /// - Parameters:
    ///   - id: The `webhook-id` value, the same on every attempt of one message.
    ///   - timestamp: The `webhook-timestamp` value in Unix seconds, taken at each attempt.
    ///   - body: The exact bytes sent as the request body.
    public func sign(id: String, timestamp: Int64, body: UnsafeRawBufferPointer) -> MessageAuthenticationCode {
        withDecimalDigits(of: timestamp) { timestampText in
            var id = id
            return id.withUTF8 { idText in
                sign(id: UnsafeRawBufferPointer(idText), timestamp: timestampText, body: body)
            }
        }
    }

    /// Computes the Standard Webhooks HMAC-SHA256 of `{id}.{timestamp}.{body}` without copying
    /// contiguous collections; see ``sign(id:timestamp:body:)-(_,_,UnsafeRawBufferPointer)``.
    @inlinable
    public func sign(id: String, timestamp: Int64, body: some Collection<UInt8>) -> MessageAuthenticationCode {
        withContiguousBytes(of: body) { sign(id: id, timestamp: timestamp, body: $0) }
    }

    /// Computes the Standard Webhooks MAC from the id and timestamp text exactly as received.
    ///
    /// A prefix `{id}.{timestamp}.` of up to 256 bytes is assembled on the stack and fed in one
    /// update, because each update passes through several OpenSSL layers. The body is never copied.
    func sign(
        id: UnsafeRawBufferPointer, timestamp: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer
    ) -> MessageAuthenticationCode {
        let prefixLength = id.count + timestamp.count + 2
        guard prefixLength <= 256 else {
            return compute { update in
                withUnsafeBytes(of: UInt8(ascii: ".")) { fullStop in
                    update(id)
                    update(fullStop)
                    update(timestamp)
                    update(fullStop)
                    update(body)
                }
            }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
            let prefix = UnsafeMutableRawBufferPointer(buffer)
            prefix.copyMemory(from: id)
            prefix[id.count] = UInt8(ascii: ".")
            UnsafeMutableRawBufferPointer(rebasing: prefix[(id.count + 1)...]).copyMemory(from: timestamp)
            prefix[prefixLength - 1] = UInt8(ascii: ".")
            return compute { update in
                update(UnsafeRawBufferPointer(rebasing: prefix[..<prefixLength]))
                update(body)
            }
        }
    }

    private func compute(
        _ feed: (_ update: (UnsafeRawBufferPointer) -> Void) -> Void
    ) -> MessageAuthenticationCode {
        let context = takeContext()
        defer { returnContext(context) }
        return OpenSSLHMAC.compute(with: context, feed)
    }

    private func takeContext() -> MACContext {
        if let context = idleContexts.withLock({ $0.popLast() }) {
            return context
        }
        guard let context = OpenSSLHMAC.duplicate(template) else {
            fatalError("EVP_MAC_CTX_dup failed: out of memory")
        }
        return context
    }

    private func returnContext(_ context: MACContext) {
        let pooled = idleContexts.withLock { contexts in
            guard contexts.count < Self.maximumIdleContexts else { return false }
            contexts.append(context)
            return true
        }
        if !pooled { OpenSSLHMAC.free(context) }
    }
}

/// Calls `body` with the bytes of `collection`, copying them only when the collection has no
/// contiguous storage. Inlinable so that callers in other modules get a specialised copy.
@inlinable
func withContiguousBytes<Result>(
    of collection: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> Result
) -> Result {
    if let result = collection.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) {
        return result
    }
    return Array(collection).withUnsafeBytes(body)
}

/// Calls `body` with the ASCII decimal text of `value`, written on the stack.
func withDecimalDigits<Result>(of value: Int64, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
    // 20 characters hold Int64.min: a sign and 19 digits.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
        var magnitude = value.magnitude
        var start = buffer.count
        repeat {
            start -= 1
            buffer[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        if value < 0 {
            start -= 1
            buffer[start] = UInt8(ascii: "-")
        }
        return body(UnsafeRawBufferPointer(start: buffer.baseAddress! + start, count: buffer.count - start))
    }
}
