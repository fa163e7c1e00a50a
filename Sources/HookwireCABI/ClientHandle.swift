import CHookwireHeader
import Foundation
import HookwireClient
import HookwireCore

/// The object behind a `hw_client` handle.
final class ClientObject: HandleKind {
    static let handleName = "client"

    let client: HookwireClient
    let lastError = LastErrorSlot()

    init(client: HookwireClient) {
        self.client = client
    }

    deinit {
        client.close()
    }
}

/// Runs a client call: resolves the handle, runs `body`, and records a failure both in the
/// thread's and in the client's last error.
private func withClient(_ handle: OpaquePointer?, _ body: (HookwireClient) throws -> Void) -> hw_status {
    let object = HandleTable.shared.lookup(address(handle), as: ClientObject.self)
    return runReportingStatus(object?.lastError) {
        try body(try ClientObject.resolve(address(handle)).client)
    }
}

@c @implementation
public func hw_client_connect(
    _ serverAddress: UnsafePointer<CChar>?, _ options: UnsafePointer<hw_client_options>?,
    _ outClient: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    runReportingStatus {
        let text = try requiredString(serverAddress, "address")
        let out = try requireOut(outClient, "out_client")
        var token: String?
        var timeout: Duration = .seconds(30)
        if let options {
            let fields = try VersionedStruct(options, name: "options", lastFirstVersionField: \.timeout_ms)
            token = try optionalString(fields.field(\.token, default: nil), "options.token")
            let milliseconds = fields.field(\.timeout_ms, default: 0)
            guard milliseconds >= 0 else {
                throw CABIError(HW_ERROR_INVALID_ARGUMENT, "options.timeout_ms is \(milliseconds); it cannot be negative")
            }
            if milliseconds > 0 { timeout = .milliseconds(milliseconds) }
        }
        var configuration = try HookwireClient.Configuration(server: text, token: token, callTimeout: timeout)
        configuration.handshakeTimeout = min(configuration.handshakeTimeout, timeout)
        let client = HookwireClient(configuration: configuration)
        do {
            try client.connect()
        } catch {
            client.close()
            throw error
        }
        out.pointee = newHandle(ClientObject(client: client))
    }
}

@c @implementation
public func hw_client_close(_ client: OpaquePointer?) {
    guard let client else { return }
    guard let object = HandleTable.shared.remove(address(client), as: ClientObject.self) else {
        reportMisuse("client \(client) is not a live handle (closed already, or never connected)")
        return
    }
    object.client.close()
}

@c @implementation
public func hw_client_last_error_message(_ client: OpaquePointer?) -> UnsafePointer<CChar>? {
    ClientObject.resolveOrReport(address(client))?.lastError.get()
}

@c @implementation
public func hw_client_save_webhook(_ client: OpaquePointer?, _ webhook: OpaquePointer?) -> hw_status {
    withClient(client) { remote in
        let hook = try WebhookObject.resolveMutable(webhook)
        hook.replace(with: try remote.performBlocking(.save(hook.webhook)))
    }
}

@c @implementation
public func hw_client_get_webhook(
    _ client: OpaquePointer?, _ id: Int64, _ outWebhook: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    withClient(client) { remote in
        let out = try requireOut(outWebhook, "out_webhook")
        let webhook = try remote.performBlocking(.get(id: id))
        out.pointee = newHandle(WebhookObject(webhook))
    }
}

@c @implementation
public func hw_client_list_webhooks(
    _ client: OpaquePointer?, _ filter: UnsafePointer<hw_webhook_filter>?, _ outList: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    withClient(client) { remote in
        let out = try requireOut(outList, "out_list")
        let page = try remote.performBlocking(.list(try webhookFilter(filter)))
        out.pointee = newHandle(WebhookListObject(page.webhooks))
    }
}

@c @implementation
public func hw_client_delete_webhook(_ client: OpaquePointer?, _ id: Int64) -> hw_status {
    withClient(client) { remote in
        try remote.performBlocking(.delete(id: id))
    }
}

@c @implementation
public func hw_client_webhook_last_error(
    _ client: OpaquePointer?, _ id: Int64, _ outMessage: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> hw_status {
    withClient(client) { remote in
        let out = try requireOut(outMessage, "out_message")
        storeOptionalMessage(try remote.performBlocking(.lastError(id: id)), in: out)
    }
}

@c @implementation
public func hw_client_record_result(
    _ client: OpaquePointer?, _ id: Int64, _ result: UnsafePointer<hw_webhook_result>?,
    _ outState: UnsafeMutablePointer<hw_webhook_state>?
) -> hw_status {
    withClient(client) { remote in
        let outcome = try webhookResult(result)
        let change = try remote.performBlocking(.recordResult(id: id, result: outcome))
        guard let outState else { return }
        // The server reports only a change; without one the state is read back.
        let state = try change?.to ?? remote.performBlocking(.get(id: id)).state
        outState.pointee = hw_webhook_state(rawValue: UInt32(state.rawValue))
    }
}

@c @implementation
public func hw_client_test_webhook(
    _ client: OpaquePointer?, _ id: Int64, _ outSucceeded: UnsafeMutablePointer<Bool>?,
    _ outMessage: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> hw_status {
    withClient(client) { remote in
        let result = try remote.performBlocking(.test(id: id))
        outSucceeded?.pointee = result.succeeded
        storeOptionalMessage(result.message, in: outMessage)
    }
}

@c @implementation
public func hw_client_publish(
    _ client: OpaquePointer?, _ event: UnsafePointer<hw_event>?, _ outResult: UnsafeMutablePointer<hw_publish_result>?
) -> hw_status {
    withClient(client) { remote in
        guard let event else { throw CABIError.misuse("event is NULL") }
        let publication = try eventPublication(UnsafeRawPointer(event), name: "event")
        if let outResult {
            _ = try VersionedStruct(UnsafePointer(outResult), name: "out_result", lastFirstVersionField: \.matched_webhooks)
        }
        let result = try remote.performBlocking(.publish(publication))
        if let outResult { try store(result, at: UnsafeMutableRawPointer(outResult), name: "out_result") }
    }
}

@c @implementation
public func hw_client_publish_batch(
    _ client: OpaquePointer?, _ events: UnsafePointer<hw_event>?, _ count: Int,
    _ outResults: UnsafeMutablePointer<hw_publish_result>?
) -> hw_status {
    withClient(client) { remote in
        let publications = try eventPublications(events, count: count)
        if let outResults {
            _ = try VersionedStruct(UnsafePointer(outResults), name: "out_results[0]", lastFirstVersionField: \.matched_webhooks)
        }
        try store(try remote.performBlocking(.publishBatch(publications)), at: outResults)
    }
}
