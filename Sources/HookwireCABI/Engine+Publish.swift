import CHookwireHeader
import Foundation
import Hookwire
import HookwireCore

/// Reads a host's `hw_event`, naming fields as `name.field` in errors.
func eventPublication(_ pointer: UnsafeRawPointer, name: String) throws -> EventPublication {
    let fields = try VersionedStruct(
        pointer.assumingMemoryBound(to: hw_event.self), name: name, lastFirstVersionField: \.data_json)
    let event = try requiredString(fields.field(\.event, default: nil), "\(name).event")
    let changes = try stringArray(
        fields.field(\.changes, default: nil), count: fields.field(\.change_count, default: 0), "\(name).changes")
    var fieldValues: [String: JSONValue] = [:]
    if let text = try optionalString(fields.field(\.field_values_json, default: nil), "\(name).field_values_json") {
        fieldValues = try jsonObject(text, "\(name).field_values_json")
    }
    var data: JSONValue?
    if let text = try optionalString(fields.field(\.data_json, default: nil), "\(name).data_json") {
        data = try jsonValue(text, "\(name).data_json")
    }
    return EventPublication(
        event: event,
        entity: try optionalString(fields.field(\.entity, default: nil), "\(name).entity"),
        primaryKey: fields.field(\.primary_key, default: 0),
        changes: changes,
        fieldValues: fieldValues,
        changedByAssociateId: fields.field(\.changed_by_associate_id, default: 0),
        contextIdentifier: try optionalString(fields.field(\.context_identifier, default: nil), "\(name).context_identifier")
            ?? "Default",
        data: data)
}

/// Reads `count` events laid out with the stride of the first element's struct_size.
func eventPublications(_ events: UnsafePointer<hw_event>?, count: Int) throws -> [EventPublication] {
    guard let events else { throw CABIError.misuse("events is NULL") }
    guard count > 0 else { throw CABIError.misuse("count is 0; a batch needs at least one event") }
    let stride = UnsafeRawPointer(events).load(as: Int.self)
    return try (0..<count).map { index in
        let element = UnsafeRawPointer(events) + index * stride
        let size = element.load(as: Int.self)
        guard size == stride else {
            throw CABIError.misuse("events[\(index)].struct_size is \(size) but events[0].struct_size is \(stride); every element needs the same size")
        }
        return try eventPublication(element, name: "events[\(index)]")
    }
}

/// Writes a publish result into the host's `hw_publish_result` at `pointer`.
func store(_ result: PublishResult, at pointer: UnsafeMutableRawPointer, name: String) throws {
    let size = pointer.load(as: Int.self)
    let typed = pointer.assumingMemoryBound(to: hw_publish_result.self)
    let end = MemoryLayout<hw_publish_result>.offset(of: \.matched_webhooks)! + MemoryLayout<Int64>.size
    guard size >= end else {
        throw CABIError.misuse("\(name).struct_size is \(size), less than \(end); initialise it with HW_PUBLISH_RESULT_INIT")
    }
    let idOffset = MemoryLayout<hw_publish_result>.offset(of: \.event_id)!
    let idBytes = Array(result.eventId.utf8.prefix(Int(HW_EVENT_ID_SIZE) - 1)) + [0]
    (pointer + idOffset).copyMemory(from: idBytes, byteCount: idBytes.count)
    typed.pointer(to: \.matched_webhooks)!.pointee = Int64(result.matchedWebhooks)
}

/// Writes batch results with the stride of the first element's struct_size.
func store(_ results: [PublishResult], at pointer: UnsafeMutablePointer<hw_publish_result>?) throws {
    guard let pointer else { return }
    let raw = UnsafeMutableRawPointer(pointer)
    let stride = raw.load(as: Int.self)
    for (index, result) in results.enumerated() {
        let element = raw + index * stride
        element.storeBytes(of: stride, as: Int.self)
        try store(result, at: element, name: "out_results[\(index)]")
    }
}

@c @implementation
public func hw_engine_publish(
    _ engine: OpaquePointer?, _ caller: UnsafePointer<hw_caller>?, _ event: UnsafePointer<hw_event>?,
    _ outResult: UnsafeMutablePointer<hw_publish_result>?
) -> hw_status {
    withEngine(engine) { object in
        guard let event else { throw CABIError.misuse("event is NULL") }
        let publication = try eventPublication(UnsafeRawPointer(event), name: "event")
        let who = try hostCaller(caller)
        if let outResult {
            _ = try VersionedStruct(UnsafePointer(outResult), name: "out_result", lastFirstVersionField: \.matched_webhooks)
        }
        let result = try object.engine.publish(publication, caller: who)
        if let outResult { try store(result, at: UnsafeMutableRawPointer(outResult), name: "out_result") }
    }
}

@c @implementation
public func hw_engine_publish_batch(
    _ engine: OpaquePointer?, _ caller: UnsafePointer<hw_caller>?, _ events: UnsafePointer<hw_event>?, _ count: Int,
    _ outResults: UnsafeMutablePointer<hw_publish_result>?
) -> hw_status {
    withEngine(engine) { object in
        let publications = try eventPublications(events, count: count)
        let who = try hostCaller(caller)
        if let outResults {
            _ = try VersionedStruct(UnsafePointer(outResults), name: "out_results[0]", lastFirstVersionField: \.matched_webhooks)
        }
        let results = try object.engine.publish(batch: publications, caller: who)
        try store(results, at: outResults)
    }
}
