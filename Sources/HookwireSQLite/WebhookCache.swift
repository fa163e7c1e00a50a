import Foundation
import HookwireCore
import Synchronization

/// Webhooks by id, kept in memory so that reading a hook by id needs no SQLite call.
///
/// SQLite stays the source of truth, and the cache contains copies of committed rows. Every store on the same
/// database file in this process shares one cache (see `shared(forPath:)`), so a write through
/// any of them reaches readers of all of them.
///
/// Coherence: a writer calls `beginWrite(id:)` inside its transaction before it changes the
/// row, and `endWrite(id:)` once the outermost transaction has committed or rolled back. Both
/// drop the cached copy and advance a generation. A reader that misses takes a `ticket(id:)`
/// before it reads SQLite and offers the row to `fill(_:ticket:)`, which keeps it only when no
/// write began or ended in between and none is in progress on that id. So once a write
/// returns, no reader is served the row as it was before that write.
///
/// Memory: at most `capacity` hooks. When full, filling evicts one cached hook picked at random,
/// which needs no bookkeeping on reads. A hook takes roughly 0.5 to 2 KB, so the default
/// 100,000 hooks stay below about 200 MB. A hook's encoding (see `encoding(id:format:encode:)`)
/// is smaller than the hook, so with encodings the estimate stays below about 400 MB.
///
/// Thread safety: every method may be called from any thread; the state sits in one `Mutex`,
/// held only to copy a hook in or out.
final class WebhookCache: Sendable {
    /// The default maximum number of hooks in one cache.
    static let defaultCapacity = 100_000

    private struct Entry {
        var webhook: Webhook
        /// The entry's position in `State.keys`.
        var slot: Int
        /// A number no other fill used, so that an encoding made outside the lock is kept only
        /// for the copy it was made from.
        var fillNumber: UInt64
    }

    /// Bytes encoded from one cached copy of a hook, kept apart from `Entry` so that a hit
    /// copies one array and not a whole `Webhook`.
    private struct Encoding {
        var format: ObjectIdentifier
        var bytes: [UInt8]
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// At most one encoding per cached id. Every path that drops or replaces an entry
        /// drops its encoding too.
        var encodings: [Int64: Encoding] = [:]
        var fills: UInt64 = 0
        /// The cached ids, in no order, so that eviction can pick one at random in O(1).
        var keys: [Int64] = []
        /// Writes in progress per id: while an id is here, reads of it are not cached.
        var writing: [Int64: Int] = [:]
        /// Advances at every `beginWrite` and `endWrite`, so that a fill with an older ticket is
        /// rejected.
        var generation: UInt64 = 0
        var generator = SystemRandomNumberGenerator()

        mutating func remove(_ id: Int64) {
            encodings[id] = nil
            guard let entry = entries.removeValue(forKey: id) else { return }
            let last = keys.removeLast()
            if last != id {
                keys[entry.slot] = last
                entries[last]?.slot = entry.slot
            }
        }
    }

    /// A reader's permission to cache what it read, taken before reading.
    struct Ticket {
        fileprivate let generation: UInt64
    }

    /// The maximum number of cached hooks.
    let capacity: Int
    private let state = Mutex(State())

    /// Creates an empty cache holding at most `capacity` hooks (at least 1).
    init(capacity: Int = WebhookCache.defaultCapacity) {
        self.capacity = max(capacity, 1)
    }

    /// Returns the cached copy of the hook, or nil when it is not cached.
    func webhook(id: Int64) -> Webhook? {
        state.withLock { $0.entries[id]?.webhook }
    }

    /// Returns a ticket for filling `id` after reading it, or nil while a write to it is in
    /// progress, when what SQLite returns may be about to change.
    func ticket(id: Int64) -> Ticket? {
        state.withLock { state in
            state.writing[id] == nil ? Ticket(generation: state.generation) : nil
        }
    }

    /// Caches `webhook`, read from SQLite after `ticket` was taken, unless a write began or
    /// ended since.
    func fill(_ webhook: Webhook, ticket: Ticket) {
        state.withLock { state in
            guard state.generation == ticket.generation else { return }
            let id = webhook.id
            state.fills &+= 1
            if state.entries[id] != nil {
                state.entries[id]?.webhook = webhook
                state.entries[id]?.fillNumber = state.fills
                state.encodings[id] = nil
                return
            }
            if state.keys.count >= capacity {
                let victim = Int.random(in: 0..<state.keys.count, using: &state.generator)
                state.remove(state.keys[victim])
            }
            state.entries[id] = Entry(webhook: webhook, slot: state.keys.count, fillNumber: state.fills)
            state.keys.append(id)
        }
    }

    /// Returns `encode(hook)` for a cached hook, or nil when the hook is not cached.
    ///
    /// The bytes are kept beside the cached copy they were made from, so `encode` runs once per
    /// copy and `format`. Any write to the hook drops them with the copy, so they are never
    /// older than what `webhook(id:)` returns. One encoding per hook is kept: asking for another
    /// `format` replaces it. `encode` runs outside the lock and must depend only on the hook.
    func encoding(id: Int64, format: ObjectIdentifier, encode: (Webhook) -> [UInt8]) -> [UInt8]? {
        enum Lookup {
            case encoded([UInt8])
            case cached(Webhook, fillNumber: UInt64)
        }
        let lookup: Lookup? = state.withLock { state in
            if let encoding = state.encodings[id], encoding.format == format { return .encoded(encoding.bytes) }
            guard let entry = state.entries[id] else { return nil }
            return .cached(entry.webhook, fillNumber: entry.fillNumber)
        }
        switch lookup {
        case nil:
            return nil
        case .encoded(let bytes)?:
            return bytes
        case .cached(let webhook, let fillNumber)?:
            let bytes = encode(webhook)
            state.withLock { state in
                // Between the two locks a write may have dropped or replaced the copy.
                guard state.entries[id]?.fillNumber == fillNumber else { return }
                state.encodings[id] = Encoding(format: format, bytes: bytes)
            }
            return bytes
        }
    }

    /// Drops the cached copy of `id` and rejects fills until the matching `endWrite`. Call it
    /// inside the writing transaction, before the row changes.
    func beginWrite(id: Int64) {
        state.withLock { state in
            state.remove(id)
            state.writing[id, default: 0] += 1
            state.generation &+= 1
        }
    }

    /// Ends a write begun by `beginWrite`, after its transaction committed or rolled back.
    func endWrite(id: Int64) {
        state.withLock { state in
            state.remove(id)
            if let count = state.writing[id], count > 1 {
                state.writing[id] = count - 1
            } else {
                state.writing[id] = nil
            }
            state.generation &+= 1
        }
    }

    /// The number of hooks cached now.
    var count: Int {
        state.withLock { $0.entries.count }
    }

    // MARK: One cache per file

    private static let byFile = PerFileRegistry<WebhookCache>()

    /// Returns the cache of the database file at `path`, shared by every store in this process
    /// that opens the same file, or a new private cache for `:memory:` and empty paths.
    ///
    // NOTE: this cache misses writes made by another process on the same file. A delivery store
    // takes the file's `DatabaseFileLock`, so a second engine cannot open it, but a webhook store
    // opened alone takes no lock.
    static func shared(forPath path: String) -> WebhookCache {
        byFile.object(forPath: path) { WebhookCache() }
    }
}

extension SQLiteWebhookStore {
    /// Returns `encode(hook)` for a hook in the shared `WebhookCache`, encoded once per cached
    /// copy and `format`, or nil when the hook is not cached. Takes no SQLite connection.
    public func cachedEncoding(id: Int64, format: ObjectIdentifier, encode: (Webhook) -> [UInt8]) -> [UInt8]? {
        cache.encoding(id: id, format: format, encode: encode)
    }
}
