// CBOR (RFC 8949) for WebAuthn: attestation objects, COSE keys, authenticator extensions.
// No imports: this file is compiled on its own into the fuzz targets (Fuzz/run.sh).

/// A decoded CBOR data item, restricted to what WebAuthn carries (RFC 8949 §3.1 major types 0–5
/// and the simple values of major type 7). Tags (major type 6), floating-point numbers and
/// indefinite lengths are refused by ``CBORDecoder``.
public indirect enum CBORValue: Sendable, Hashable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the integer `-1 - n`, stored as `n` so that the whole 64-bit range fits.
    case negative(UInt64)
    /// Major type 2.
    case bytes([UInt8])
    /// Major type 3 (valid UTF-8).
    case text(String)
    /// Major type 4.
    case array([CBORValue])
    /// Major type 5, entries in the order they were decoded (or are to be encoded; the encoder
    /// sorts them canonically). Equality is structural, so entry order counts: compare the
    /// canonical encodings to ask whether two maps hold the same entries.
    case map([CBORMapEntry])
    /// Simple values 20 and 21.
    case bool(Bool)
    /// Simple value 22.
    case null
    /// Simple value 23.
    case undefined

    /// An integer value, from either major type 0 or 1.
    public static func int(_ value: Int) -> CBORValue {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    /// The value as an `Int` when it is an integer that fits; nil otherwise.
    public var intValue: Int? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): return n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default: return nil
        }
    }

    public var bytesValue: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var textValue: String? {
        if case .text(let t) = self { return t }
        return nil
    }

    public var arrayValue: [CBORValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var mapValue: [CBORMapEntry]? {
        if case .map(let m) = self { return m }
        return nil
    }

    /// The value under `key` when this is a map (decoded maps have unique keys).
    public subscript(key: CBORValue) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        for entry in entries where entry.key == key { return entry.value }
        return nil
    }

    public subscript(key: String) -> CBORValue? { self[.text(key)] }
    public subscript(key: Int) -> CBORValue? { self[.int(key)] }
}

extension CBORValue {
    /// The value with every map's entries in the encoder's canonical key order
    /// (``CBOREncoder``), so two maps holding the same entries compare equal, as the data model
    /// says they are (RFC 8949 §5.6). Arrays and maps are rebuilt; other values are returned as they are.
    public var canonicallyOrdered: CBORValue {
        switch self {
        case .array(let items): return .array(items.map(\.canonicallyOrdered))
        case .map(let entries):
            let ordered = entries.map { CBORMapEntry($0.key.canonicallyOrdered, $0.value.canonicallyOrdered) }
                .map { (encodedKey: CBOREncoder.encode($0.key), entry: $0) }
                .sorted { CBOREncoder.canonicalOrder($0.encodedKey, $1.encodedKey) }
            return .map(ordered.map(\.entry))
        default: return self
        }
    }
}

/// One key/value pair of a CBOR map.
public struct CBORMapEntry: Sendable, Hashable {
    public let key: CBORValue
    public let value: CBORValue

    public init(_ key: CBORValue, _ value: CBORValue) {
        self.key = key
        self.value = value
    }
}

/// Why CBOR input was refused, with the byte offset where decoding stopped.
public struct CBORError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The input ends inside a data item.
        case truncated
        /// A length or count is larger than the remaining input could hold.
        case lengthExceedsInput = "length_exceeds_input"
        /// Additional information 31 (RFC 8949 §3.2): CTAP2 canonical CBOR uses definite lengths only.
        case indefiniteLength = "indefinite_length"
        /// Additional information 28–30 (RFC 8949 §3): reserved, not well-formed.
        case reservedAdditionalInformation = "reserved_additional_information"
        /// Major type 6: WebAuthn structures carry no tags.
        case tagNotAllowed = "tag_not_allowed"
        /// Floating-point numbers and simple values other than false, true, null and undefined.
        case unsupportedSimpleValue = "unsupported_simple_value"
        /// Arrays and maps nested deeper than the decoder's limit.
        case nestingTooDeep = "nesting_too_deep"
        /// A map holds the same key twice (RFC 8949 §5.6: such a map is not valid).
        case duplicateMapKey = "duplicate_map_key"
        /// A text string is not valid UTF-8 (RFC 8949 §3.1, major type 3).
        case invalidUTF8 = "invalid_utf8"
        /// Bytes remain after the single expected data item.
        case trailingBytes = "trailing_bytes"
    }

    public let code: Code
    /// Offset into the input (from the start of the buffer given to the decoder).
    public let offset: Int

    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String { "CBOR \(code.rawValue) at byte \(offset)" }
}

/// A strict CBOR decoder (RFC 8949) for the subset WebAuthn needs. Every length is checked
/// against the remaining input before anything is allocated; 64-bit lengths are compared, never
/// added or converted unchecked; nesting is limited; duplicate map keys are refused.
public struct CBORDecoder: Sendable {
    /// The default nesting limit: attestation objects nest four deep (map → attStmt → x5c →
    /// bytes); extensions a little more.
    public static let defaultMaxDepth = 16

    public var maxDepth: Int

    public init(maxDepth: Int = CBORDecoder.defaultMaxDepth) {
        self.maxDepth = maxDepth
    }

    /// Decodes exactly one data item that must fill `bytes`; trailing bytes are an error.
    public func decode(_ bytes: [UInt8]) throws(CBORError) -> CBORValue {
        let (value, end) = try decodePrefix(bytes, from: 0)
        guard end == bytes.count else { throw CBORError(.trailingBytes, at: end) }
        return value
    }

    /// Decodes one data item starting at `start` and returns it with the offset just past it,
    /// so callers can read what follows (the COSE key inside authenticator data is followed by
    /// the extensions map, WebAuthn §6.5.1).
    public func decodePrefix(_ bytes: [UInt8], from start: Int = 0) throws(CBORError) -> (value: CBORValue, end: Int) {
        guard start >= 0, start <= bytes.count else { throw CBORError(.truncated, at: max(0, min(start, bytes.count))) }
        var reader = Reader(bytes: bytes, position: start, maxDepth: maxDepth)
        let value = try reader.item(depth: 0)
        return (value, reader.position)
    }

    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let maxDepth: Int

        var remaining: Int { bytes.count - position }

        mutating func byte() throws(CBORError) -> UInt8 {
            guard position < bytes.count else { throw CBORError(.truncated, at: position) }
            defer { position += 1 }
            return bytes[position]
        }

        /// The argument of the head (RFC 8949 §3): the value of the additional information,
        /// or the 1, 2, 4 or 8 bytes after it.
        mutating func argument(_ info: UInt8, headAt offset: Int) throws(CBORError) -> UInt64 {
            switch info {
            case 0...23: return UInt64(info)
            case 24, 25, 26, 27:
                let count = 1 << Int(info - 24)
                guard remaining >= count else { throw CBORError(.truncated, at: position) }
                var value: UInt64 = 0
                for _ in 0..<count { value = value << 8 | UInt64(bytes[position]); position += 1 }
                return value
            case 28, 29, 30: throw CBORError(.reservedAdditionalInformation, at: offset)
            default: throw CBORError(.indefiniteLength, at: offset)
            }
        }

        /// A byte or text string length as an `Int`, refused if the rest of the input is shorter.
        mutating func length(_ info: UInt8, headAt offset: Int) throws(CBORError) -> Int {
            let n = try argument(info, headAt: offset)
            guard n <= UInt64(remaining) else { throw CBORError(.lengthExceedsInput, at: offset) }
            return Int(n)
        }

        mutating func item(depth: Int) throws(CBORError) -> CBORValue {
            let offset = position
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1f
            switch major {
            case 0:
                return .unsigned(try argument(info, headAt: offset))
            case 1:
                return .negative(try argument(info, headAt: offset))
            case 2:
                let n = try length(info, headAt: offset)
                defer { position += n }
                return .bytes(Array(bytes[position..<position + n]))
            case 3:
                let n = try length(info, headAt: offset)
                guard let text = String(validating: bytes[position..<position + n], as: UTF8.self) else {
                    throw CBORError(.invalidUTF8, at: offset)
                }
                position += n
                return .text(text)
            case 4:
                // Every element takes at least one byte, so a count above the remaining bytes
                // can never be satisfied: refuse before reserving anything.
                let n = try length(info, headAt: offset)
                guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: offset) }
                var items = [CBORValue]()
                items.reserveCapacity(Swift.min(n, 64))  // bounded: nesting must not multiply reservations
                for _ in 0..<n { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let count = try argument(info, headAt: offset)
                // Each entry takes at least two bytes.
                guard count <= UInt64(remaining / 2) else { throw CBORError(.lengthExceedsInput, at: offset) }
                guard depth < maxDepth else { throw CBORError(.nestingTooDeep, at: offset) }
                let n = Int(count)
                var entries = [CBORMapEntry]()
                entries.reserveCapacity(Swift.min(n, 64))
                var seen = Set<CBORValue>()
                for _ in 0..<n {
                    let keyOffset = position
                    let key = try item(depth: depth + 1)
                    // Keys that are maps are the same key whatever their entries' order (§5.6).
                    guard seen.insert(key.canonicallyOrdered).inserted else { throw CBORError(.duplicateMapKey, at: keyOffset) }
                    entries.append(CBORMapEntry(key, try item(depth: depth + 1)))
                }
                return .map(entries)
            case 6:
                throw CBORError(.tagNotAllowed, at: offset)
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                case 23: return .undefined
                case 28, 29, 30: throw CBORError(.reservedAdditionalInformation, at: offset)
                case 31: throw CBORError(.indefiniteLength, at: offset)  // a "break" outside an indefinite item
                default: throw CBORError(.unsupportedSimpleValue, at: offset)
                }
            }
        }
    }
}

/// Encodes CBOR in the CTAP2 canonical form (CTAP 2.x §8 "Message Encoding"): shortest heads,
/// definite lengths, map keys sorted by major type, then encoded length, then bytewise.
public enum CBOREncoder {
    public static func encode(_ value: CBORValue) -> [UInt8] {
        var out = [UInt8]()
        append(value, to: &out)
        return out
    }

    private static func head(_ major: UInt8, _ argument: UInt64, to out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24: out.append(m | UInt8(argument))
        case 24...0xff: out.append(m | 24); out.append(UInt8(argument))
        case 0x100...0xffff:
            out.append(m | 25)
            for shift in stride(from: 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift))) }
        case 0x1_0000...0xffff_ffff:
            out.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift))) }
        default:
            out.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift))) }
        }
    }

    private static func append(_ value: CBORValue, to out: inout [UInt8]) {
        switch value {
        case .unsigned(let n): head(0, n, to: &out)
        case .negative(let n): head(1, n, to: &out)
        case .bytes(let b):
            head(2, UInt64(b.count), to: &out)
            out.append(contentsOf: b)
        case .text(let t):
            let utf8 = Array(t.utf8)
            head(3, UInt64(utf8.count), to: &out)
            out.append(contentsOf: utf8)
        case .array(let items):
            head(4, UInt64(items.count), to: &out)
            for item in items { append(item, to: &out) }
        case .map(let entries):
            head(5, UInt64(entries.count), to: &out)
            let encoded = entries.map { (key: encode($0.key), value: encode($0.value)) }
            for entry in encoded.sorted(by: { canonicalOrder($0.key, $1.key) }) {
                out.append(contentsOf: entry.key)
                out.append(contentsOf: entry.value)
            }
        case .bool(let b): out.append(b ? 0xf5 : 0xf4)
        case .null: out.append(0xf6)
        case .undefined: out.append(0xf7)
        }
    }

    /// CTAP2 canonical key order on encoded keys: lower major type first, then shorter, then
    /// bytewise lexical.
    static func canonicalOrder(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let ma = (a.first ?? 0) >> 5
        let mb = (b.first ?? 0) >> 5
        if ma != mb { return ma < mb }
        if a.count != b.count { return a.count < b.count }
        return a.lexicographicallyPrecedes(b)
    }
}
