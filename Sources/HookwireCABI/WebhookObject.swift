import CHookwireHeader
import Foundation
import HookwireCore

/// The object behind a `hw_webhook` handle: a `Webhook` value plus the C strings its getters
/// lend out.
///
/// All strings live in one allocation, rebuilt by every setter, so a borrowed pointer stays
/// valid until the next setter or the release, as the header promises. Not thread-safe: one
/// thread at a time uses an object, except that lists' hooks are only read.
final class WebhookObject: HandleKind {
    static let handleName = "webhook"

    private(set) var webhook: Webhook
    /// True for a hook owned by a list or lent to a plugin callback: the host may not release it.
    let isBorrowed: Bool
    private var strings = CStringArena()
    private var nameIndex = 0, targetIndex = 0, typeIndex = 0, descriptionIndex = 0, propertiesIndex = 0
    private var secretIndex: Int?, tokenIndex: Int?
    private var eventIndices: [Int] = []
    private var headerIndices: [(name: Int, value: Int)] = []

    init(_ webhook: Webhook, isBorrowed: Bool = false) {
        self.webhook = webhook
        self.isBorrowed = isBorrowed
        rebuildStrings()
    }

    /// Applies `change` to the webhook and rebuilds the borrowed strings.
    func update(_ change: (inout Webhook) throws -> Void) rethrows {
        try change(&webhook)
        rebuildStrings()
    }

    /// Replaces the whole value, as after a save that returns the stored hook.
    func replace(with webhook: Webhook) {
        self.webhook = webhook
        rebuildStrings()
    }

    private func rebuildStrings() {
        var arena = CStringArena.Builder()
        nameIndex = arena.add(webhook.name)
        targetIndex = arena.add(webhook.targetURL)
        typeIndex = arena.add(webhook.type)
        descriptionIndex = arena.add(webhook.description)
        propertiesIndex = arena.add(JSONValue.object(webhook.properties).serializedString())
        secretIndex = webhook.secret.map { arena.add($0) }
        tokenIndex = webhook.applicationToken.map { arena.add($0) }
        eventIndices = webhook.events.map { arena.add($0) }
        headerIndices = webhook.headers.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }).map {
            (arena.add($0), arena.add(webhook.headers[$0]!))
        }
        strings = arena.finish()
    }

    var name: UnsafePointer<CChar> { strings[nameIndex] }
    var targetURL: UnsafePointer<CChar> { strings[targetIndex] }
    var type: UnsafePointer<CChar> { strings[typeIndex] }
    var descriptionText: UnsafePointer<CChar> { strings[descriptionIndex] }
    var propertiesJSON: UnsafePointer<CChar> { strings[propertiesIndex] }
    var secret: UnsafePointer<CChar>? { secretIndex.map { strings[$0] } }
    var applicationToken: UnsafePointer<CChar>? { tokenIndex.map { strings[$0] } }
    var eventCount: Int { eventIndices.count }
    func event(at index: Int) -> UnsafePointer<CChar>? {
        index < eventIndices.count ? strings[eventIndices[index]] : nil
    }
    var headerCount: Int { headerIndices.count }
    func headerName(at index: Int) -> UnsafePointer<CChar>? {
        index < headerIndices.count ? strings[headerIndices[index].name] : nil
    }
    func headerValue(at index: Int) -> UnsafePointer<CChar>? {
        index < headerIndices.count ? strings[headerIndices[index].value] : nil
    }
}

/// NUL-terminated strings packed into one allocation, addressed by index.
struct CStringArena: ~Copyable {
    private var buffer: UnsafeMutablePointer<CChar>?
    private var offsets: [Int] = []

    init() {}

    /// Collects strings, then copies them into one allocation.
    struct Builder {
        private var bytes: [CChar] = []
        private var offsets: [Int] = []

        /// Appends `text` and returns its index.
        mutating func add(_ text: String) -> Int {
            offsets.append(bytes.count)
            for byte in text.utf8 { bytes.append(CChar(bitPattern: byte)) }
            bytes.append(0)
            return offsets.count - 1
        }

        consuming func finish() -> CStringArena {
            var arena = CStringArena()
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress { buffer.update(from: base, count: source.count) }
            }
            arena.buffer = buffer
            arena.offsets = offsets
            return arena
        }
    }

    subscript(index: Int) -> UnsafePointer<CChar> {
        UnsafePointer(buffer! + offsets[index])
    }

    deinit {
        buffer?.deallocate()
    }
}
