import CHookwireHeader
import Foundation
import HookwireSigning

@c @implementation
public func hw_sign(
    _ secret: UnsafePointer<CChar>?, _ messageId: UnsafePointer<CChar>?, _ timestamp: Int64,
    _ body: UnsafePointer<UInt8>?, _ bodyLength: Int, _ outSignature: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> hw_status {
    runReportingStatus {
        let secretText = try requiredString(secret, "secret")
        let id = try requiredString(messageId, "message_id")
        let bytes = try byteBuffer(body, bodyLength, "body")
        let out = try requireOut(outSignature, "out_signature")
        let key = try SigningKey(secret: secretText)
        let value = StandardWebhooks.signatureHeaderValue(
            id: id, timestamp: timestamp, body: UnsafeRawBufferPointer(bytes), keys: [key])
        out.pointee = hostOwnedCopy(value)
    }
}

/// Returns the C failure reason for a signature error code.
private func verifyFailure(_ code: SignatureError.Code) -> hw_verify_failure {
    switch code {
    case .missingHeader: HW_VERIFY_MISSING_HEADER
    case .invalidTimestamp: HW_VERIFY_INVALID_TIMESTAMP
    case .timestampTooOld: HW_VERIFY_TIMESTAMP_TOO_OLD
    case .timestampTooNew: HW_VERIFY_TIMESTAMP_TOO_NEW
    case .noMatchingSignature: HW_VERIFY_NO_MATCHING_SIGNATURE
    default: HW_VERIFY_INVALID_HEADER
    }
}

@c @implementation
public func hw_verify(
    _ secret: UnsafePointer<CChar>?, _ headers: UnsafePointer<hw_header>?, _ headerCount: Int,
    _ body: UnsafePointer<UInt8>?, _ bodyLength: Int, _ options: UnsafePointer<hw_verify_options>?,
    _ outFailure: UnsafeMutablePointer<hw_verify_failure>?, _ outReason: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> hw_status {
    runReportingStatus {
        let secretText = try requiredString(secret, "secret")
        if headerCount > 0 && headers == nil {
            throw CABIError.misuse("headers is NULL but header_count is \(headerCount)")
        }
        let fields: [(name: String, value: String)] = try (0..<headerCount).map { index in
            let header = headers![index]
            return (try requiredString(header.name, "headers[\(index)].name"),
                    try requiredString(header.value, "headers[\(index)].value"))
        }
        let bytes = try byteBuffer(body, bodyLength, "body")
        var tolerance = StandardWebhooks.defaultToleranceSeconds
        var now: Int64?
        if let options {
            let settings = try VersionedStruct(options, name: "options", lastFirstVersionField: \.now)
            let requested = settings.field(\.tolerance_seconds, default: 0)
            guard requested >= 0 else {
                throw CABIError(HW_ERROR_INVALID_ARGUMENT, "options.tolerance_seconds is \(requested); it cannot be negative")
            }
            if requested > 0 { tolerance = requested }
            let clock = settings.field(\.now, default: 0)
            if clock != 0 { now = clock }
        }
        let verifier = try StandardWebhooksVerifier(secret: secretText, toleranceSeconds: tolerance)
        do {
            try verifier.verify(headers: fields, body: bytes, now: now)
            outFailure?.pointee = HW_VERIFY_OK
            outReason?.pointee = nil
        } catch let error as SignatureError where error.code != .invalidSecret && error.code != .cryptoFailure {
            outFailure?.pointee = verifyFailure(error.code)
            outReason?.pointee = hostOwnedCopy(error.message)
            throw error
        }
    }
}
