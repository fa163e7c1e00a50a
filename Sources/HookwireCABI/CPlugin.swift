import CHookwireHeader
import Foundation
import Hookwire
import HookwireCore

/// A delivery plugin whose `deliver` is a C callback.
///
/// The engine calls `deliver` on its plugin threads, possibly concurrently; the C contract in
/// the header says the callback must be thread-safe. `releaseUserData` runs once, after the
/// engine has shut down; `lock` guards `released`.
final class CPlugin: WebhookPlugin, @unchecked Sendable {
    /// The size of the message buffer handed to the callback.
    static let messageCapacity = 1024

    let typeName: String
    private let callback: hw_plugin_deliver_fn
    private let userData: UnsafeMutableRawPointer?
    private let freeUserData: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
    private let lock = NSLock()
    private var released = false

    init(
        typeName: String, callback: hw_plugin_deliver_fn, userData: UnsafeMutableRawPointer?,
        freeUserData: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
    ) {
        self.typeName = typeName
        self.callback = callback
        self.userData = userData
        self.freeUserData = freeUserData
    }

    func deliver(_ delivery: PluginDelivery) -> WebhookResult {
        lock.lock()
        let isReleased = released
        lock.unlock()
        if isReleased {
            return WebhookResult(succeeded: false, message: "plugin \(typeName) was released with its engine")
        }

        // The hook is lent to the callback as a handle that only lives for this call.
        let hookHandle = newHandle(WebhookObject(delivery.webhook, isBorrowed: true))
        defer { HandleTable.shared.remove(address(hookHandle), as: WebhookObject.self) }

        let capacity = Self.messageCapacity
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: capacity) { message in
            message.initialize(repeating: 0)
            let outcome = delivery.body.withUnsafeBufferPointer { body in
                delivery.event.withCString { event in
                    delivery.eventId.withCString { eventId in
                        delivery.messageId.withCString { messageId in
                            var cDelivery = hw_plugin_delivery(
                                struct_size: MemoryLayout<hw_plugin_delivery>.size,
                                webhook: hookHandle,
                                body: body.baseAddress, body_length: body.count,
                                event: event, event_id: eventId, message_id: messageId,
                                attempt: delivery.attempt, is_test: delivery.isTest)
                            return callback(userData, &cDelivery, message.baseAddress, capacity)
                        }
                    }
                }
            }
            message[capacity - 1] = 0
            let text = String(decoding: UnsafeRawBufferPointer(start: message.baseAddress, count: strlen(message.baseAddress!)), as: UTF8.self)
            switch outcome {
            case HW_PLUGIN_SUCCEEDED:
                return WebhookResult(succeeded: true, message: text)
            case HW_PLUGIN_FAILED:
                return WebhookResult(succeeded: false, message: text)
            case HW_PLUGIN_PERMANENT_FAILURE:
                return WebhookResult(succeeded: false, permanentFailure: true, message: text)
            default:
                return WebhookResult(
                    succeeded: false,
                    message: "plugin \(typeName) returned \(outcome.rawValue), which is not a hw_plugin_outcome; \(text)")
            }
        }
    }

    /// Calls the host's free function once; later deliveries fail without calling back.
    func releaseUserData() {
        lock.lock()
        let alreadyReleased = released
        released = true
        lock.unlock()
        if !alreadyReleased { freeUserData?(userData) }
    }
}

@c @implementation
public func hw_engine_register_plugin(
    _ engine: OpaquePointer?, _ typeName: UnsafePointer<CChar>?, _ deliver: hw_plugin_deliver_fn?,
    _ userData: UnsafeMutableRawPointer?, _ freeUserData: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
) -> hw_status {
    withEngine(engine) { object in
        let name = try requiredString(typeName, "type_name")
        guard let deliver else { throw CABIError.misuse("deliver is NULL") }
        let plugin = CPlugin(typeName: name, callback: deliver, userData: userData, freeUserData: freeUserData)
        try object.engine.register(plugin: plugin)
        object.keep(plugin)
    }
}
