import Synchronization

/// A thread-safe map of at most `capacity` entries for values that are only ever recomputed, never
/// lost: when full it starts over (simple, and a miss only costs the work the cache saves).
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Value]>([:])
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { entries.withLock { $0.count } }

    public subscript(key: Key) -> Value? { entries.withLock { $0[key] } }

    public func put(_ key: Key, _ value: Value) {
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
    }
}
