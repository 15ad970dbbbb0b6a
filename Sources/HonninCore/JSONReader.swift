/// Why ``JSONReader`` refused a JSON text: a stable code, the byte offset (from the start of the
/// bytes given to the reader) where the problem was found, and an operator-facing detail.
/// Equality compares the code and the offset.
public struct JSONReaderError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// Not JSON text per the RFC 8259 grammar: an unexpected byte or end of input (such as
        /// an unterminated string), a trailing comma, a leading zero, `NaN`/`Infinity`,
        /// whitespace other than §2's four bytes, or bytes after the value.
        case malformed
        /// A string (§7) holds an unescaped control character, an unknown escape, a `\u` escape
        /// without four hex digits, or a `\u` escape of a lone surrogate.
        case invalidString = "invalid_string"
        /// Bytes that are not well-formed UTF-8 (§8.1; RFC 3629 §4): overlong forms, encoded
        /// surrogates, scalars above U+10FFFF, stray or missing continuation bytes.
        case invalidUTF8 = "invalid_utf8"
        /// A number (§6) whose magnitude does not fit a finite `Double` (§9 lets a parser limit
        /// the range).
        case numberOutOfRange = "number_out_of_range"
        /// Arrays and objects nested deeper than the reader's `maxDepth` (§9).
        case depth
        /// An object names a member twice (§4 leaves the outcome to the parser; we refuse it, so
        /// that two readers of the same bytes can never see different values).
        case duplicateMember = "duplicate_member"
    }

    public let code: Code
    /// Byte offset into the input where the problem was found.
    public let offset: Int
    /// Operator detail; never contains the input's text.
    public let detail: String

    public init(_ code: Code, offset: Int, _ detail: String) {
        self.code = code
        self.offset = offset
        self.detail = detail
    }

    public var description: String { "\(code.rawValue) at byte \(offset): \(detail)" }
    public static func == (a: JSONReaderError, b: JSONReaderError) -> Bool { a.code == b.code && a.offset == b.offset }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(offset)
    }
}

/// A strict reader of JSON text (RFC 8259) from UTF-8 bytes into ``JSONValue``.
///
/// Where RFC 8259 leaves a choice to the parser, this one takes the strict side:
/// - the text is UTF-8 without a byte order mark (§8.1; a caller that accepts a BOM strips it);
/// - whitespace is only space, tab, line feed and carriage return (§2);
/// - numbers follow §6 exactly (no leading zeros, no `+`, no bare `.`, no `NaN`/`Infinity`) and
///   must fit a finite `Double`; each is rounded correctly to the nearest `Double`;
/// - strings (§7) carry no unescaped U+0000–U+001F, only the eight escapes of §7, and `\u`
///   escapes of surrogates only as a high–low pair;
/// - an object's member names are unique (§4). Names are compared as Swift strings, that is up
///   to Unicode canonical equivalence, the same equality ``JSONValue/object(_:)`` keys have, so
///   two names that one dictionary could not hold apart are refused too;
/// - arrays and objects nest at most `maxDepth` deep (§9); the top-level value may be any value
///   (§2), and nothing but whitespace may follow it.
///
/// Every malformed input ends in a ``JSONReaderError``, never a trap: all indices are checked and
/// no arithmetic on input-derived values can overflow.
public struct JSONReader: Sendable {
    /// The default nesting limit for arrays and objects.
    public static let defaultMaxDepth = 64

    /// How many arrays and objects may enclose one another; 0 allows only a scalar. Nesting is
    /// read without recursion, but Swift releases a nested ``JSONValue`` recursively, so a limit
    /// of thousands lets input build values whose release can exhaust a thread's stack: keep it
    /// in the hundreds at most.
    public let maxDepth: Int

    /// A negative `maxDepth` counts as 0.
    public init(maxDepth: Int = JSONReader.defaultMaxDepth) {
        self.maxDepth = max(maxDepth, 0)
    }

    /// Parses one JSON text (RFC 8259 §2: `ws value ws`).
    public func parse(_ bytes: [UInt8]) throws(JSONReaderError) -> JSONValue {
        try parse(bytes[...])
    }

    /// Parses one JSON text; error offsets count from `bytes.startIndex`.
    ///
    /// 1. Skip whitespace.
    /// 2. Read one value (objects, arrays, strings, numbers, literals), arrays and objects
    ///    nested at most `maxDepth` deep.
    /// 3. Skip whitespace; any byte left over is refused.
    public func parse(_ bytes: ArraySlice<UInt8>) throws(JSONReaderError) -> JSONValue {
        var cursor = JSONCursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        let value = try cursor.value()
        cursor.skipWhitespace()
        guard cursor.atEnd else { throw cursor.fail(.malformed, "bytes after the JSON value") }
        return value
    }
}

/// ASCII bytes the grammar names.
private enum Byte {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    static let dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0")
    static let nine = UInt8(ascii: "9")
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let lineFeed = UInt8(ascii: "\n")
    static let carriageReturn = UInt8(ascii: "\r")
}

/// Exact powers of ten for the fast number path (10^22 is the largest exact in a `Double`).
private let exactPowersOfTen: [Double] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]

/// The reading position over the input; one per ``JSONReader/parse(_:)-(ArraySlice<UInt8>)`` call.
private struct JSONCursor {
    let bytes: ArraySlice<UInt8>
    let maxDepth: Int
    var index: Int

    init(bytes: ArraySlice<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        index = bytes.startIndex
    }

    var atEnd: Bool { index >= bytes.endIndex }

    func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    func fail(_ code: JSONReaderError.Code, _ detail: String, at position: Int? = nil) -> JSONReaderError {
        JSONReaderError(code, offset: (position ?? index) - bytes.startIndex, detail)
    }

    /// RFC 8259 §2: `ws = *( %x20 / %x09 / %x0A / %x0D )`.
    mutating func skipWhitespace() {
        while index < bytes.endIndex {
            switch bytes[index] {
            case Byte.space, Byte.tab, Byte.lineFeed, Byte.carriageReturn: index += 1
            default: return
            }
        }
    }

    /// An array or object being read: where its elements begin on the element stack and, for an
    /// object, the name (and its offset) of the member whose value is being read.
    struct OpenContainer {
        let isObject: Bool
        let start: Int
        var name = ""
        var nameOffset = 0
    }

    /// A finished element of an open container (for an array, `name` is unused).
    struct Element {
        let name: String
        let nameOffset: Int
        let value: JSONValue
    }

    /// One value (§3) with everything nested in it, read without recursion: open arrays and
    /// objects wait on a stack, their finished elements on another, so nesting costs heap, not
    /// call stack, and is bounded by `maxDepth`.
    ///
    /// 1. Read a value. `[` or `{` opens a container (refused past `maxDepth`, also when empty);
    ///    an object's first member name and `:` are read at once. An empty container is a value.
    /// 2. With a value in hand and a container open, the value becomes its next element; then a
    ///    comma asks for another element (for an object, its name and `:` first; so no trailing
    ///    comma), and the container's closing bracket closes it, making it the value in hand
    ///    (repeat 2). Anything else is refused.
    /// 3. With a value in hand and no container open, it is the result.
    mutating func value() throws(JSONReaderError) -> JSONValue {
        var open: [OpenContainer] = []
        var elements: [Element] = []
        while true {
            var value: JSONValue
            guard let byte = peek() else { throw fail(.malformed, "end of input where a value was expected") }
            switch byte {
            case Byte.openBrace, Byte.openBracket:
                guard open.count < maxDepth else { throw fail(.depth, "objects and arrays nested deeper than \(maxDepth)") }
                let isObject = byte == Byte.openBrace
                index += 1
                skipWhitespace()
                if peek() == (isObject ? Byte.closeBrace : Byte.closeBracket) {
                    index += 1
                    value = isObject ? .object([:]) : .array([])
                } else {
                    if open.capacity == 0 {  // sized once for typical documents, such as clientDataJSON
                        open.reserveCapacity(8)
                        elements.reserveCapacity(16)
                    }
                    var container = OpenContainer(isObject: isObject, start: elements.count)
                    if isObject { (container.name, container.nameOffset) = try memberName() }
                    open.append(container)
                    continue
                }
            case Byte.quote: value = .string(try string())
            case UInt8(ascii: "t"):
                try literal("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try literal("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try literal("null")
                value = .null
            case Byte.minus, Byte.zero...Byte.nine: value = .number(try number())
            default: throw fail(.malformed, "unexpected byte where a value was expected")
            }
            while let container = open.last {
                elements.append(Element(name: container.name, nameOffset: container.nameOffset, value: value))
                skipWhitespace()
                let next = peek()
                if next == Byte.comma {
                    index += 1
                    skipWhitespace()
                    if container.isObject { (open[open.count - 1].name, open[open.count - 1].nameOffset) = try memberName() }
                    break
                }
                guard next == (container.isObject ? Byte.closeBrace : Byte.closeBracket) else {
                    throw fail(.malformed, container.isObject ? "',' or '}' was expected in an object" : "',' or ']' was expected in an array")
                }
                index += 1
                open.removeLast()
                value = try container.isObject ? object(elements[container.start...]) : .array(elements[container.start...].map(\.value))
                elements.removeSubrange(container.start...)
            }
            if open.isEmpty { return value }
        }
    }

    /// §4: a member name and the `:` after it, with the whitespace around them.
    mutating func memberName() throws(JSONReaderError) -> (name: String, offset: Int) {
        guard peek() == Byte.quote else { throw fail(.malformed, "a member name was expected") }
        let offset = index
        let name = try string()
        skipWhitespace()
        guard peek() == Byte.colon else { throw fail(.malformed, "':' was expected after a member name") }
        index += 1
        skipWhitespace()
        return (name, offset)
    }

    /// §4: the members of a closed object into a dictionary sized once; a name met before in the
    /// same object is refused (`duplicate_member`, at the later name).
    func object(_ members: ArraySlice<Element>) throws(JSONReaderError) -> JSONValue {
        var object = [String: JSONValue](minimumCapacity: members.count)
        for member in members where object.updateValue(member.value, forKey: member.name) != nil {
            throw fail(.duplicateMember, "an object names the same member twice", at: member.nameOffset)
        }
        return .object(object)
    }

    /// §3: the three literal names, lowercase, in full.
    mutating func literal(_ name: String) throws(JSONReaderError) {
        let start = index
        for byte in name.utf8 {
            guard let actual = peek(), actual == byte else { throw fail(.malformed, "misspelt literal", at: start) }
            index += 1
        }
    }

    /// §7: a string, from its opening quotation mark.
    ///
    /// 1. Scan unescaped bytes: a control character (below U+0020) is refused, bytes from 0x80
    ///    must form well-formed UTF-8 (RFC 3629 §4).
    /// 2. On the closing quotation mark with no escape seen, the scanned bytes are the string.
    /// 3. On a reverse solidus, continue in ``escapedString(contentStart:)``, which builds the
    ///    string in a buffer.
    mutating func string() throws(JSONReaderError) -> String {
        let opening = index
        index += 1
        let contentStart = index
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == Byte.quote {
                let text = String(decoding: bytes[contentStart..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == Byte.backslash { return try escapedString(contentStart: contentStart) }
            if byte < 0x20 { throw fail(.invalidString, "unescaped control character in a string") }
            if byte < 0x80 {
                index += 1
            } else {
                index += try utf8SequenceLength()
            }
        }
        throw fail(.malformed, "unterminated string", at: opening)
    }

    /// §7 with escapes: the bytes before the first escape are copied, then each escape is
    /// replaced by its character's UTF-8 encoding.
    ///
    /// 1. `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t` stand for themselves' characters.
    /// 2. `\uXXXX` (four hex digits, either case) outside U+D800–U+DFFF is that code point.
    /// 3. A high surrogate (U+D800–U+DBFF) must be followed at once by `\u` and a low surrogate
    ///    (U+DC00–U+DFFF); the pair is one supplementary scalar. A lone surrogate of either kind
    ///    is refused.
    /// 4. Any other escape is refused.
    mutating func escapedString(contentStart: Int) throws(JSONReaderError) -> String {
        var buffer = [UInt8]()
        buffer.reserveCapacity(index - contentStart + 16)
        buffer.append(contentsOf: bytes[contentStart..<index])
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == Byte.quote {
                index += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            if byte == Byte.backslash {
                try escape(into: &buffer)
            } else if byte < 0x20 {
                throw fail(.invalidString, "unescaped control character in a string")
            } else if byte < 0x80 {
                buffer.append(byte)
                index += 1
            } else {
                let length = try utf8SequenceLength()
                buffer.append(contentsOf: bytes[index..<(index + length)])
                index += length
            }
        }
        throw fail(.malformed, "unterminated string", at: contentStart - 1)
    }

    /// One escape sequence at `index` (a reverse solidus), appended to `buffer` as UTF-8.
    mutating func escape(into buffer: inout [UInt8]) throws(JSONReaderError) {
        let escapeStart = index
        guard index + 1 < bytes.endIndex else { throw fail(.malformed, "unterminated string") }
        let kind = bytes[index + 1]
        index += 2
        switch kind {
        case Byte.quote, Byte.backslash, Byte.slash: buffer.append(kind)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try hex4()
            var scalar = unit
            switch unit {
            case 0xD800...0xDBFF:
                guard index + 1 < bytes.endIndex, bytes[index] == Byte.backslash, bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail(.invalidString, "high surrogate escape without a low surrogate", at: escapeStart)
                }
                let lowStart = index
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail(.invalidString, "high surrogate escape followed by no low surrogate", at: lowStart)
                }
                scalar = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
            case 0xDC00...0xDFFF:
                throw fail(.invalidString, "lone low surrogate escape", at: escapeStart)
            default: break
            }
            appendUTF8(scalar, to: &buffer)
        default: throw fail(.invalidString, "unknown escape in a string", at: escapeStart)
        }
    }

    /// Four hex digits at `index` as a code unit.
    mutating func hex4() throws(JSONReaderError) -> UInt32 {
        var unit: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw fail(.malformed, "unterminated \\u escape") }
            let digit: UInt32
            switch byte {
            case Byte.zero...Byte.nine: digit = UInt32(byte - Byte.zero)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A")) + 10
            default: throw fail(.invalidString, "\\u escape needs four hex digits")
            }
            unit = unit << 4 | digit
            index += 1
        }
        return unit
    }

    /// A scalar value (at most U+10FFFF, not a surrogate: ensured by the caller) as UTF-8.
    func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(truncatingIfNeeded: scalar))
        case 0x80..<0x800:
            buffer.append(0xC0 | UInt8(truncatingIfNeeded: scalar >> 6))
            buffer.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(0xE0 | UInt8(truncatingIfNeeded: scalar >> 12))
            buffer.append(0x80 | UInt8(truncatingIfNeeded: scalar >> 6 & 0x3F))
            buffer.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        default:
            buffer.append(0xF0 | UInt8(truncatingIfNeeded: scalar >> 18))
            buffer.append(0x80 | UInt8(truncatingIfNeeded: scalar >> 12 & 0x3F))
            buffer.append(0x80 | UInt8(truncatingIfNeeded: scalar >> 6 & 0x3F))
            buffer.append(0x80 | UInt8(truncatingIfNeeded: scalar & 0x3F))
        }
    }

    /// The length of the well-formed UTF-8 sequence starting at `index` (a byte ≥ 0x80), per the
    /// table of RFC 3629 §4 (the Unicode Standard's Table 3-7): no overlong forms, no encoded
    /// surrogates, nothing above U+10FFFF.
    func utf8SequenceLength() throws(JSONReaderError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default: throw fail(.invalidUTF8, "byte that cannot start a UTF-8 sequence")
        }
        guard bytes.endIndex - index >= length else { throw fail(.invalidUTF8, "truncated UTF-8 sequence") }
        guard secondRange.contains(bytes[index + 1]) else { throw fail(.invalidUTF8, "ill-formed UTF-8 sequence") }
        var k = 2
        while k < length {
            guard (0x80...0xBF).contains(bytes[index + k]) else { throw fail(.invalidUTF8, "ill-formed UTF-8 sequence") }
            k += 1
        }
        return length
    }

    /// §6: `[ - ] int [ frac ] [ exp ]`, `int = 0 / ( digit1-9 *DIGIT )`, rounded to the
    /// nearest `Double`.
    ///
    /// 1. Check the grammar, gathering up to 19 significant digits into an integer and the
    ///    decimal exponent they need.
    /// 2. Zero is ±0 whatever the exponent. If every digit was gathered, the integer is below
    ///    2^53 and the exponent within ±22, one exact multiplication or division by a power of
    ///    ten rounds correctly.
    /// 3. Otherwise the checked text goes to the standard library's correctly rounded decimal
    ///    conversion.
    /// 4. A result that is not finite is refused (`number_out_of_range`); a result that
    ///    underflows is ±0 or subnormal, as the conversion rounds it.
    mutating func number() throws(JSONReaderError) -> Double {
        let start = index
        var negative = false
        if peek() == Byte.minus {
            negative = true
            index += 1
        }
        var significand: UInt64 = 0
        var gathered = 0  // significant digits in `significand`
        var dropped = false  // some significant digit did not fit in `significand`
        var scale = 0  // the power of ten `significand` is in units of, before the exponent part

        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= Byte.zero && $0 <= Byte.nine } ?? false }

        guard let first = peek(), isDigit(first) else { throw fail(.malformed, "a digit was expected in a number") }
        if first == Byte.zero {
            index += 1
            if isDigit(peek()) { throw fail(.malformed, "leading zero in a number") }
        } else {
            while let byte = peek(), isDigit(byte) {
                if gathered < 19 {
                    significand = significand &* 10 &+ UInt64(byte - Byte.zero)
                    gathered += 1
                } else {
                    dropped = true
                    if scale < 1_000_000 { scale += 1 }
                }
                index += 1
            }
        }
        if peek() == Byte.dot {
            index += 1
            guard isDigit(peek()) else { throw fail(.malformed, "a digit was expected after '.' in a number") }
            while let byte = peek(), isDigit(byte) {
                let digit = UInt64(byte - Byte.zero)
                if significand == 0 && digit == 0 {
                    if scale > -1_000_000 { scale -= 1 }  // a leading zero of the fraction
                } else if gathered < 19 {
                    significand = significand &* 10 &+ digit
                    gathered += 1
                    if scale > -1_000_000 { scale -= 1 }
                } else {
                    dropped = true
                }
                index += 1
            }
        }
        var exponent = 0
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if let sign = peek(), sign == Byte.plus || sign == Byte.minus {
                exponentNegative = sign == Byte.minus
                index += 1
            }
            guard isDigit(peek()) else { throw fail(.malformed, "a digit was expected in a number's exponent") }
            while let byte = peek(), isDigit(byte) {
                if exponent < 1_000_000 { exponent = exponent * 10 + Int(byte - Byte.zero) }
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        if significand == 0 && !dropped { return negative ? -0.0 : 0.0 }
        let power = scale + exponent  // both within ±10^7: no overflow
        if !dropped && significand <= 1 << 53 && (-22...22).contains(power) {
            let magnitude = Double(significand)
            let value = power >= 0 ? magnitude * exactPowersOfTen[power] : magnitude / exactPowersOfTen[-power]
            return negative ? -value : value
        }
        guard let value = Double(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw fail(.malformed, "number the decimal conversion refused", at: start)
        }
        guard value.isFinite else { throw fail(.numberOutOfRange, "number too large for a Double", at: start) }
        return value
    }
}
