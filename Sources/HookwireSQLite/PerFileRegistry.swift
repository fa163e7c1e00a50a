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
        return object(forKey: canonicalFilePath(path), make: make)
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
}

/// Resolves symbolic links and relative parts, so that two spellings of one file give one
/// path. A file not created yet, or a symbolic link to one, is resolved through its directory.
/// Returns `path` when nothing resolves.
func canonicalFilePath(_ path: String) -> String {
    if let resolved = realpath(path, nil) {
        defer { free(resolved) }
        return String(cString: resolved)
    }
    // A dangling link: follow it by hand to the name SQLite would create.
    var target = path
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    for _ in 0..<40 {
        let count = readlink(target, &buffer, buffer.count - 1)
        guard count > 0 else { break }
        let link = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        target = link.hasPrefix("/") ? link : URL(fileURLWithPath: target).deletingLastPathComponent().appendingPathComponent(link).path
    }
    let url = URL(fileURLWithPath: target)
    guard let directory = realpath(url.deletingLastPathComponent().path, nil) else { return path }
    defer { free(directory) }
    return URL(fileURLWithPath: String(cString: directory)).appendingPathComponent(url.lastPathComponent).path
}
