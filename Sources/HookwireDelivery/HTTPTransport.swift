import CCurl
import CCurlShim
import Foundation
import Glibc
import HookwireCore

/// Settings of the HTTP transport.
public struct HTTPTransportConfiguration: Sendable {
    /// Seconds allowed to establish a connection (TCP and TLS).
    public var connectTimeout: Double = 5
    /// Seconds allowed for a whole request, connection included.
    public var requestTimeout: Double = 15
    /// A PEM file of CA certificates to trust instead of the system's, or nil.
    public var caFile: String?
    /// The policy that decides which addresses may be dialled.
    public var addressPolicy = AddressPolicy()
    /// The `User-Agent` header value.
    public var userAgent = "Hookwire"

    public init() {}
}

/// HTTP POSTs over libcurl's multi interface, driven by one thread.
///
/// Every method except `wakeup()` must be called from the single thread that drives the
/// transport. The multi handle keeps a connection cache, so requests to the same host reuse
/// connections, and HTTP/2 is negotiated by ALPN for https targets. Redirects are not followed.
/// Each connection's address is checked against the address policy when libcurl opens the
/// socket, after DNS resolution, so a host name that resolves to a refused address is refused.
public final class HTTPTransport: @unchecked Sendable {
    /// Bytes of response headers kept per exchange.
    public static let headerLimit = 8192
    /// Bytes of response body kept per exchange.
    public static let bodyLimit = 4096

    private let multi: UnsafeMutableRawPointer
    private let configuration: HTTPTransportConfiguration
    /// Transfers in flight, by easy handle address.
    private var transfers: [UnsafeMutableRawPointer: Transfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []

    /// Creates the multi handle. Fails only when libcurl cannot allocate it.
    public init(configuration: HTTPTransportConfiguration) throws {
        HTTPTransport.initializeLibcurl
        guard let multi = curl_multi_init() else {
            throw HookwireError(.internalError, "curl_multi_init failed: libcurl could not allocate a multi handle")
        }
        self.multi = multi
        self.configuration = configuration
        _ = hw_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, 512)
        _ = hw_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
    }

    deinit {
        for (handle, transfer) in transfers {
            curl_multi_remove_handle(multi, handle)
            curl_easy_cleanup(handle)
            transfer.release()
        }
        for handle in idleHandles { curl_easy_cleanup(handle) }
        curl_multi_cleanup(multi)
    }

    /// `curl_global_init` is not thread-safe, so it runs once, before the first multi handle.
    private static let initializeLibcurl: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// The number of requests in flight.
    public var inFlight: Int { transfers.count }

    /// Starts a POST. Its exchange comes back from a later `poll` with the same token.
    public func start(_ request: HTTPRequest, token: Int64) {
        let handle = idleHandles.popLast() ?? curl_easy_init()!
        let transfer = Transfer(token: token, policy: configuration.addressPolicy, body: request.body)
        configure(handle, for: request, transfer: transfer)
        transfers[handle] = transfer
        transfer.startedAt = Date()
        transfer.startedMonotonic = DispatchTime.now().uptimeNanoseconds
        let code = curl_multi_add_handle(multi, handle)
        if code != CURLM_OK {
            transfer.failure = (.network, "libcurl could not start the request to \(request.url): "
                + String(cString: curl_multi_strerror(code)))
            transfer.finished = true
        }
    }

    /// Waits up to `timeoutMilliseconds` for network activity or a `wakeup()`, advances every
    /// transfer, and returns the exchanges that finished, with their tokens.
    public func poll(timeoutMilliseconds: Int32) -> [(token: Int64, exchange: HTTPExchange)] {
        var finished: [(Int64, HTTPExchange)] = []
        collectUnstarted(into: &finished)
        // Drive transfers first, so that requests started since the last call go out before
        // the wait; then wait only when nothing finished.
        var running: Int32 = 0
        curl_multi_perform(multi, &running)
        collectDone(into: &finished)
        if finished.isEmpty {
            curl_multi_poll(multi, nil, 0, timeoutMilliseconds, nil)
            curl_multi_perform(multi, &running)
            collectDone(into: &finished)
        }
        return finished
    }

    private func collectDone(into finished: inout [(Int64, HTTPExchange)]) {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
            let result = message.pointee.data.result
            guard let transfer = transfers.removeValue(forKey: handle) else { continue }
            curl_multi_remove_handle(multi, handle)
            let exchange = transfer.exchange(handle: handle, result: result)
            transfer.release()
            recycle(handle)
            finished.append((transfer.token, exchange))
        }
    }

    /// Interrupts a `poll` in progress from any thread.
    public func wakeup() {
        curl_multi_wakeup(multi)
    }

    /// Transfers that `start` could not add finish at once, without a network wait.
    private func collectUnstarted(into finished: inout [(Int64, HTTPExchange)]) {
        for (key, transfer) in transfers where transfer.finished {
            transfers.removeValue(forKey: key)
            let handle = key
            finished.append((transfer.token, transfer.exchange(handle: handle, result: CURLE_COULDNT_CONNECT)))
            transfer.release()
            recycle(handle)
        }
    }

    private func recycle(_ handle: UnsafeMutableRawPointer) {
        curl_easy_reset(handle)
        if idleHandles.count < 1024 {
            idleHandles.append(handle)
        } else {
            curl_easy_cleanup(handle)
        }
    }

    private func configure(_ handle: UnsafeMutableRawPointer, for request: HTTPRequest, transfer: Transfer) {
        let context = Unmanaged.passRetained(transfer).toOpaque()
        transfer.context = context
        _ = hw_curl_easy_setopt_string(handle, CURLOPT_URL, request.url)
        _ = hw_curl_easy_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        // An empty proxy makes libcurl ignore http_proxy and the like in the environment.
        // Through a proxy, the open-socket check would see the proxy's address instead of the
        // target's, and a private target would get through.
        _ = hw_curl_easy_setopt_string(handle, CURLOPT_PROXY, "")
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS)
        // Waiting for a connection that may multiplex pays off only where HTTP/2 is possible
        // (https, by ALPN). For http, libcurl would queue every request to the host behind the
        // first one's response, so a slow hook would hold back the others on the same host.
        if request.url.prefix(6).lowercased() == "https:" {
            _ = hw_curl_easy_setopt_long(handle, CURLOPT_PIPEWAIT, 1)
        }
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        if let caFile = configuration.caFile {
            _ = hw_curl_easy_setopt_string(handle, CURLOPT_CAINFO, caFile)
            // Debian's libcurl 7.88 also trusts /etc/ssl/certs unless CAPATH is cleared.
            _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_CAPATH, nil)
        }
        _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(transfer.errorBuffer))
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(configuration.connectTimeout * 1000))
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(configuration.requestTimeout * 1000))
        _ = hw_curl_easy_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)
        _ = hw_curl_easy_setopt_long(handle, CURLOPT_POST, 1)
        _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, transfer.body)
        _ = hw_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(transfer.bodyCount))

        var list: UnsafeMutablePointer<curl_slist>? = nil
        for line in request.headers { list = curl_slist_append(list, line) }
        // libcurl sends `Expect: 100-continue` for bodies over 1 KiB, which costs a round trip.
        list = curl_slist_append(list, "Expect:")
        transfer.headerList = list
        _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))

        _ = hw_curl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, Transfer.receiveBody)
        _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = hw_curl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, Transfer.receiveHeader)
        _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        _ = hw_curl_easy_setopt_opensocket_callback(handle, Transfer.openSocket)
        _ = hw_curl_easy_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, context)
    }
}
