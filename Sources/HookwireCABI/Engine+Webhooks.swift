import CHookwireHeader
import Foundation
import Hookwire
import HookwireCore

/// Reads a host's `hw_caller`; NULL is the administrator.
func hostCaller(_ pointer: UnsafePointer<hw_caller>?) throws -> Caller {
    guard let pointer else { return .administrator }
    let fields = try VersionedStruct(pointer, name: "caller", lastFirstVersionField: \.associate_id)
    return Caller(
        applicationToken: try optionalString(fields.field(\.application_token, default: nil), "caller.application_token"),
        associateId: fields.field(\.associate_id, default: 0))
}

/// Reads a host's `hw_webhook_result`.
func webhookResult(_ pointer: UnsafePointer<hw_webhook_result>?) throws -> WebhookResult {
    guard let pointer else { throw CABIError.misuse("result is NULL") }
    let fields = try VersionedStruct(pointer, name: "result", lastFirstVersionField: \.message)
    return WebhookResult(
        succeeded: fields.field(\.succeeded, default: false),
        permanentFailure: fields.field(\.permanent_failure, default: false),
        message: try optionalString(fields.field(\.message, default: nil), "result.message") ?? "")
}

/// Stores `text` (or NULL) in an optional `char **` out-parameter.
func storeOptionalMessage(_ text: String?, in out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
    guard let out else { return }
    out.pointee = text.flatMap(hostOwnedCopy)
}

@c @implementation
public func hw_engine_save_webhook(
    _ engine: OpaquePointer?, _ caller: UnsafePointer<hw_caller>?, _ webhook: OpaquePointer?
) -> hw_status {
    withEngine(engine) { object in
        let hook = try WebhookObject.resolveMutable(webhook)
        let saved = try object.engine.registry.save(hook.webhook, caller: try hostCaller(caller))
        hook.replace(with: saved)
    }
}

@c @implementation
public func hw_engine_get_webhook(
    _ engine: OpaquePointer?, _ id: Int64, _ outWebhook: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    withEngine(engine) { object in
        let out = try requireOut(outWebhook, "out_webhook")
        guard let webhook = try object.engine.registry.get(id: id) else {
            throw CABIError(HW_ERROR_NOT_FOUND, "webhook \(id) not found")
        }
        out.pointee = newHandle(WebhookObject(webhook))
    }
}

@c @implementation
public func hw_engine_list_webhooks(
    _ engine: OpaquePointer?, _ filter: UnsafePointer<hw_webhook_filter>?,
    _ outList: UnsafeMutablePointer<OpaquePointer?>?
) -> hw_status {
    withEngine(engine) { object in
        let out = try requireOut(outList, "out_list")
        let webhooks = try object.engine.registry.list(try webhookFilter(filter))
        out.pointee = newHandle(WebhookListObject(webhooks))
    }
}

@c @implementation
public func hw_engine_delete_webhook(_ engine: OpaquePointer?, _ caller: UnsafePointer<hw_caller>?, _ id: Int64) -> hw_status {
    withEngine(engine) { object in
        try object.engine.deleteWebhook(id: id, caller: try hostCaller(caller))
    }
}

@c @implementation
public func hw_engine_webhook_last_error(
    _ engine: OpaquePointer?, _ id: Int64, _ outMessage: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> hw_status {
    withEngine(engine) { object in
        let out = try requireOut(outMessage, "out_message")
        let message = try object.engine.registry.lastError(id: id)
        storeOptionalMessage(message, in: out)
    }
}

@c @implementation
public func hw_engine_record_result(
    _ engine: OpaquePointer?, _ id: Int64, _ result: UnsafePointer<hw_webhook_result>?,
    _ outState: UnsafeMutablePointer<hw_webhook_state>?
) -> hw_status {
    withEngine(engine) { object in
        let outcome = try webhookResult(result)
        try object.engine.registry.recordResult(id: id, result: outcome)
        if let outState {
            guard let webhook = try object.engine.registry.get(id: id) else {
                throw CABIError(HW_ERROR_NOT_FOUND, "webhook \(id) not found")
            }
            outState.pointee = hw_webhook_state(rawValue: UInt32(webhook.state.rawValue))
        }
    }
}

@c @implementation
public func hw_engine_test_webhook(
    _ engine: OpaquePointer?, _ caller: UnsafePointer<hw_caller>?, _ id: Int64,
    _ outSucceeded: UnsafeMutablePointer<Bool>?, _ outMessage: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> hw_status {
    withEngine(engine) { object in
        let result = try object.engine.test(webhookId: id, caller: try hostCaller(caller))
        outSucceeded?.pointee = result.succeeded
        storeOptionalMessage(result.message, in: outMessage)
    }
}
