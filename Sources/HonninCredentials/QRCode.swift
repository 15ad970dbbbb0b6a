import Foundation

// QR Code (model 2) encoder after ISO/IEC 18004:2015, written for TOTP enrolment: the server turns the
// `otpauth://` URI into a symbol itself and renders it as SVG (pages) or as a PBM/PGM bitmap (tests, decoders).
// Dependency-free on purpose (Foundation only), so this file also compiles alone with `swiftc`.
//
// Clause references are to ISO/IEC 18004:2015 (third edition). Coordinates are (x, y) = (column, row) with
// (0, 0) the top-left module, as in the standard's figures.

/// Why a QR Code could not be made or rendered. ``code`` is stable: callers compare on it and may map it to
/// their own error type (in Honnin: `HonninError(.invalidInput, …)`).
public enum QRCodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The data needs `requiredBits` (at least: for input longer than any symbol holds, the bits of its
    /// cheapest conceivable encoding) but the largest allowed version holds `availableBits` at the requested
    /// error correction level (§7.4.10, Table 7).
    case dataTooLong(requiredBits: Int, availableBits: Int)
    /// The version range is empty or outside 1…40 (§6.3.1).
    case invalidVersionRange(minimum: Int, maximum: Int)
    /// A forced mask pattern reference outside 0…7 (§7.8.2).
    case invalidMask(Int)
    /// A renderer parameter (scale, quiet zone) outside its documented range.
    case invalidRenderParameter(String)

    public var code: String {
        switch self {
        case .dataTooLong: "qr_data_too_long"
        case .invalidVersionRange: "qr_invalid_version_range"
        case .invalidMask: "qr_invalid_mask"
        case .invalidRenderParameter: "qr_invalid_render_parameter"
        }
    }

    public var description: String {
        switch self {
        case .dataTooLong(let required, let available):
            "\(code): data needs \(required) bits, the largest allowed symbol holds \(available)"
        case .invalidVersionRange(let lo, let hi): "\(code): version range \(lo)…\(hi) is not within 1…40"
        case .invalidMask(let m): "\(code): mask \(m) is not within 0…7"
        case .invalidRenderParameter(let what): "\(code): \(what)"
        }
    }
}

/// A QR Code symbol: a square of `size` × `size` dark/light modules, without the quiet zone.
///
/// ``encode(_:level:minimumVersion:maximumVersion:mask:boostLevel:eci:)`` runs the encoding procedure of
/// ISO/IEC 18004:2015 §7.1:
/// 1. data analysis and encodation into segments of numeric, alphanumeric and byte mode (§7.4), choosing the
///    segmentation that needs the fewest bits, and the smallest version that holds it (§6.3.1, §7.4.10);
/// 2. terminator, padding bits and pad codewords (§7.4.9, §7.4.10);
/// 3. division into blocks and Reed–Solomon error correction codewords (§7.5, Table 9, Annex A);
/// 4. interleaving into the final message (§7.6);
/// 5. function patterns (§6.3.3–§6.3.6, Annex E) and codeword placement (§7.7);
/// 6. the eight data masks, each scored by the penalty rules N1–N4, the lowest kept (§7.8);
/// 7. format information (§7.9, Annex C) and version information (§7.10, Annex D).
public struct QRCode: Sendable, Hashable {
    /// Error correction level (§7.5.1): roughly 7 %, 15 %, 25 % and 30 % of codewords recoverable.
    public enum ErrorCorrectionLevel: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case low, medium, quartile, high

        /// The level's two bits in the format information (§7.9.1): L = 01, M = 00, Q = 11, H = 10.
        var formatBits: Int {
            switch self {
            case .low: 1
            case .medium: 0
            case .quartile: 3
            case .high: 2
            }
        }

        var index: Int {
            switch self {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }

        public var description: String {
            switch self {
            case .low: "L"
            case .medium: "M"
            case .quartile: "Q"
            case .high: "H"
            }
        }
    }

    /// The data modes this encoder writes (§7.4.3–§7.4.5). Kanji mode is not used: Japanese text goes in
    /// byte mode as UTF-8.
    public enum Mode: Sendable, Hashable, CustomStringConvertible {
        case numeric, alphanumeric, byte

        /// Mode indicator (§7.4.1, Table 2).
        var indicator: Int {
            switch self {
            case .numeric: 0b0001
            case .alphanumeric: 0b0010
            case .byte: 0b0100
            }
        }

        /// Bits of the character count indicator for versions 1–9, 10–26 and 27–40 (§7.4.1, Table 3).
        func countBits(_ versionClass: Int) -> Int {
            switch self {
            case .numeric: [10, 12, 14][versionClass]
            case .alphanumeric: [9, 11, 13][versionClass]
            case .byte: [8, 16, 16][versionClass]
            }
        }

        /// Bits that `count` characters take in this mode, without header (§7.4.3–§7.4.5).
        func payloadBits(_ count: Int) -> Int {
            switch self {
            case .numeric: 10 * (count / 3) + [0, 4, 7][count % 3]
            case .alphanumeric: 11 * (count / 2) + 6 * (count % 2)
            case .byte: 8 * count
            }
        }

        public var description: String {
            switch self {
            case .numeric: "numeric"
            case .alphanumeric: "alphanumeric"
            case .byte: "byte"
            }
        }
    }

    /// When to precede byte-mode data with an ECI designator for UTF-8 (ECI 000026, §7.4.2).
    ///
    /// Without an ECI the standard's default interpretation of byte mode is ISO/IEC 8859-1 and readers guess:
    /// zbar 0.23 reads short UTF-8 Japanese ("本人") as Shift_JIS unless ECI 26 is present, so UTF-8 text
    /// with non-ASCII characters gets the header by default. ASCII data (an `otpauth://` URI) never does.
    public enum ECIPolicy: Sendable, Hashable {
        /// Never write an ECI header (for readers that do not understand ECI).
        case never
        /// Write ECI 26 (UTF-8) when the data has a byte ≥ 0x80.
        case utf8WhenNonASCII
    }

    /// One run of data in a single mode, as written into the symbol.
    public struct Segment: Sendable, Hashable {
        public let mode: Mode
        /// Characters (numeric, alphanumeric) or bytes (byte mode) in the segment.
        public let count: Int
        let range: Range<Int>
    }

    public let version: Int
    public let level: ErrorCorrectionLevel
    /// The data mask pattern reference 0…7 (§7.8.2).
    public let mask: Int
    /// Modules per side: 17 + 4 × version (§6.3.1).
    public let size: Int
    public let segments: [Segment]
    /// True when an ECI 26 (UTF-8) header precedes the data.
    public let hasUTF8ECI: Bool
    /// Row-major, `true` = dark.
    let modules: [Bool]

    /// `true` when the module at column `x`, row `y` is dark; modules outside the symbol are light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// The modules as rows (`matrix[y][x]`, `true` = dark).
    public var matrix: [[Bool]] {
        (0..<size).map { y in Array(modules[(y * size)..<(y * size + size)]) }
    }

    public var darkModuleCount: Int { modules.reduce(0) { $0 + ($1 ? 1 : 0) } }

    // MARK: Encoding

    /// Encodes text as its UTF-8 bytes (an `otpauth://` URI is ASCII).
    ///
    /// - Parameters:
    ///   - level: error correction level; M by default.
    ///   - minimumVersion, maximumVersion: the smallest version in this range that holds the data is chosen.
    ///   - mask: a forced mask pattern 0…7, or `nil` to choose by the penalty rules (§7.8.3).
    ///   - boostLevel: raise the level while the data still fits the chosen version (never changes the size).
    ///   - eci: whether to declare UTF-8 with an ECI header for non-ASCII data.
    /// - Throws: ``QRCodeError/dataTooLong(requiredBits:availableBits:)`` when the data does not fit version
    ///   `maximumVersion`; ``QRCodeError/invalidVersionRange(minimum:maximum:)``, ``QRCodeError/invalidMask(_:)``.
    public static func encode(
        _ text: String, level: ErrorCorrectionLevel = .medium, minimumVersion: Int = 1, maximumVersion: Int = 40,
        mask: Int? = nil, boostLevel: Bool = false, eci: ECIPolicy = .utf8WhenNonASCII
    ) throws(QRCodeError) -> QRCode {
        try encode(
            bytes: Array(text.utf8), level: level, minimumVersion: minimumVersion, maximumVersion: maximumVersion,
            mask: mask, boostLevel: boostLevel, eci: eci)
    }

    /// Encodes arbitrary bytes. Runs of digits and of the 45 alphanumeric characters (ASCII) may go into
    /// numeric or alphanumeric segments when that is shorter; a decoder returns the same bytes either way.
    /// No ECI by default: pass `eci: .utf8WhenNonASCII` only when the bytes are UTF-8 text.
    public static func encode(
        bytes: [UInt8], level: ErrorCorrectionLevel = .medium, minimumVersion: Int = 1, maximumVersion: Int = 40,
        mask: Int? = nil, boostLevel: Bool = false, eci: ECIPolicy = .never
    ) throws(QRCodeError) -> QRCode {
        guard minimumVersion >= 1, maximumVersion <= 40, minimumVersion <= maximumVersion else {
            throw .invalidVersionRange(minimum: minimumVersion, maximum: maximumVersion)
        }
        if let mask, !(0...7).contains(mask) { throw .invalidMask(mask) }
        // No symbol holds more than 7089 characters (numeric, 40-L): reject longer input before any work
        // proportional to its length, reporting the cheapest conceivable encoding as the bits required.
        guard bytes.count <= 7089 else {
            throw .dataTooLong(
                requiredBits: 4 + 14 + Mode.numeric.payloadBits(bytes.count),
                availableBits: dataCodewords(version: maximumVersion, level: level) * 8)
        }
        let withECI = eci == .utf8WhenNonASCII && bytes.contains { $0 >= 0x80 }

        // Step 1: the cheapest segmentation per class of count-indicator lengths, then the smallest version.
        var plans: [Int: (segments: [Segment], bits: Int)] = [:]
        var chosen: (version: Int, segments: [Segment], bits: Int)?
        var lastBits = 0
        for v in minimumVersion...maximumVersion {
            let c = versionClass(v)
            let plan = plans[c] ?? {
                let p = segment(bytes, versionClass: c, eciBits: withECI ? 12 : 0)
                plans[c] = p
                return p
            }()
            lastBits = plan.bits
            if plan.bits <= dataCodewords(version: v, level: level) * 8 {
                chosen = (v, plan.segments, plan.bits)
                break
            }
        }
        guard let chosen else {
            throw .dataTooLong(requiredBits: lastBits, availableBits: dataCodewords(version: maximumVersion, level: level) * 8)
        }
        var level = level
        if boostLevel {
            for higher in ErrorCorrectionLevel.allCases where higher.index > level.index {
                if chosen.bits <= dataCodewords(version: chosen.version, level: higher) * 8 { level = higher } else { break }
            }
        }

        // Steps 2–4: the data codewords, error correction, interleaving.
        let data = dataCodewordSequence(bytes, segments: chosen.segments, version: chosen.version, level: level, eci: withECI)
        let message = finalMessage(data, version: chosen.version, level: level)

        // Steps 5–7: matrix, masks, format and version information.
        var grid = FunctionGrid(version: chosen.version)
        grid.place(message)
        let (bestMask, modules) = grid.masked(level: level, forcedMask: mask)
        return QRCode(
            version: chosen.version, level: level, mask: bestMask, size: grid.size, segments: chosen.segments,
            hasUTF8ECI: withECI, modules: modules.map { $0 != 0 })
    }

    // MARK: §7.4 Data encodation

    /// 0 for versions 1–9, 1 for 10–26, 2 for 27–40 (the three columns of Table 3).
    static func versionClass(_ version: Int) -> Int { version <= 9 ? 0 : (version <= 26 ? 1 : 2) }

    /// The value of an alphanumeric-mode character (§7.4.4, Table 5), or `nil`.
    static func alphanumericValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b) - 0x30
        case 0x41...0x5A: Int(b) - 0x41 + 10
        case 0x20: 36
        case 0x24: 37
        case 0x25: 38
        case 0x2A: 39
        case 0x2B: 40
        case 0x2D: 41
        case 0x2E: 42
        case 0x2F: 43
        case 0x3A: 44
        default: nil
        }
    }

    /// Splits `data` into mode segments with (nearly) the fewest bits, by dynamic programming over the three
    /// modes (the optimisation §7.4.7 and Annex J describe in prose):
    /// 1. cost per character in sixths of a bit: numeric 20 (10 bits / 3 digits), alphanumeric 33 (11 / 2),
    ///    byte 48; a new segment costs its mode indicator and count indicator (Table 3 for `versionClass`);
    /// 2. for each character and each mode allowed for it, keep the cheapest way to end there, either
    ///    continuing the segment of the same mode or starting a new one after the cheapest other mode;
    /// 3. walk the back-pointers from the cheapest final state; then count the exact bits (partial numeric
    ///    and alphanumeric groups are where the fractional costs of step 1 can differ by a few bits).
    static func segment(_ data: [UInt8], versionClass c: Int, eciBits: Int) -> (segments: [Segment], bits: Int) {
        let modes: [Mode] = [.numeric, .alphanumeric, .byte]
        let perChar = [20, 33, 48]
        let header = modes.map { (4 + $0.countBits(c)) * 6 }
        let n = data.count
        guard n > 0 else { return ([], eciBits) }
        let unreachable = Int.max / 4
        func allowed(_ b: UInt8, _ m: Int) -> Bool {
            switch m {
            case 0: b >= 0x30 && b <= 0x39
            case 1: alphanumericValue(b) != nil
            default: true
            }
        }
        var cost = [unreachable, unreachable, unreachable]
        var from = [Int8](repeating: -1, count: n * 3)
        for i in 0..<n {
            var next = [unreachable, unreachable, unreachable]
            for m in 0..<3 where allowed(data[i], m) {
                var best = unreachable
                var prev: Int8 = -1
                if i > 0, cost[m] < unreachable {
                    best = cost[m] + perChar[m]
                    prev = Int8(m)
                }
                var start = i == 0 ? 0 : unreachable
                var startFrom: Int8 = -1
                if i > 0 {
                    for o in 0..<3 where o != m && cost[o] < start {
                        start = cost[o]
                        startFrom = Int8(o)
                    }
                }
                if start < unreachable, start + header[m] + perChar[m] < best {
                    best = start + header[m] + perChar[m]
                    prev = startFrom
                }
                next[m] = best
                from[i * 3 + m] = prev
            }
            cost = next
        }
        var m = 0
        for k in 1..<3 where cost[k] < cost[m] { m = k }
        var result: [Segment] = []
        var end = n
        var i = n - 1
        while i >= 0 {
            let p = Int(from[i * 3 + m])
            if p != m {
                result.append(Segment(mode: modes[m], count: end - i, range: i..<end))
                end = i
                if p < 0 { break }
                m = p
            }
            i -= 1
        }
        result.reverse()
        // Split a segment whose count would overflow its count indicator (cannot happen within the capacity of
        // the versions of a class, but the bit count must stay exact whatever the input).
        var split: [Segment] = []
        for s in result {
            let limit = (1 << s.mode.countBits(c)) - 1
            var lo = s.range.lowerBound
            while lo < s.range.upperBound {
                let hi = min(lo + limit, s.range.upperBound)
                split.append(Segment(mode: s.mode, count: hi - lo, range: lo..<hi))
                lo = hi
            }
        }
        let bits = split.reduce(eciBits) { $0 + 4 + $1.mode.countBits(c) + $1.mode.payloadBits($1.count) }
        return (split, bits)
    }

    /// A big-endian bit writer.
    struct BitWriter {
        var bytes: [UInt8] = []
        var count = 0
        mutating func append(_ value: Int, bits: Int) {
            var i = bits - 1
            while i >= 0 {
                if count % 8 == 0 { bytes.append(0) }
                if (value >> i) & 1 == 1 { bytes[count / 8] |= UInt8(0x80 >> (count % 8)) }
                count += 1
                i -= 1
            }
        }
    }

    /// The data codewords (§7.4):
    /// 1. an ECI header 0111 + designator 26 (`00011010`) when requested (§7.4.2);
    /// 2. each segment: mode indicator, character count, data — numeric in groups of three digits as 10 bits
    ///    (two: 7, one: 4) (§7.4.3); alphanumeric in pairs 45 × a + b as 11 bits (one: 6) (§7.4.4); bytes as
    ///    8 bits (§7.4.5);
    /// 3. the terminator 0000, shortened if the symbol is full (§7.4.9);
    /// 4. zero bits to the next codeword boundary, then the pad codewords 11101100 and 00010001 alternately
    ///    until the data capacity of the version and level is reached (§7.4.10).
    static func dataCodewordSequence(
        _ data: [UInt8], segments: [Segment], version: Int, level: ErrorCorrectionLevel, eci: Bool
    ) -> [UInt8] {
        let c = versionClass(version)
        var w = BitWriter()
        if eci {
            w.append(0b0111, bits: 4)
            w.append(26, bits: 8)
        }
        for s in segments {
            w.append(s.mode.indicator, bits: 4)
            w.append(s.count, bits: s.mode.countBits(c))
            let chunk = data[s.range]
            switch s.mode {
            case .numeric:
                var value = 0
                var digits = 0
                for b in chunk {
                    value = value * 10 + Int(b) - 0x30
                    digits += 1
                    if digits == 3 {
                        w.append(value, bits: 10)
                        value = 0
                        digits = 0
                    }
                }
                if digits > 0 { w.append(value, bits: digits == 2 ? 7 : 4) }
            case .alphanumeric:
                var pending: Int?
                for b in chunk {
                    let v = alphanumericValue(b) ?? 0
                    if let p = pending {
                        w.append(p * 45 + v, bits: 11)
                        pending = nil
                    } else {
                        pending = v
                    }
                }
                if let p = pending { w.append(p, bits: 6) }
            case .byte:
                for b in chunk { w.append(Int(b), bits: 8) }
            }
        }
        let capacity = dataCodewords(version: version, level: level) * 8
        w.append(0, bits: min(4, capacity - w.count))
        if w.count % 8 != 0 { w.append(0, bits: 8 - w.count % 8) }
        var pad = 0xEC
        while w.bytes.count < capacity / 8 {
            w.bytes.append(UInt8(pad))
            pad ^= 0xEC ^ 0x11
        }
        return w.bytes
    }

    // MARK: §7.5 Error correction, §7.6 final message

    /// Error correction codewords per block, by level (L, M, Q, H) and version 1…40 (Table 9).
    static let eccPerBlock: [[Int]] = [
        [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
         28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
         26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
        [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
         28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
        [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
         30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
    ]

    /// Error correction blocks, by level (L, M, Q, H) and version 1…40 (Table 9).
    static let blockCount: [[Int]] = [
        [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
         8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25],
        [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
         17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
        [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
         23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
        [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
         25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81],
    ]

    /// Modules left for codewords (and remainder bits) in each version, counted by drawing the function
    /// patterns and reserved areas rather than taken from a table; index 0 is version 1.
    static let dataModules: [Int] = (1...40).map { v in FunctionGrid(version: v).isFunction.reduce(0) { $0 + ($1 ? 0 : 1) } }

    /// All codewords of a version (Table 1, "number of codewords").
    static func totalCodewords(version: Int) -> Int { dataModules[version - 1] / 8 }

    /// Remainder bits after the last codeword (Table 1).
    static func remainderBits(version: Int) -> Int { dataModules[version - 1] % 8 }

    /// Data codewords of a version at a level (Table 7).
    static func dataCodewords(version: Int, level: ErrorCorrectionLevel) -> Int {
        totalCodewords(version: version)
            - blockCount[level.index][version - 1] * eccPerBlock[level.index][version - 1]
    }

    /// Arithmetic in GF(2⁸) with the field's prime polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D) (§7.5.2).
    enum GF256 {
        static let exp: [UInt8] = {
            var t = [UInt8](repeating: 0, count: 512)
            var x = 1
            for i in 0..<255 {
                t[i] = UInt8(x)
                x <<= 1
                if x & 0x100 != 0 { x ^= 0x11D }
            }
            for i in 255..<512 { t[i] = t[i - 255] }
            return t
        }()
        static let log: [Int] = {
            var t = [Int](repeating: 0, count: 256)
            for i in 0..<255 { t[Int(exp[i])] = i }
            return t
        }()
        static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            if a == 0 || b == 0 { return 0 }
            return exp[log[Int(a)] + log[Int(b)]]
        }
    }

    /// The generator polynomial of degree `n`, g(x) = (x − α⁰)(x − α¹)…(x − αⁿ⁻¹), coefficients from the
    /// highest power down, the first being 1 (§7.5.2, Annex A lists them as powers of α).
    static func generator(degree n: Int) -> [UInt8] {
        var g: [UInt8] = [1]
        for i in 0..<n {
            let root = GF256.exp[i]
            var next = g + [0]
            for k in 1..<next.count { next[k] ^= GF256.multiply(g[k - 1], root) }
            g = next
        }
        return g
    }

    /// The error correction codewords of one block: the remainder of data(x) · xⁿ divided by g(x) (§7.5.2).
    static func errorCorrection(_ data: ArraySlice<UInt8>, generator g: [UInt8]) -> [UInt8] {
        let n = g.count - 1
        var r = [UInt8](repeating: 0, count: n)
        for d in data {
            let factor = d ^ r[0]
            for j in 0..<(n - 1) { r[j] = r[j + 1] }
            r[n - 1] = 0
            if factor != 0 {
                for j in 0..<n { r[j] ^= GF256.multiply(g[j + 1], factor) }
            }
        }
        return r
    }

    /// The final message (§7.6):
    /// 1. divide the data codewords into the blocks of Table 9, the shorter blocks first (blocks of the
    ///    second group hold one data codeword more);
    /// 2. compute each block's error correction codewords (§7.5.2);
    /// 3. interleave: the first data codeword of every block, then the second, …, skipping the short blocks
    ///    at the last position; then the error correction codewords the same way.
    /// Remainder bits (Table 1) are the zero bits left unset by placement.
    static func finalMessage(_ data: [UInt8], version: Int, level: ErrorCorrectionLevel) -> [UInt8] {
        let blocks = blockCount[level.index][version - 1]
        let ecc = eccPerBlock[level.index][version - 1]
        let total = totalCodewords(version: version)
        let shortBlocks = blocks - total % blocks
        let shortData = total / blocks - ecc
        let g = generator(degree: ecc)
        var dataBlocks: [ArraySlice<UInt8>] = []
        var eccBlocks: [[UInt8]] = []
        var offset = 0
        for b in 0..<blocks {
            let length = shortData + (b < shortBlocks ? 0 : 1)
            let slice = data[offset..<(offset + length)]
            dataBlocks.append(slice)
            eccBlocks.append(errorCorrection(slice, generator: g))
            offset += length
        }
        var out: [UInt8] = []
        out.reserveCapacity(total)
        for i in 0...shortData {
            for block in dataBlocks where i < block.count { out.append(block[block.startIndex + i]) }
        }
        for i in 0..<ecc {
            for block in eccBlocks { out.append(block[i]) }
        }
        return out
    }

    // MARK: §7.9 format information, §7.10 version information

    /// The 15-bit format information for a level and mask: the 5 data bits, the 10 bits of the BCH(15,5)
    /// code with generator x¹⁰ + x⁸ + x⁵ + x⁴ + x² + x + 1 (0x537), XOR 101010000010010 (0x5412) (§7.9.1,
    /// Annex C).
    static func formatBits(level: ErrorCorrectionLevel, mask: Int) -> Int {
        let data = level.formatBits << 3 | mask
        return (data << 10 | bchRemainder(data << 10, generator: 0x537, degree: 10)) ^ 0x5412
    }

    /// The 18-bit version information: 6 bits of version and the 12 bits of the BCH(18,6) code with
    /// generator x¹² + x¹¹ + x¹⁰ + x⁹ + x⁸ + x⁵ + x² + 1 (0x1F25) (§7.10, Annex D).
    static func versionBits(_ version: Int) -> Int {
        version << 12 | bchRemainder(version << 12, generator: 0x1F25, degree: 12)
    }

    static func bchRemainder(_ value: Int, generator: Int, degree: Int) -> Int {
        var r = value
        var bit = 30
        while bit >= degree {
            if (r >> bit) & 1 == 1 { r ^= generator << (bit - degree) }
            bit -= 1
        }
        return r
    }

    // MARK: §6.3 symbol structure

    /// Alignment pattern centre coordinates (rows and columns alike) for versions 2…40 (Annex E, Table E.1);
    /// index 0 is version 2.
    static let alignmentTable: [[Int]] = [
        [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],
        [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82], [6, 30, 58, 86],
        [6, 34, 62, 90],
        [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106],
        [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118],
        [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130],
        [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142],
        [6, 34, 62, 90, 118, 146],
        [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158],
        [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],
    ]

    static func alignmentCentres(version: Int) -> [Int] { version >= 2 ? alignmentTable[version - 2] : [] }

    /// The module matrix of one version with its function patterns drawn and the format and version areas
    /// reserved (§6.3); data placement and masking work on it.
    struct FunctionGrid {
        let version: Int
        let size: Int
        /// 1 = dark.
        var dark: [UInt8]
        var isFunction: [Bool]

        /// 1. the three finder patterns, each 7 × 7 (3 × 3 dark centre, light ring, dark ring), with their
        ///    light separators (§6.3.3, §6.3.4);
        /// 2. the timing patterns along row 6 and column 6, dark on even coordinates (§6.3.5);
        /// 3. the 5 × 5 alignment patterns at every pair of Table E.1 centres except the three that overlap
        ///    a finder pattern (§6.3.6);
        /// 4. the format information areas beside the finders, reserved, and the dark module at (8, 4V + 9)
        ///    (§7.9.1);
        /// 5. for versions ≥ 7, the two 6 × 3 version information blocks, drawn at once (§7.10).
        init(version: Int) {
            self.version = version
            size = 17 + 4 * version
            dark = [UInt8](repeating: 0, count: size * size)
            isFunction = [Bool](repeating: false, count: size * size)
            for (fx, fy) in [(0, 0), (size - 7, 0), (0, size - 7)] {
                for dy in -1...7 {
                    for dx in -1...7 {
                        let d = max(abs(dx - 3), abs(dy - 3))
                        set(fx + dx, fy + dy, d != 2 && d != 4)
                    }
                }
            }
            for i in 8..<(size - 8) {
                set(i, 6, i % 2 == 0)
                set(6, i, i % 2 == 0)
            }
            let centres = QRCode.alignmentCentres(version: version)
            if let first = centres.first, let last = centres.last {
                for cy in centres {
                    for cx in centres {
                        if (cx == first && cy == first) || (cx == first && cy == last) || (cx == last && cy == first) {
                            continue
                        }
                        for dy in -2...2 {
                            for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
                        }
                    }
                }
            }
            drawFormat(0)
            set(8, size - 8, true)
            if version >= 7 {
                let bits = QRCode.versionBits(version)
                for i in 0..<18 {
                    let on = (bits >> i) & 1 == 1
                    set(size - 11 + i % 3, i / 3, on)
                    set(i / 3, size - 11 + i % 3, on)
                }
            }
        }

        /// Sets a module inside the symbol and marks it as function; positions outside are ignored (the
        /// separators of the finders run off the edge).
        mutating func set(_ x: Int, _ y: Int, _ isDark: Bool) {
            guard x >= 0, y >= 0, x < size, y < size else { return }
            dark[y * size + x] = isDark ? 1 : 0
            isFunction[y * size + x] = true
        }

        /// Writes the 15 format bits (bit 14 first in reading order) into both copies (§7.9.1, Figure 25):
        /// bits 0–5 down column 8 (rows 0–5), 6 at row 7, 7 at (8, 8), 8 at (7, 8), 9–14 leftwards along row 8
        /// (columns 5…0); and bits 0–7 leftwards along row 8 from the right edge, 8–14 down column 8 from row
        /// size − 7.
        mutating func drawFormat(_ bits: Int) {
            for i in 0..<15 {
                let on = (bits >> i) & 1 == 1
                switch i {
                case 0..<6: set(8, i, on)
                case 6: set(8, 7, on)
                case 7: set(8, 8, on)
                case 8: set(7, 8, on)
                default: set(14 - i, 8, on)
                }
                if i < 8 { set(size - 1 - i, 8, on) } else { set(8, size - 15 + i, on) }
            }
        }

        /// Places the message bits (§7.7.3): two-module-wide columns from the right edge, alternately upwards
        /// and downwards, the right module before the left, skipping function modules and column 6 (the
        /// vertical timing pattern); modules left over hold the remainder bits, which are 0.
        mutating func place(_ codewords: [UInt8]) {
            let totalBits = codewords.count * 8
            var bit = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upwards = (right + 1) & 2 == 0
                for step in 0..<size {
                    let y = upwards ? size - 1 - step : step
                    for x in [right, right - 1] where !isFunction[y * size + x] {
                        if bit < totalBits {
                            dark[y * size + x] = (codewords[bit >> 3] >> (7 - UInt8(bit & 7))) & 1
                            bit += 1
                        }
                    }
                }
                right -= 2
            }
        }

        /// Whether mask pattern `m` inverts the module at row i, column j (§7.8.2, Table 10).
        static func maskInverts(_ m: Int, i: Int, j: Int) -> Bool {
            switch m {
            case 0: (i + j) % 2 == 0
            case 1: i % 2 == 0
            case 2: j % 3 == 0
            case 3: (i + j) % 3 == 0
            case 4: (i / 2 + j / 3) % 2 == 0
            case 5: (i * j) % 2 + (i * j) % 3 == 0
            case 6: ((i * j) % 2 + (i * j) % 3) % 2 == 0
            default: ((i + j) % 2 + (i * j) % 3) % 2 == 0
            }
        }

        /// §7.8: for each mask pattern (or only the forced one)
        /// 1. XOR the pattern onto the non-function modules;
        /// 2. write that mask's format information;
        /// 3. score the whole symbol with ``penalty(_:size:)``;
        /// and keep the lowest score (the lower reference on ties).
        func masked(level: ErrorCorrectionLevel, forcedMask: Int?) -> (mask: Int, modules: [UInt8]) {
            var best: (mask: Int, modules: [UInt8], score: Int)?
            for m in forcedMask.map({ [$0] }) ?? Array(0...7) {
                var g = self
                for y in 0..<size {
                    for x in 0..<size where !isFunction[y * size + x] && FunctionGrid.maskInverts(m, i: y, j: x) {
                        g.dark[y * size + x] ^= 1
                    }
                }
                g.drawFormat(QRCode.formatBits(level: level, mask: m))
                let score = forcedMask == nil ? QRCode.penalty(g.dark, size: size) : 0
                if let current = best, current.score <= score { continue }
                best = (m, g.dark, score)
            }
            guard let best else { return (0, dark) }
            return (best.mask, best.modules)
        }
    }

    /// The penalty score of a masked symbol (§7.8.3.1, Table 11), `modules` row-major with 1 = dark:
    /// - N1: each row or column run of 5 + i modules of one colour scores 3 + i;
    /// - N2: each 2 × 2 block of one colour scores 3 (an m × n block so scores 3 (m − 1)(n − 1));
    /// - N3: each dark–light–dark–dark–dark–light–dark (1:1:3:1:1) run in a row or column with four light
    ///   modules on at least one side scores 40 (the light quiet zone counts beyond the edge);
    /// - N4: k × 10 where the dark share deviates from 50 % by at least 5 k % and less than 5 (k + 1) %.
    static func penalty(_ modules: [UInt8], size n: Int) -> Int {
        var score = 0
        // One row or column at a time, with four light modules of quiet zone on either side.
        var line = [UInt8](repeating: 0, count: n + 8)
        for index in 0..<n {
            for horizontal in [true, false] {
                if horizontal {
                    for k in 0..<n { line[k + 4] = modules[index * n + k] }
                } else {
                    for k in 0..<n { line[k + 4] = modules[k * n + index] }
                }
                var run = 1
                for k in 5..<(n + 4) {
                    if line[k] == line[k - 1] {
                        run += 1
                    } else {
                        if run >= 5 { score += run - 2 }
                        run = 1
                    }
                }
                if run >= 5 { score += run - 2 }
                for k in 4...(n - 3) where line[k] == 1 && line[k + 2] == 1 && line[k + 3] == 1 && line[k + 4] == 1 {
                    guard line[k + 1] == 0, line[k + 5] == 0, line[k + 6] == 1 else { continue }
                    let before = line[k - 1] | line[k - 2] | line[k - 3] | line[k - 4]
                    let after = line[k + 7] | line[k + 8] | line[k + 9] | line[k + 10]
                    if before == 0 || after == 0 { score += 40 }
                }
            }
        }
        var darkCount = 0
        for y in 0..<n {
            let row = y * n
            for x in 0..<n {
                let c = modules[row + x]
                darkCount += Int(c)
                if x + 1 < n, y + 1 < n, c == modules[row + x + 1], c == modules[row + n + x], c == modules[row + n + x + 1] {
                    score += 3
                }
            }
        }
        score += 10 * (abs(20 * darkCount - 10 * n * n) / (n * n))
        return score
    }

    // MARK: Rendering

    static func checkRender(scale: Int, quietZone: Int) throws(QRCodeError) {
        guard (1...64).contains(scale) else { throw .invalidRenderParameter("scale \(scale) is not within 1…64") }
        guard (0...64).contains(quietZone) else {
            throw .invalidRenderParameter("quiet zone \(quietZone) is not within 0…64")
        }
    }

    /// An SVG image: a light background and one `<path>` made of a unit square per dark module, in module
    /// units (`viewBox`), with a quiet zone of `quietZone` modules (4 is the minimum §6.3.8 asks for), crisp
    /// edges, `role="img"` and the caller's `<title>` (XML-escaped). No script, no external reference; the
    /// image scales to the box it is placed in.
    public func svg(title: String, quietZone: Int = 4) throws(QRCodeError) -> String {
        try Self.checkRender(scale: 1, quietZone: quietZone)
        let side = size + 2 * quietZone
        var d = ""
        d.reserveCapacity(modules.count * 8)
        for y in 0..<size {
            for x in 0..<size where modules[y * size + x] {
                d += "M\(x + quietZone) \(y + quietZone)h1v1h-1z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" role="img" \
            shape-rendering="crispEdges"><title>\(Self.escapeXML(title))</title>\
            <rect width="\(side)" height="\(side)" fill="#ffffff"/><path fill="#000000" d="\(d)"/></svg>
            """
    }

    static func escapeXML(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Characters XML 1.0 does not allow are dropped rather than written.
            case "\u{9}", "\u{A}", "\u{D}": out.unicodeScalars.append(ch)
            default: if ch.value >= 0x20, ch.value != 0xFFFE, ch.value != 0xFFFF { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// A binary PBM (`P4`) bitmap, 1 = black: each module `scale` × `scale` pixels, `quietZone` light modules
    /// around.
    public func pbm(scale: Int = 4, quietZone: Int = 4) throws(QRCodeError) -> [UInt8] {
        try Self.checkRender(scale: scale, quietZone: quietZone)
        let side = (size + 2 * quietZone) * scale
        let rowBytes = (side + 7) / 8
        var out = Array("P4\n\(side) \(side)\n".utf8)
        out.reserveCapacity(out.count + rowBytes * side)
        for py in 0..<side {
            var row = [UInt8](repeating: 0, count: rowBytes)
            let y = py / scale - quietZone
            for px in 0..<side where isDark(x: px / scale - quietZone, y: y) {
                row[px / 8] |= UInt8(0x80 >> (px % 8))
            }
            out += row
        }
        return out
    }

    /// A binary 8-bit PGM (`P5`) image, 0 = black, 255 = white, scaled and framed as ``pbm(scale:quietZone:)``.
    public func pgm(scale: Int = 4, quietZone: Int = 4) throws(QRCodeError) -> [UInt8] {
        try Self.checkRender(scale: scale, quietZone: quietZone)
        let side = (size + 2 * quietZone) * scale
        var out = Array("P5\n\(side) \(side)\n255\n".utf8)
        out.reserveCapacity(out.count + side * side)
        for py in 0..<side {
            let y = py / scale - quietZone
            for px in 0..<side { out.append(isDark(x: px / scale - quietZone, y: y) ? 0 : 255) }
        }
        return out
    }
}
