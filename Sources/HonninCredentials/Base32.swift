/// Base32 with the standard alphabet of RFC 4648 §6 (`A`–`Z`, `2`–`7`), the encoding of
/// one-time-password secrets in `otpauth:` URIs and of secrets that users type by hand.
public enum Base32 {
    /// Why a text is not Base32.
    public enum DecodingError: Error, Sendable, Equatable {
        /// A character outside the alphabet (after case folding), at this UTF-8 offset.
        case invalidCharacter(offset: Int)
        /// The number of symbols cannot come from whole bytes (RFC 4648 §6: a final quantum
        /// has 2, 4, 5 or 7 symbols), or the padding does not complete a group of eight.
        case invalidLength
        /// The unused low bits of the last symbol are not zero (RFC 4648 §3.5): another text
        /// would encode the same bytes, so this one is refused.
        case nonCanonical

        /// A stable code for logs and API problems.
        public var code: String {
            switch self {
            case .invalidCharacter: "base32_invalid_character"
            case .invalidLength: "base32_invalid_length"
            case .nonCanonical: "base32_non_canonical"
            }
        }
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes `bytes` (RFC 4648 §6):
    /// 1. take the input 5 bytes (40 bits) at a time;
    /// 2. write each group of 5 bits, most significant first, as one symbol;
    /// 3. a final partial group is filled with zero bits to a whole symbol; with `padding`,
    ///    `=` then fills the output to a multiple of 8 symbols (`otpauth:` URIs omit it).
    public static func encode(_ bytes: some Collection<UInt8>, padding: Bool = false) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 8 + 4) / 5 + 6)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        if padding {
            while out.count % 8 != 0 { out.append(UInt8(ascii: "=")) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes Base32 (RFC 4648 §6), upper or lower case, with or without `=` padding:
    /// 1. strip trailing `=`; if any, the padded length must be a multiple of 8 and the
    ///    padding no longer than the final quantum needs;
    /// 2. map every remaining character to its 5-bit value; anything else is refused;
    /// 3. the symbol count modulo 8 must be 0, 2, 4, 5 or 7;
    /// 4. concatenate the bits, emit whole bytes; the left-over bits must be zero.
    public static func decode(_ text: some StringProtocol) throws(DecodingError) -> [UInt8] {
        let utf8 = Array(text.utf8)
        var end = utf8.count
        while end > 0, utf8[end - 1] == UInt8(ascii: "=") { end -= 1 }
        let padCount = utf8.count - end
        if padCount > 0 {
            // 1 byte → 2 symbols + 6 '=', 2 → 4 + 4, 3 → 5 + 3, 4 → 7 + 1.
            guard utf8.count % 8 == 0, [1, 3, 4, 6].contains(padCount) else { throw .invalidLength }
        }
        var out = [UInt8]()
        out.reserveCapacity(end * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for index in 0..<end {
            let c = utf8[index]
            let value: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = c - UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = c - UInt8(ascii: "2") + 26
            default: throw .invalidCharacter(offset: index)
            }
            buffer = (buffer << 5) | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard [0, 2, 4, 5, 7].contains(end % 8) else { throw .invalidLength }
        if padCount > 0, (end % 8) + padCount != 8 { throw .invalidLength }
        guard buffer == 0 else { throw .nonCanonical }
        return out
    }
}
