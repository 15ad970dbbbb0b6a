import Foundation

/// Byte helpers shared by every layer: constant-time comparison, hex, base64url (RFC 4648 §5).
public enum Bytes {
    /// Compares two byte sequences in time that depends only on their lengths, never on where
    /// they differ. Use for every comparison involving a secret or a digest of one.
    ///
    /// The byte helpers here are inlinable so that callers in other modules get them specialised
    /// for their collection types (unspecialised, each byte went through the generic witnesses).
    @inlinable
    public static func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }

    @usableFromInline static let hexDigits = Array("0123456789abcdef".utf8)

    @inlinable
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for b in bytes {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes lower- or upper-case hex; nil on odd length or a non-hex character.
    public static func fromHex(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let h = nibble(utf8[i]), let l = nibble(utf8[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }

    @usableFromInline static let b64url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Base64url without padding (RFC 4648 §5, as JOSE and WebAuthn use it).
    @inlinable
    public static func base64URL(_ bytes: some Collection<UInt8>) -> String {
        let data = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((data.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= data.count {
            let n = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2])
            out.append(b64url[Int(n >> 18 & 63)])
            out.append(b64url[Int(n >> 12 & 63)])
            out.append(b64url[Int(n >> 6 & 63)])
            out.append(b64url[Int(n & 63)])
            i += 3
        }
        let rest = data.count - i
        if rest == 1 {
            let n = UInt32(data[i]) << 16
            out.append(b64url[Int(n >> 18 & 63)])
            out.append(b64url[Int(n >> 12 & 63)])
        } else if rest == 2 {
            let n = UInt32(data[i]) << 16 | UInt32(data[i + 1]) << 8
            out.append(b64url[Int(n >> 18 & 63)])
            out.append(b64url[Int(n >> 12 & 63)])
            out.append(b64url[Int(n >> 6 & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes standard base64 (padded, as `Data(base64Encoded:)` takes it) or else unpadded
    /// base64url: what API members carrying binary accept, since clients send either.
    public static func fromBase64OrBase64URL(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map(Array.init) ?? fromBase64URL(text)
    }

    /// Each byte's base64url value, 0xFF outside the alphabet.
    @usableFromInline static let b64urlValues: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (value, c) in b64url.enumerated() { table[Int(c)] = UInt8(value) }
        return table
    }()

    /// Decodes unpadded base64url; nil on any character outside the alphabet, on padding, or
    /// on an impossible length or non-canonical trailing bits.
    @inlinable
    public static func fromBase64URL(_ text: some StringProtocol) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ fromBase64URL(utf8: $0) }) { return decoded }
        return Array(text.utf8).withUnsafeBufferPointer { fromBase64URL(utf8: $0) }
    }

    /// One pass: four characters through the table into three bytes, written in place.
    @usableFromInline
    static func fromBase64URL(utf8 text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = text.count
        let rest = count % 4
        guard rest != 1 else { return nil }
        let outCount = count / 4 * 3 + (rest == 0 ? 0 : rest - 1)
        return b64urlValues.withUnsafeBufferPointer { table -> [UInt8]? in
            var valid = true
            let out = [UInt8](unsafeUninitializedCapacity: outCount) { out, initialized in
                var i = 0
                var o = 0
                while i + 4 <= count {
                    let a = table[Int(text[i])], b = table[Int(text[i + 1])], c = table[Int(text[i + 2])], d = table[Int(text[i + 3])]
                    guard (a | b | c | d) & 0x80 == 0 else {
                        valid = false
                        break
                    }
                    out[o] = a << 2 | b >> 4
                    out[o + 1] = b << 4 | c >> 2
                    out[o + 2] = c << 6 | d
                    i += 4
                    o += 3
                }
                if valid, rest >= 2 {
                    let a = table[Int(text[i])], b = table[Int(text[i + 1])]
                    let c = rest == 3 ? table[Int(text[i + 2])] : 0
                    // Canonical: the bits past the last whole byte are zero.
                    if (a | b | c) & 0x80 != 0 || (rest == 2 ? b & 15 : c & 3) != 0 {
                        valid = false
                    } else {
                        out[o] = a << 2 | b >> 4
                        if rest == 3 { out[o + 1] = b << 4 | c >> 2 }
                        o += rest - 1
                    }
                }
                initialized = o
            }
            return valid ? out : nil
        }
    }
}
