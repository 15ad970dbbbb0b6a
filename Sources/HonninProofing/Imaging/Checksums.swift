/// CRC-32 as used by PNG chunks (PNG 3rd ed. §5.5, Annex D): reflected polynomial 0xEDB88320, initial value and
/// final XOR 0xFFFFFFFF.
enum CRC32 {
    /// Byte-at-a-time table: entry n is the CRC register after shifting the byte n through eight times.
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 {
            c = (c & 1) != 0 ? (0xEDB8_8320 ^ (c >> 1)) : (c >> 1)
        }
        return c
    }

    /// Continues a running CRC (start with 0) over `bytes`.
    static func update(_ crc: UInt32, _ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var c = ~crc
            for b in bytes {
                c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8)
            }
            return ~c
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { update(0, $0) }
    }
}

/// Adler-32 (RFC 1950 §8.2): two 16-bit sums modulo 65521, s2 in the high half.
enum Adler32 {
    static func checksum(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var s1: UInt32 = 1
        var s2: UInt32 = 0
        var index = 0
        let count = bytes.count
        while index < count {
            // 5552 is the largest run for which s2 cannot overflow 32 bits before the modulo (RFC 1950 §9).
            let end = min(count, index + 5552)
            while index < end {
                s1 &+= UInt32(bytes[index])
                s2 &+= s1
                index += 1
            }
            s1 %= 65521
            s2 %= 65521
        }
        return (s2 << 16) | s1
    }
}
