import Synchronization

/// A thread-safe map of at most `capacity` entries for values that are only ever recomputed, never
/// lost: when full it starts over (simple, and a miss only costs the work the cache saves).
///
/// Lookups are inlinable, so the dictionary is specialised for the caller's key type: a generic
/// `[UInt8]` key would otherwise be hashed and compared byte by byte through value witnesses.
public final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    @usableFromInline let entries = Mutex<[Key: Value]>([:])
    public let capacity: Int

    public init(capacity: Int) { self.capacity = max(1, capacity) }

    public var count: Int { entries.withLock { $0.count } }

    @inlinable public subscript(key: Key) -> Value? { entries.withLock { $0[key] } }

    @inlinable public func put(_ key: Key, _ value: Value) {
        entries.withLock {
            if $0.count >= capacity { $0.removeAll(keepingCapacity: true) }
            $0[key] = value
        }
    }
}

/// Bytes as a dictionary key, hashed in one pass over the buffer (`[UInt8]` as a key is hashed
/// one `combine` per byte). Equality is plain byte equality: keys are not secrets.
public struct ByteKey: Hashable, Sendable {
    public let bytes: [UInt8]

    @inlinable public init(_ bytes: [UInt8]) { self.bytes = bytes }

    @inlinable public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes.count)
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    @inlinable public static func == (a: ByteKey, b: ByteKey) -> Bool { a.bytes == b.bytes }
}
