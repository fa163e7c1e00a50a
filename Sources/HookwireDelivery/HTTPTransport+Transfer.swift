import CCurl
import CCurlShim
import Foundation
import Glibc
import HookwireCore

/// The state of one request in flight: the body it sends, the response it collects, and the
/// address refusal, if any. libcurl's callbacks reach it through an unmanaged pointer that
/// `configure` retains and `release()` gives back.
final class Transfer {
    let token: Int64
    let policy: AddressPolicy
    let body: UnsafeMutableRawPointer
    let bodyCount: Int
    var headerList: UnsafeMutablePointer<curl_slist>?
    /// libcurl's detailed message of a failure (`CURLOPT_ERRORBUFFER`), such as which
    /// certificate check failed. `curl_easy_strerror` gives only the text of the code.
    let errorBuffer: UnsafeMutablePointer<CChar>
    var context: UnsafeMutableRawPointer?
    var startedAt = Date()
    var startedMonotonic: UInt64 = 0
    var headers: [UInt8] = []
    var responseBody: [UInt8] = []
    /// Set by the open-socket callback when the dialled address is refused.
    var refusal: String?
    /// Set when the transfer could not even start.
    var failure: (DeliveryErrorKind, String)?
    var finished = false

    init(token: Int64, policy: AddressPolicy, body: [UInt8]) {
        self.token = token
        self.policy = policy
        self.bodyCount = body.count
        self.body = UnsafeMutableRawPointer.allocate(byteCount: max(1, body.count), alignment: 1)
        errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        body.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress { self.body.copyMemory(from: base, byteCount: bytes.count) }
        }
    }

    deinit {
        body.deallocate()
        errorBuffer.deallocate()
        if let headerList { curl_slist_free_all(headerList) }
    }

    /// Drops the reference the callbacks held.
    func release() {
        if let context {
            Unmanaged<Transfer>.fromOpaque(context).release()
            self.context = nil
        }
    }

    /// Builds the exchange once libcurl reports the transfer done with `result`.
    func exchange(handle: UnsafeMutableRawPointer, result: CURLcode) -> HTTPExchange {
        let elapsed = DispatchTime.now().uptimeNanoseconds &- startedMonotonic
        var status = 0
        _ = hw_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var exchange = HTTPExchange(
            startedAt: startedAt, durationMilliseconds: Int64(elapsed / 1_000_000), status: Int32(status),
            headers: String(decoding: headers, as: UTF8.self),
            body: String(decoding: responseBody, as: UTF8.self), errorKind: .none, error: nil)
        if let failure {
            exchange.errorKind = failure.0
            exchange.error = failure.1
        } else if result != CURLE_OK, let refusal {
            // A refused address only matters when no other address of the host connected.
            exchange.status = 0
            exchange.errorKind = .blockedAddress
            exchange.error = refusal
        } else if result != CURLE_OK {
            var urlPointer: UnsafePointer<CChar>? = nil
            _ = hw_curl_easy_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &urlPointer)
            let url = urlPointer.map { Transfer.redactingCredentials(String(cString: $0)) } ?? "the target"
            exchange.status = 0
            exchange.errorKind = Transfer.kind(of: result)
            // libcurl's detailed message names the check or address that failed, and its
            // generic text for the code is only the fallback.
            let detail = String(cString: errorBuffer)
            let reason = detail.isEmpty ? String(cString: curl_easy_strerror(result)) : detail
            exchange.error = "POST \(url) failed: \(reason)"
        }
        return exchange
    }

    /// Returns the URL with any `user:password@` part replaced by `***@`, the value of each
    /// query parameter (or a parameter without a name) by `***`, and any fragment by `***`.
    /// Attempt errors end up in logs, `last-error` output and the attempts listing, and
    /// receivers often take a token in the query (`?token=...` or `?TOKEN`).
    static func redactingCredentials(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let authorityEnd = url[schemeEnd.upperBound...].firstIndex(where: { "/?#".contains($0) }) ?? url.endIndex
        var redacted = String(url[..<authorityEnd])
        if let at = url[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
            redacted = String(url[..<schemeEnd.upperBound]) + "***" + String(url[at..<authorityEnd])
        }
        let rest = url[authorityEnd...]
        let fragmentStart = rest.firstIndex(of: "#") ?? rest.endIndex
        let fragment = fragmentStart < rest.endIndex ? "#***" : ""
        let beforeFragment = rest[..<fragmentStart]
        guard let queryStart = beforeFragment.firstIndex(of: "?") else { return redacted + beforeFragment + fragment }
        let parameters = beforeFragment[beforeFragment.index(after: queryStart)...].split(
            separator: "&", omittingEmptySubsequences: false)
        let query = parameters.map { parameter -> String in
            guard !parameter.isEmpty else { return "" }
            return parameter.firstIndex(of: "=").map { parameter[..<$0] + "=***" } ?? "***"
        }
        return redacted + beforeFragment[..<queryStart] + "?" + query.joined(separator: "&") + fragment
    }

    static func kind(of code: CURLcode) -> DeliveryErrorKind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT: .timeout
        case CURLE_COULDNT_CONNECT: .connectionRefused
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: .dns
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED:
            .tls
        default: .network
        }
    }

    static let receiveBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, context in
        let length = size * count
        guard let data, let context else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let room = HTTPTransport.bodyLimit - transfer.responseBody.count
        if room > 0 {
            let bytes = UnsafeRawBufferPointer(start: data, count: min(room, length))
            transfer.responseBody.append(contentsOf: bytes)
        }
        return length
    }

    static let receiveHeader: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        data, size, count, context in
        let length = size * count
        guard let data, let context else { return length }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        // A new status line starts a new response after a 1xx interim one, so only the last is kept.
        if length >= 5, bytes.starts(with: "HTTP/".utf8) { transfer.headers.removeAll(keepingCapacity: true) }
        let room = HTTPTransport.headerLimit - transfer.headers.count
        if room > 0 { transfer.headers.append(contentsOf: bytes.prefix(room)) }
        return length
    }

    /// Opens the socket for an address libcurl is about to dial, unless the policy refuses it.
    static let openSocket: @convention(c) (UnsafeMutableRawPointer?, curlsocktype, UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t = {
        context, purpose, address in
        guard let context, let address else { return CURL_SOCKET_BAD }
        let transfer = Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
        let family = address.pointee.family
        let offset = MemoryLayout<curl_sockaddr>.offset(of: \curl_sockaddr.addr)!
        let socketAddress = UnsafeRawPointer(address) + offset
        var bytes: [UInt8] = []
        if family == AF_INET {
            let ipv4 = socketAddress.load(as: sockaddr_in.self)
            bytes = withUnsafeBytes(of: ipv4.sin_addr) { Array($0) }
        } else if family == AF_INET6 {
            let ipv6 = socketAddress.loadUnaligned(as: sockaddr_in6.self)
            bytes = withUnsafeBytes(of: ipv6.sin6_addr) { Array($0) }
        } else {
            transfer.refusal = "refused to connect: address family \(family) is neither IPv4 nor IPv6"
            return CURL_SOCKET_BAD
        }
        if let refusal = transfer.policy.refusal(for: bytes) {
            transfer.refusal = refusal
            return CURL_SOCKET_BAD
        }
        return socket(family, address.pointee.socktype, address.pointee.protocol)
    }
}
