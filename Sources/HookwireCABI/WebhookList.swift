import CHookwireHeader
import Foundation
import HookwireCore

/// The object behind a `hw_webhook_list` handle. Its hooks are registered as borrowed handles
/// and unregistered with the list.
final class WebhookListObject: HandleKind {
    static let handleName = "webhook list"

    let items: [OpaquePointer]

    init(_ webhooks: [Webhook]) {
        items = webhooks.map { newHandle(WebhookObject($0, isBorrowed: true)) }
    }

    deinit {
        for item in items { HandleTable.shared.remove(address(item), as: WebhookObject.self) }
    }
}

/// Reads a host's `hw_webhook_filter`; NULL gives every hook up to the default limit.
func webhookFilter(_ pointer: UnsafePointer<hw_webhook_filter>?) throws -> WebhookFilter {
    guard let pointer else { return WebhookFilter() }
    let filter = try VersionedStruct(pointer, name: "filter", lastFirstVersionField: \.after_id)
    let limit = filter.field(\.limit, default: 0)
    return WebhookFilter(
        name: try optionalString(filter.field(\.name, default: nil), "filter.name"),
        event: try optionalString(filter.field(\.event, default: nil), "filter.event"),
        applicationToken: try optionalString(filter.field(\.application_token, default: nil), "filter.application_token"),
        state: try webhookState(filter.field(\.state, default: HW_WEBHOOK_STATE_UNKNOWN)),
        limit: limit == 0 ? WebhookFilter.defaultLimit : limit,
        afterId: filter.field(\.after_id, default: 0))
}

@c @implementation
public func hw_webhook_list_count(_ list: OpaquePointer?) -> Int {
    WebhookListObject.resolveOrReport(address(list))?.items.count ?? 0
}

@c @implementation
public func hw_webhook_list_at(_ list: OpaquePointer?, _ index: Int) -> OpaquePointer? {
    guard let object = WebhookListObject.resolveOrReport(address(list)) else { return nil }
    guard index < object.items.count else {
        reportMisuse("index \(index) is out of range for a list of \(object.items.count) webhooks")
        return nil
    }
    return object.items[index]
}

@c @implementation
public func hw_webhook_list_destroy(_ list: OpaquePointer?) {
    guard let list else { return }
    if HandleTable.shared.remove(address(list), as: WebhookListObject.self) == nil {
        reportMisuse("webhook list \(list) is not a live handle (released already, or never created)")
    }
}
