import Foundation

/// The live handles the library has given out, by address.
///
/// Every exported function looks its handle up here before using it, so a released or foreign
/// pointer is reported as `HW_ERROR_MISUSE` instead of being dereferenced. The table holds the
/// strong reference that keeps a handle's object alive. A call that finds its object takes its
/// own reference, so a concurrent release cannot free the object under a running call.
/// `lock` guards `objects`.
final class HandleTable: @unchecked Sendable {
    static let shared = HandleTable()

    private let lock = NSLock()
    private var objects: [UnsafeRawPointer: AnyObject] = [:]

    /// Registers `object` and returns its address, which the host uses as the handle.
    func insert(_ object: AnyObject) -> UnsafeMutableRawPointer {
        let address = Unmanaged.passUnretained(object).toOpaque()
        lock.lock()
        objects[UnsafeRawPointer(address)] = object
        lock.unlock()
        return address
    }

    /// Returns the live object of type `T` at `address`, or nil.
    func lookup<T: AnyObject>(_ address: UnsafeRawPointer?, as type: T.Type) -> T? {
        guard let address else { return nil }
        lock.lock()
        defer { lock.unlock() }
        return objects[address] as? T
    }

    /// Unregisters the object of type `T` at `address` and returns it, or returns nil when no
    /// such object is registered.
    @discardableResult
    func remove<T: AnyObject>(_ address: UnsafeRawPointer?, as type: T.Type) -> T? {
        guard let address else { return nil }
        lock.lock()
        defer { lock.unlock() }
        guard let object = objects[address] as? T else { return nil }
        objects[address] = nil
        return object
    }
}

/// Names a handle kind in misuse messages.
protocol HandleKind: AnyObject {
    static var handleName: String { get }
}

extension HandleKind {
    /// Returns the live object behind `pointer`, or throws a misuse error that names the kind.
    static func resolve(_ pointer: UnsafeRawPointer?) throws -> Self {
        guard let pointer else { throw CABIError.misuse("\(handleName) is NULL") }
        guard let object = HandleTable.shared.lookup(pointer, as: Self.self) else {
            throw CABIError.misuse("\(handleName) \(pointer) is not a live handle (released, or never created)")
        }
        return object
    }

    /// Returns the live object behind `pointer` for a function that returns no status, recording
    /// a misuse in the thread's last error when there is none.
    static func resolveOrReport(_ pointer: UnsafeRawPointer?) -> Self? {
        do {
            return try resolve(pointer)
        } catch {
            reportMisuse(statusAndMessage(for: error).1)
            return nil
        }
    }
}
