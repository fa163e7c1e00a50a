import CHookwireHeader
import Foundation

/// Reads a required C string argument, rejecting NULL and bytes that are not UTF-8.
func requiredString(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String {
    guard let pointer else { throw CABIError.misuse("\(name) is NULL") }
    guard let value = String(validatingCString: pointer) else {
        throw CABIError.misuse("\(name) is not valid UTF-8")
    }
    return value
}

/// Reads an optional C string argument: NULL gives nil, bytes that are not UTF-8 are rejected.
func optionalString(_ pointer: UnsafePointer<CChar>?, _ name: String) throws -> String? {
    guard let pointer else { return nil }
    return try requiredString(pointer, name)
}

/// Reads `count` required strings from a C array.
func stringArray(_ pointer: UnsafePointer<UnsafePointer<CChar>?>?, count: Int, _ name: String) throws -> [String] {
    if count == 0 { return [] }
    guard let pointer else { throw CABIError.misuse("\(name) is NULL but its count is \(count)") }
    return try (0..<count).map { try requiredString(pointer[$0], "\(name)[\($0)]") }
}

/// Views a pointer plus length as bytes; NULL is allowed only with length 0.
func byteBuffer(_ pointer: UnsafePointer<UInt8>?, _ length: Int, _ name: String) throws -> UnsafeBufferPointer<UInt8> {
    if length == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
    guard let pointer else { throw CABIError.misuse("\(name) is NULL but its length is \(length)") }
    return UnsafeBufferPointer(start: pointer, count: length)
}

/// Returns a copy of `text` that the host releases with `hw_free`.
func hostOwnedCopy(_ text: String) -> UnsafeMutablePointer<CChar>? {
    strdup(text)
}

/// Reads the fields of a host struct that begins with `size_t struct_size`, using only the
/// bytes the host's struct_size covers, so that an older, shorter struct is never read past
/// its end.
struct VersionedStruct<S> {
    let base: UnsafeRawPointer
    let size: Int

    /// Checks `struct_size` against the size of the struct's first version, which ends with
    /// the field at `lastFirstVersionField`.
    init<Last>(_ pointer: UnsafePointer<S>, name: String, lastFirstVersionField: KeyPath<S, Last>) throws {
        base = UnsafeRawPointer(pointer)
        size = base.load(as: Int.self)
        let firstVersionSize = MemoryLayout<S>.offset(of: lastFirstVersionField)! + MemoryLayout<Last>.size
        guard size >= firstVersionSize else {
            throw CABIError.misuse(
                "\(name).struct_size is \(size), less than \(firstVersionSize); initialise it with its HW_..._INIT macro")
        }
    }

    /// Returns the field at `key`, or `fallback` when the host's struct ends before it.
    func field<T>(_ key: KeyPath<S, T>, default fallback: T) -> T {
        let offset = MemoryLayout<S>.offset(of: key)!
        guard offset + MemoryLayout<T>.size <= size else { return fallback }
        return base.loadUnaligned(fromByteOffset: offset, as: T.self)
    }
}

/// The out-parameter check every creating function makes first.
func requireOut<T>(_ pointer: UnsafeMutablePointer<T>?, _ name: String) throws -> UnsafeMutablePointer<T> {
    guard let pointer else { throw CABIError.misuse("\(name) is NULL") }
    return pointer
}
