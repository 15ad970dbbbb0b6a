import HonninCore
import Testing

@Suite("Bounded cache")
struct BoundedCacheTests {
    @Test("holds what was put, up to its capacity, then starts over")
    func bounded() {
        let cache = BoundedCache<Int, String>(capacity: 3)
        for i in 0..<3 { cache.put(i, "v\(i)") }
        #expect(cache.count == 3 && cache[0] == "v0" && cache[2] == "v2" && cache[9] == nil)
        cache.put(1, "again")  // full: starts over, then holds the new entry only
        #expect(cache.count == 1 && cache[1] == "again" && cache[0] == nil)
        #expect(BoundedCache<Int, Int>(capacity: 0).capacity == 1)
    }
}

@Suite("Byte keys")
struct ByteKeyTests {
    @Test("equal bytes are one key; different bytes, lengths or prefixes are not")
    func keys() {
        let cache = BoundedCache<ByteKey, Int>(capacity: 10)
        cache.put(ByteKey([1, 2, 3]), 1)
        cache.put(ByteKey([1, 2]), 2)
        cache.put(ByteKey([]), 3)
        #expect(cache[ByteKey([1, 2, 3])] == 1 && cache[ByteKey([1, 2])] == 2 && cache[ByteKey([])] == 3)
        #expect(cache[ByteKey([1, 2, 4])] == nil && cache[ByteKey([1, 2, 3, 0])] == nil)
        #expect(ByteKey([9, 9]).hashValue == ByteKey([9, 9]).hashValue)
        #expect(Set((0..<256).map { ByteKey([UInt8($0)]) }).count == 256)
    }
}
