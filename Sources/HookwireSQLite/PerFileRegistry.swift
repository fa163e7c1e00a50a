import Foundation
import Synchronization

/// One object per database file in this process, such as the file's webhook cache or write
/// gate, shared by every store and connection that opens the file and freed with the last of
/// them.
final class PerFileRegistry<Object: AnyObject & Sendable>: Sendable {
    private struct WeakObject {
        weak var object: Object?
    }

    private let byFile = Mutex<[String: WeakObject]>([:])

    /// Returns the object of the database file at `path`, made by `make` when the file has none
    /// yet. `:memory:`, URIs and empty paths name no shared file, so each call makes a new one.
    func object(forPath path: String, make: () -> Object) -> Object {
        guard path != ":memory:", !path.isEmpty, !path.hasPrefix("file:") else { return make() }
        return object(forKey: Self.canonicalPath(path), make: make)
    }

    /// Returns the object registered under `key`, made by `make` when there is none. When `make`
    /// throws, nothing is registered.
    func object(forKey key: String, make: () throws -> Object) rethrows -> Object {
        try byFile.withLock { objects in
            if let object = objects[key]?.object { return object }
            objects = objects.filter { $0.value.object != nil }
            let object = try make()
            objects[key] = WeakObject(object: object)
            return object
        }
    }

    /// Resolves symbolic links and relative parts, so that two spellings of one file share an
    /// object. Returns `path` when it cannot be resolved, as for a file not created yet.
    private static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
