/// Identifiers of stored objects: a short type prefix, an underscore, and 26 characters of
/// Crockford base32 (lower case) holding a 48-bit millisecond timestamp followed by 80 random
/// bits, so identifiers sort by creation time (good B-tree locality) and cannot be guessed.
///
/// Example: `key_01jd9x4k7m2q8r5t6v7w8x9y0z`.
public struct HonninID: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Known prefixes; each kind of object has one.
    public struct Kind: Hashable, Sendable {
        public let prefix: String
        public init(_ prefix: String) { self.prefix = prefix }
        public static let apiKey = Kind("key")
        public static let vaultRecord = Kind("vlt")
        public static let keyEncryptionKey = Kind("kek")
        public static let auditSigningKey = Kind("ask")
    }

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    public init(kind: Kind, milliseconds: Int64, random: any RandomSource) {
        var bits = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF
        for i in 0..<6 { bits[i] = UInt8((ms >> UInt64(8 * (5 - i))) & 0xFF) }
        let r = random.bytes(10)
        for i in 0..<10 { bits[6 + i] = r[i] }
        // 128 bits → 26 base32 characters (the first carries 3 bits).
        var chars = [UInt8]()
        chars.reserveCapacity(26)
        var value = (UInt64(bits[0]) << 56) | (UInt64(bits[1]) << 48) | (UInt64(bits[2]) << 40)
            | (UInt64(bits[3]) << 32) | (UInt64(bits[4]) << 24) | (UInt64(bits[5]) << 16)
            | (UInt64(bits[6]) << 8) | UInt64(bits[7])
        var low: UInt64 = 0
        for i in 8..<16 { low = (low << 8) | UInt64(bits[i]) }
        // Emit from least significant 5-bit groups of the 128-bit number (value:low).
        for _ in 0..<26 {
            chars.append(Self.alphabet[Int(low & 31)])
            low = (low >> 5) | ((value & 31) << 59)
            value >>= 5
        }
        self.rawValue = kind.prefix + "_" + String(decoding: chars.reversed(), as: UTF8.self)
    }

    /// Parses an identifier of the given kind, or returns nil for anything else (never traps).
    public init?(parsing text: some StringProtocol, kind: Kind) {
        let utf8 = Array(text.utf8)
        let prefix = Array(kind.prefix.utf8)
        guard utf8.count == prefix.count + 1 + 26, utf8.starts(with: prefix), utf8[prefix.count] == UInt8(ascii: "_")
        else { return nil }
        let body = utf8[(prefix.count + 1)...]
        guard body.allSatisfy({ Self.alphabet.contains($0) }), let first = body.first,
            let v = Self.alphabet.firstIndex(of: first), v < 8
        else { return nil }
        self.rawValue = String(decoding: utf8, as: UTF8.self)
    }

    /// Wraps a value read back from our own storage.
    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }
    public static func < (a: HonninID, b: HonninID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
