import CHookwireHeader
import Foundation
import HookwireCore

/// Converts a handle as Swift imports it into the address the handle table uses.
func address(_ handle: OpaquePointer?) -> UnsafeRawPointer? {
    handle.map { UnsafeRawPointer($0) }
}

/// Registers `object` and returns it as the host's handle.
func newHandle(_ object: AnyObject) -> OpaquePointer {
    OpaquePointer(HandleTable.shared.insert(object))
}

extension WebhookObject {
    /// Returns the object behind a handle the host may change: live and not owned by a list.
    static func resolveMutable(_ handle: OpaquePointer?) throws -> WebhookObject {
        let object = try resolve(address(handle))
        if object.isBorrowed {
            throw CABIError.misuse("webhook \(handle!) belongs to a list or a plugin call; copy it with hw_webhook_clone")
        }
        return object
    }
}

/// Milliseconds since 1970-01-01 UTC.
func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded())
}

// MARK: - Lifetime

@c @implementation
public func hw_webhook_create(_ outWebhook: UnsafeMutablePointer<OpaquePointer?>?) -> hw_status {
    runReportingStatus {
        let out = try requireOut(outWebhook, "out_webhook")
        out.pointee = newHandle(WebhookObject(Webhook(name: "", events: [], targetURL: "")))
    }
}

@c @implementation
public func hw_webhook_clone(_ webhook: OpaquePointer?, _ outWebhook: UnsafeMutablePointer<OpaquePointer?>?) -> hw_status {
    runReportingStatus {
        let object = try WebhookObject.resolve(address(webhook))
        let out = try requireOut(outWebhook, "out_webhook")
        out.pointee = newHandle(WebhookObject(object.webhook))
    }
}

@c @implementation
public func hw_webhook_destroy(_ webhook: OpaquePointer?) {
    guard let webhook else { return }
    guard let object = WebhookObject.resolveOrReport(address(webhook)) else { return }
    if object.isBorrowed {
        reportMisuse("webhook \(webhook) belongs to a list or a plugin call and is released with it")
        return
    }
    HandleTable.shared.remove(address(webhook), as: WebhookObject.self)
}

// MARK: - Getters

@c @implementation
public func hw_webhook_id(_ webhook: OpaquePointer?) -> Int64 {
    WebhookObject.resolveOrReport(address(webhook))?.webhook.id ?? 0
}

@c @implementation
public func hw_webhook_name(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.name
}

@c @implementation
public func hw_webhook_target_url(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.targetURL
}

@c @implementation
public func hw_webhook_type(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.type
}

@c @implementation
public func hw_webhook_secret(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.secret
}

@c @implementation
public func hw_webhook_get_state(_ webhook: OpaquePointer?) -> hw_webhook_state {
    let state = WebhookObject.resolveOrReport(address(webhook))?.webhook.state ?? .unknown
    return hw_webhook_state(rawValue: UInt32(state.rawValue))
}

@c @implementation
public func hw_webhook_application_token(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.applicationToken
}

@c @implementation
public func hw_webhook_description(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.descriptionText
}

@c @implementation
public func hw_webhook_event_count(_ webhook: OpaquePointer?) -> Int {
    WebhookObject.resolveOrReport(address(webhook))?.eventCount ?? 0
}

@c @implementation
public func hw_webhook_event(_ webhook: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.event(at: index)
}

@c @implementation
public func hw_webhook_header_count(_ webhook: OpaquePointer?) -> Int {
    WebhookObject.resolveOrReport(address(webhook))?.headerCount ?? 0
}

@c @implementation
public func hw_webhook_header_name(_ webhook: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.headerName(at: index)
}

@c @implementation
public func hw_webhook_header_value(_ webhook: OpaquePointer?, _ index: Int) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.headerValue(at: index)
}

@c @implementation
public func hw_webhook_properties_json(_ webhook: OpaquePointer?) -> UnsafePointer<CChar>? {
    WebhookObject.resolveOrReport(address(webhook))?.propertiesJSON
}

@c @implementation
public func hw_webhook_registered_ms(_ webhook: OpaquePointer?) -> Int64 {
    WebhookObject.resolveOrReport(address(webhook)).map { milliseconds($0.webhook.registered) } ?? 0
}

@c @implementation
public func hw_webhook_registered_associate_id(_ webhook: OpaquePointer?) -> Int64 {
    WebhookObject.resolveOrReport(address(webhook))?.webhook.registeredAssociateId ?? 0
}

@c @implementation
public func hw_webhook_updated_ms(_ webhook: OpaquePointer?) -> Int64 {
    WebhookObject.resolveOrReport(address(webhook)).map { milliseconds($0.webhook.updated) } ?? 0
}

@c @implementation
public func hw_webhook_updated_associate_id(_ webhook: OpaquePointer?) -> Int64 {
    WebhookObject.resolveOrReport(address(webhook))?.webhook.updatedAssociateId ?? 0
}

// MARK: - Setters

/// Runs a setter: resolves the changeable object, then applies `change` to its value.
private func setField(_ webhook: OpaquePointer?, _ change: (inout Webhook) throws -> Void) -> hw_status {
    runReportingStatus {
        let object = try WebhookObject.resolveMutable(webhook)
        try object.update(change)
    }
}

@c @implementation
public func hw_webhook_set_id(_ webhook: OpaquePointer?, _ id: Int64) -> hw_status {
    setField(webhook) { $0.id = id }
}

@c @implementation
public func hw_webhook_set_name(_ webhook: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.name = try requiredString(name, "name") }
}

@c @implementation
public func hw_webhook_set_target_url(_ webhook: OpaquePointer?, _ targetURL: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.targetURL = try requiredString(targetURL, "target_url") }
}

@c @implementation
public func hw_webhook_set_type(_ webhook: OpaquePointer?, _ type: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.type = try requiredString(type, "type") }
}

@c @implementation
public func hw_webhook_set_secret(_ webhook: OpaquePointer?, _ secret: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.secret = try optionalString(secret, "secret") }
}

@c @implementation
public func hw_webhook_set_state(_ webhook: OpaquePointer?, _ state: hw_webhook_state) -> hw_status {
    setField(webhook) {
        $0.state = try webhookState(state)
    }
}

/// Converts a C state, rejecting values the enum does not define.
func webhookState(_ state: hw_webhook_state) throws -> WebhookState {
    guard let value = Int32(exactly: state.rawValue), let converted = WebhookState(rawValue: value) else {
        throw CABIError(HW_ERROR_INVALID_ARGUMENT, "webhook state \(state.rawValue) is not one of 0 (unknown), 1 (active), 2 (stopped), 3 (too many errors)")
    }
    return converted
}

@c @implementation
public func hw_webhook_set_application_token(_ webhook: OpaquePointer?, _ token: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.applicationToken = try optionalString(token, "application_token") }
}

@c @implementation
public func hw_webhook_set_description(_ webhook: OpaquePointer?, _ description: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.description = try requiredString(description, "description") }
}

@c @implementation
public func hw_webhook_set_events(
    _ webhook: OpaquePointer?, _ events: UnsafePointer<UnsafePointer<CChar>?>?, _ count: Int
) -> hw_status {
    setField(webhook) { $0.events = try stringArray(events, count: count, "events") }
}

@c @implementation
public func hw_webhook_add_event(_ webhook: OpaquePointer?, _ event: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.events.append(try requiredString(event, "event")) }
}

@c @implementation
public func hw_webhook_set_header(
    _ webhook: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?
) -> hw_status {
    setField(webhook) { $0.headers[try requiredString(name, "name")] = try optionalString(value, "value") }
}

@c @implementation
public func hw_webhook_set_properties_json(_ webhook: OpaquePointer?, _ json: UnsafePointer<CChar>?) -> hw_status {
    setField(webhook) { $0.properties = try jsonObject(try requiredString(json, "json"), "properties JSON") }
}

/// Parses JSON text that must be an object.
func jsonObject(_ text: String, _ name: String) throws -> [String: JSONValue] {
    guard case .object(let members) = try jsonValue(text, name) else {
        throw CABIError(HW_ERROR_INVALID_ARGUMENT, "\(name) is not a JSON object: \(text.prefix(80))")
    }
    return members
}

/// Parses JSON text, naming `name` in the error.
func jsonValue(_ text: String, _ name: String) throws -> JSONValue {
    do {
        return try JSONValue(parsing: text)
    } catch {
        throw CABIError(HW_ERROR_INVALID_ARGUMENT, "\(name) is not valid JSON: \(error)")
    }
}
