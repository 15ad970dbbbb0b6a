import Foundation
import HonninCore
import HonninTesting
import Testing

/// What `JSONReader().parse` throws for `bytes`, or nil when it parses.
private func failure(_ bytes: [UInt8], reader: JSONReader = JSONReader()) -> JSONReaderError? {
    do throws(JSONReaderError) {
        _ = try reader.parse(bytes)
        return nil
    } catch {
        return error
    }
}

private func failure(_ text: String, reader: JSONReader = JSONReader()) -> JSONReaderError? {
    failure(Array(text.utf8), reader: reader)
}

private func parse(_ text: String) throws -> JSONValue {
    try JSONReader().parse(Array(text.utf8))
}

@Suite("JSONReader: RFC 8259 accepted texts")
struct JSONReaderAcceptTests {
    /// The JSON texts of RFC 8259 §13.
    @Test func rfc8259Examples() throws {
        let image = #"""
            {
              "Image": {
                  "Width":  800,
                  "Height": 600,
                  "Title":  "View from 15th Floor",
                  "Thumbnail": {
                      "Url":    "http://www.example.com/image/481989943",
                      "Height": 125,
                      "Width":  100
                  },
                  "Animated" : false,
                  "IDs": [116, 943, 234, 38793]
                }
            }
            """#
        #expect(
            try parse(image)
                == .object([
                    "Image": .object([
                        "Width": .number(800), "Height": .number(600), "Title": .string("View from 15th Floor"),
                        "Thumbnail": .object([
                            "Url": .string("http://www.example.com/image/481989943"), "Height": .number(125), "Width": .number(100),
                        ]),
                        "Animated": .bool(false), "IDs": .array([.number(116), .number(943), .number(234), .number(38793)]),
                    ])
                ]))
        let places = #"""
            [
              {
                 "precision": "zip",
                 "Latitude":  37.7668,
                 "Longitude": -122.3959,
                 "Address":   "",
                 "City":      "SAN FRANCISCO",
                 "State":     "CA",
                 "Zip":       "94107",
                 "Country":   "US"
              },
              {
                 "precision": "zip",
                 "Latitude":  37.371991,
                 "Longitude": -122.026020,
                 "Address":   "",
                 "City":      "SUNNYVALE",
                 "State":     "CA",
                 "Zip":       "94085",
                 "Country":   "US"
              }
            ]
            """#
        guard case .array(let entries) = try parse(places) else {
            Issue.record("not an array")
            return
        }
        #expect(entries.count == 2)
        #expect(entries.first.flatMap { if case .object(let o) = $0 { o["Longitude"] } else { nil } } == .number(-122.3959))
        #expect(entries.last.flatMap { if case .object(let o) = $0 { o["Latitude"] } else { nil } } == .number(37.371991))
        #expect(entries.last.flatMap { if case .object(let o) = $0 { o["Longitude"] } else { nil } } == .number(-122.02602))
        // §13: the three texts that hold only values; §2: a scalar is a JSON text.
        #expect(try parse(#""Hello world!""#) == .string("Hello world!"))
        #expect(try parse("42") == .number(42))
        #expect(try parse("true") == .bool(true))
        #expect(try parse(" \t\r\n false \n") == .bool(false))
        #expect(try parse("null") == .null)
        #expect(try parse("[]") == .array([]))
        #expect(try parse("{}") == .emptyObject)
        #expect(try parse(" [ 1 , [ ] , { } , \"\" ] ") == .array([.number(1), .array([]), .emptyObject, .string("")]))
    }

    /// §6 numbers into `Double`, rounded correctly (the expected values are Swift's own literals).
    @Test(arguments: [
        ("0", 0.0), ("-0", -0.0), ("1", 1), ("-1", -1), ("10", 10), ("1.5", 1.5), ("-0.25", -0.25), ("1e3", 1000), ("1E3", 1000),
        ("1e+3", 1000), ("1e-3", 0.001), ("0.1", 0.1), ("0.000001", 0.000001), ("12.340e1", 123.4), ("0e999999999999", 0),
        ("9007199254740993", 9_007_199_254_740_992), ("9007199254740995", 9_007_199_254_740_996),
        ("18446744073709551616", 18_446_744_073_709_551_616),
        ("123456789012345678901234567890", 1.2345678901234568e29), ("1e22", 1e22), ("1e23", 1e23), ("8.98846567431158e307", 8.98846567431158e307),
        ("1.7976931348623157e308", 1.7976931348623157e308), ("2.2250738585072014e-308", 2.2250738585072014e-308), ("5e-324", .leastNonzeroMagnitude),
        ("4.9406564584124654e-324", .leastNonzeroMagnitude), ("1e-400", 0), ("-1e-400", -0.0), ("0.1e1", 1), ("100000000000000000000000e-23", 1),
        ("0.00000000000000000000000000001", 1e-29), ("3.141592653589793238462643383279", 3.141592653589793),
    ] as [(String, Double)])
    func numbers(_ text: String, _ expected: Double) throws {
        guard case .number(let value) = try parse(text) else {
            Issue.record("\(text) is not a number")
            return
        }
        #expect(value == expected, "\(text)")
        #expect(value.sign == expected.sign, "\(text)")
    }

    /// Integers of hundreds of digits are read (rounded), and agree with the standard library's conversion.
    @Test func bigNumbers() throws {
        let digits = String(repeating: "1234567890", count: 30)
        #expect(try parse(digits) == .number(try #require(Double(digits))))
        #expect(try parse("-" + digits + ".5e-250") == .number(try #require(Double("-" + digits + ".5e-250"))))
        #expect(try parse("0." + String(repeating: "0", count: 400) + "1e400") == .number(0.1))
        #expect(try parse("[1e308, -1.7976931348623157e308]") == .array([.number(1e308), .number(-1.7976931348623157e308)]))
    }

    /// §7 escapes, surrogate pairs, raw UTF-8 and the characters that need no escape.
    @Test func strings() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
        #expect(try parse(#""\u0041\u00e9\u00E9\u20AC\u0000""#) == .string("Aéé€\u{0}"))
        #expect(try parse(#""\uD83D\uDE00 \ud83d\ude00""#) == .string("😀 😀"))
        #expect(try parse(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
        let raw = "本人確認 é 😀 \u{7F}\u{80}\u{7FF}\u{FFFF}\u{10FFFF}"
        #expect(try parse("\"" + raw + "\"") == .string(raw))
        #expect(try parse(#""本人\n確認\u3042""#) == .string("本人\n確認あ"))
        #expect(try parse(#"{"\u0061":"b"}"#) == .object(["a": .string("b")]))
    }

    @Test func sliceOffsetsCountFromTheSliceStart() throws {
        let bytes = Array("xxxx[1,2]".utf8)
        #expect(try JSONReader().parse(bytes[4...]) == .array([.number(1), .number(2)]))
        let bad = Array("xxxx[1,]".utf8)
        #expect(failure(Array(bad[4...])) == JSONReaderError(.malformed, offset: 3, ""))
        #expect(throws: JSONReaderError(.malformed, offset: 3, "")) { try JSONReader().parse(bad[4...]) }
    }
}

@Suite("JSONReader: every refusal has a code and an offset")
struct JSONReaderRejectTests {
    @Test(arguments: [
        // Structure (§2, §4, §5) and trailing bytes.
        ("", "malformed", 0), (" ", "malformed", 1), ("{", "malformed", 1), ("[", "malformed", 1), ("[1", "malformed", 2),
        ("[1,]", "malformed", 3), (#"{"a":1,}"#, "malformed", 7), ("[,1]", "malformed", 1), ("[1,,2]", "malformed", 3),
        (#"{"a" 1}"#, "malformed", 5), (#"{"a":}"#, "malformed", 5), ("{a:1}", "malformed", 1), ("{'a':1}", "malformed", 1),
        (#"{"a":1 "b":2}"#, "malformed", 7), ("[1 2]", "malformed", 3), ("]", "malformed", 0), ("1 2", "malformed", 2),
        ("{}x", "malformed", 2), ("[] ]", "malformed", 3), ("nulll", "malformed", 4), ("true false", "malformed", 5),
        // Literals.
        ("nul", "malformed", 0), ("True", "malformed", 0), ("tru", "malformed", 0), ("undefined", "malformed", 0),
        // Numbers (§6).
        ("01", "malformed", 1), ("-01", "malformed", 2), ("00", "malformed", 1), ("1.", "malformed", 2), (".5", "malformed", 0),
        ("+1", "malformed", 0), ("-", "malformed", 1), ("--1", "malformed", 1), ("1e", "malformed", 2), ("1e+", "malformed", 3),
        ("1.e5", "malformed", 2), ("0x10", "malformed", 1), ("NaN", "malformed", 0), ("Infinity", "malformed", 0),
        ("-Infinity", "malformed", 1), ("[1.0e]", "malformed", 5), ("1e400", "number_out_of_range", 0),
        ("[-1e400]", "number_out_of_range", 1), ("1" + String(repeating: "0", count: 309), "number_out_of_range", 0),
        // Strings (§7).
        ("\"abc", "malformed", 0), ("\"a\u{01}\"", "invalid_string", 2), ("\"\t\"", "invalid_string", 1),
        ("\"\n\"", "invalid_string", 1), ("\"\\n\u{1F}\"", "invalid_string", 3), (#""\x""#, "invalid_string", 1),
        (#""\'""#, "invalid_string", 1), (#""\U0041""#, "invalid_string", 1), (#""\u12""#, "invalid_string", 5),
        (#""\u12G4""#, "invalid_string", 5), (#""\u"#, "malformed", 3), (#""\"#, "malformed", 1),
        (#""\uD800""#, "invalid_string", 1), (#""\uDC00""#, "invalid_string", 1), (#""\uDFFF\uD800""#, "invalid_string", 1),
        (#""\uD800\u0041""#, "invalid_string", 7), (#""\uD800\uD800""#, "invalid_string", 7), (#""\uD800\n""#, "invalid_string", 1),
        (#""x\uD800"#, "invalid_string", 2), (#""\uD800\uDC0""#, "invalid_string", 12),
        // Whitespace is only the four bytes of §2.
        ("\u{0C}1", "malformed", 0), ("1\u{0B}", "malformed", 1), ("\u{A0}1", "malformed", 0), ("[1,\u{2028}2]", "malformed", 3),
        ("\u{FEFF}1", "malformed", 0), ("1\u{0}", "malformed", 1),
        // Duplicate member names (§4), also nested and canonically equivalent.
        (#"{"a":1,"a":2}"#, "duplicate_member", 7), (#"{"a":1,"b":2,"a":1}"#, "duplicate_member", 13),
        (#"[{"x":{"b":null,"b":null}}]"#, "duplicate_member", 16), (#"{"a":1,"\u0061":1}"#, "duplicate_member", 7),
        ("{\"é\":1,\"e\u{301}\":2}", "duplicate_member", 8),
    ] as [(String, String, Int)])
    func refusals(_ text: String, _ code: String, _ offset: Int) {
        let error = failure(text)
        #expect(error?.code.rawValue == code, "\(text.debugDescription): \(error.map(String.init(describing:)) ?? "parsed")")
        #expect(error?.offset == offset, "\(text.debugDescription): \(error.map(String.init(describing:)) ?? "parsed")")
    }

    /// RFC 3629 §4: ill-formed UTF-8 inside a string, with and without an escape before it, and
    /// outside a string.
    @Test(arguments: [
        ([0xC0, 0xAF], 1), ([0xC1, 0xBF], 1), ([0xE0, 0x80, 0xAF], 1), ([0xF0, 0x80, 0x80, 0xAF], 1),  // overlong
        ([0xED, 0xA0, 0x80], 1), ([0xED, 0xBF, 0xBF], 1),  // encoded surrogates
        ([0xF4, 0x90, 0x80, 0x80], 1), ([0xF5, 0x80, 0x80, 0x80], 1), ([0xFF], 1), ([0xFE], 1),  // above U+10FFFF
        ([0x80], 1), ([0x41, 0xBF], 2), ([0xE2, 0x82], 1), ([0xE2, 0x82, 0x41], 1), ([0xF0, 0x9F, 0x98], 1),  // stray / missing continuation
    ] as [([UInt8], Int)])
    func invalidUTF8(_ sequence: [UInt8], _ offset: Int) {
        let quote = UInt8(ascii: "\"")
        #expect(failure([quote] + sequence + [quote]) == JSONReaderError(.invalidUTF8, offset: offset, ""))
        // Truncated at the end of the input.
        #expect(failure([quote] + sequence)?.code == .invalidUTF8 || failure([quote] + sequence)?.code == .malformed)
        // After an escape, on the buffered path.
        #expect(failure([quote, 0x5C, 0x6E] + sequence + [quote]) == JSONReaderError(.invalidUTF8, offset: offset + 2, ""))
        // In a member name.
        #expect(failure([0x7B, quote] + sequence + [quote, 0x3A, 0x31, 0x7D]) == JSONReaderError(.invalidUTF8, offset: offset + 1, ""))
        // Outside strings only ASCII structure is allowed.
        #expect(failure(sequence)?.code == .malformed)
    }

    /// §9: nesting is limited (64 by default); deeper input fails fast, never exhausting the stack.
    @Test func depth() throws {
        func arrays(_ n: Int) -> String { String(repeating: "[", count: n) + String(repeating: "]", count: n) }
        func objects(_ n: Int) -> String { String(repeating: #"{"a":"#, count: n) + "1" + String(repeating: "}", count: n) }
        #expect(failure(arrays(64)) == nil)
        #expect(failure(arrays(65)) == JSONReaderError(.depth, offset: 64, ""))
        #expect(failure(objects(64)) == nil)
        #expect(failure(objects(65)) == JSONReaderError(.depth, offset: 64 * 5, ""))
        #expect(failure(#"[{"a":[{"b":[]}]}]"#, reader: JSONReader(maxDepth: 5)) == nil)
        #expect(failure(#"[{"a":[{"b":[]}]}]"#, reader: JSONReader(maxDepth: 4)) == JSONReaderError(.depth, offset: 12, ""))
        #expect(failure("1", reader: JSONReader(maxDepth: 0)) == nil)
        #expect(failure("[]", reader: JSONReader(maxDepth: 0)) == JSONReaderError(.depth, offset: 0, ""))
        #expect(JSONReader(maxDepth: -3).maxDepth == 0)
        #expect(JSONReader().maxDepth == 64)
        // A megabyte of open brackets: refused at the limit.
        #expect(failure(String(repeating: "[", count: 1 << 20)) == JSONReaderError(.depth, offset: 64, ""))
        #expect(failure(String(repeating: "[", count: 64)) == JSONReaderError(.malformed, offset: 64, ""))
        // Nesting is read without recursion: 1,000 levels read with the limit lifted, and refused
        // one level short of it at the 1,000th container.
        let deep = String(repeating: #"[{"a":"#, count: 500) + "null" + String(repeating: "}]", count: 500)
        var value = try JSONReader(maxDepth: .max).parse(Array(deep.utf8))
        for _ in 0..<500 {
            guard case .array(let items) = value, items.count == 1, case .object(let members)? = items.first, let inner = members["a"] else {
                Issue.record("the deep document read wrongly")
                return
            }
            value = inner
        }
        #expect(value == .null)
        #expect(failure(deep, reader: JSONReader(maxDepth: 999)) == JSONReaderError(.depth, offset: 6 * 499 + 1, ""))
    }

    @Test func errorsDescribeThemselvesWithoutTheInput() {
        let error = failure(#"{"secret-name":1,"secret-name":2}"#)
        #expect(error?.description.hasPrefix("duplicate_member at byte 17") == true)
        #expect(error?.description.contains("secret") == false)
        #expect(Set(JSONReaderError.Code.allCases.map(\.rawValue)).count == JSONReaderError.Code.allCases.count)
    }
}

// MARK: - Seeded documents: differential against JSONSerialization, and mutations

/// Random valid JSON texts with the value each must parse to.
private struct DocumentGenerator {
    var random: SplitMix64

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }

    mutating func whitespace() -> String {
        chance(70) ? "" : pick([" ", "\n", "\t", "\r\n", "  ", " \t \n"])
    }

    mutating func document() -> (text: String, value: JSONValue) {
        let (text, value) = self.value(depth: 0)
        return (whitespace() + text + whitespace(), value)
    }

    mutating func value(depth: Int) -> (String, JSONValue) {
        let kind = depth >= 5 ? Int.random(in: 0..<6, using: &random) : Int.random(in: 0..<9, using: &random)
        switch kind {
        case 0: return ("null", .null)
        case 1: return chance(50) ? ("true", .bool(true)) : ("false", .bool(false))
        case 2, 3:
            let (text, number) = self.number()
            return (text, .number(number))
        case 4, 5:
            let (text, string) = self.string()
            return (text, .string(string))
        case 6:
            var texts: [String] = []
            var values: [JSONValue] = []
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let (text, value) = self.value(depth: depth + 1)
                texts.append(whitespace() + text + whitespace())
                values.append(value)
            }
            return ("[" + (texts.isEmpty ? whitespace() : texts.joined(separator: ",")) + "]", .array(values))
        default:
            var texts: [String] = []
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let (nameText, name) = string()
                guard members[name] == nil else { continue }
                let (text, value) = self.value(depth: depth + 1)
                members[name] = value
                texts.append(whitespace() + nameText + whitespace() + ":" + whitespace() + text + whitespace())
            }
            return ("{" + (texts.isEmpty ? whitespace() : texts.joined(separator: ",")) + "}", .object(members))
        }
    }

    mutating func number() -> (String, Double) {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            let n = Int.random(in: -1_000_000...1_000_000, using: &random)
            return (String(n), Double(n))
        case 1:
            // A random finite Double written the shortest way that reads back to it.
            while true {
                let d = Double(bitPattern: random.next())
                if d.isFinite { return (d.description, d) }
            }
        case 2:
            let n = Int64.random(in: .min ... .max, using: &random)
            return (String(n), Double(String(n)) ?? .nan)
        default:
            // Any text of the §6 grammar; the expected value is the standard library's reading.
            while true {
                var text = chance(30) ? "-" : ""
                let intDigits = Int.random(in: 1...25, using: &random)
                text += intDigits == 1 ? pick(["0", "1", "2", "5", "9"]) : String(Int.random(in: 1...9, using: &random))
                if intDigits > 1 { for _ in 1..<intDigits { text += String(Int.random(in: 0...9, using: &random)) } }
                if chance(60) {
                    text += "."
                    for _ in 0..<Int.random(in: 1...25, using: &random) { text += String(Int.random(in: 0...9, using: &random)) }
                }
                if chance(50) {
                    text += pick(["e", "E", "e+", "e-", "E+", "E-"]) + String(Int.random(in: 0...330, using: &random))
                }
                if let d = Double(text), d.isFinite { return (text, d) }
            }
        }
    }

    mutating func string() -> (String, String) {
        var text = "\""
        var value = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &random) {
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3:
                let c = Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random))
                if c == "\"" || c == "\\" {
                    text += "\\" + String(c)
                } else {
                    text.unicodeScalars.append(c)
                }
                value.append(c)
            case 4:
                let (escape, c) = pick(
                    [("\\\"", "\""), ("\\\\", "\\"), ("\\/", "/"), ("\\b", "\u{08}"), ("\\f", "\u{0C}"), ("\\n", "\n"), ("\\r", "\r"), ("\\t", "\t")]
                        as [(String, Unicode.Scalar)])
                text += escape
                value.append(c)
            case 5, 6:
                let c = pick(
                    ["é", "本", "人", "確", "😀", "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}",
                     "\u{301}"] as [Unicode.Scalar])
                text.unicodeScalars.append(c)
                value.append(c)
            case 7, 8:
                // A \u escape of a random scalar; supplementary ones as a surrogate pair.
                var scalarValue = UInt32.random(in: 0...0x10FFFF, using: &random)
                if (0xD800...0xDFFF).contains(scalarValue) { scalarValue = 0x41 }
                guard let c = Unicode.Scalar(scalarValue) else { continue }
                let upper = chance(50)
                for unit in String(c).utf16 {
                    let hex = String(unit, radix: 16, uppercase: upper)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                value.append(c)
            default:
                text += "\\u0000"
                value.append("\u{0}")
            }
        }
        return (text + "\"", String(value))
    }
}

private let booleanNumberClass = ObjectIdentifier(type(of: NSNumber(value: true)))

/// Foundation's reading of a JSON text, as a `JSONValue`.
private func foundationValue(_ any: Any) -> JSONValue? {
    switch any {
    case is NSNull: return .null
    case let string as String: return .string(string)
    case let number as NSNumber:
        // true and false come back as the boolean subclass of NSNumber, numbers as NSNumber or
        // NSDecimalNumber (`as Bool` would also match the numbers 0 and 1).
        if ObjectIdentifier(type(of: number)) == booleanNumberClass { return .bool(number.boolValue) }
        return .number(number.doubleValue)
    case let array as [Any]:
        var values: [JSONValue] = []
        for element in array {
            guard let value = foundationValue(element) else { return nil }
            values.append(value)
        }
        return .array(values)
    case let object as [String: Any]:
        var members: [String: JSONValue] = [:]
        for (name, element) in object {
            guard let value = foundationValue(element) else { return nil }
            members[name] = value
        }
        return .object(members)
    default: return nil
    }
}

/// Whether Foundation's reading agrees with ours: the same structure, strings and literals, and
/// numbers equal up to Foundation's rounding. JSONSerialization does not always round long
/// decimals correctly (it reads some through NSDecimalNumber; e.g. it reads
/// `856415477846030049961091.88340073` as 8.564154778460302e+23 where the nearest double is
/// 8.5641547784603e+23, which Python's `float` also gives), so numbers may differ in the last
/// few units in the last place. Our numbers are checked exactly against the standard library's
/// correctly rounded conversion by the generator's expected values.
private func agreesUpToFoundationRounding(_ foundation: JSONValue, _ ours: JSONValue) -> Bool {
    switch (foundation, ours) {
    case (.number(let a), .number(let b)): return a == b || abs(a - b) <= 1e-14 * max(abs(a), abs(b))
    case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(agreesUpToFoundationRounding)
    case (.object(let a), .object(let b)):
        return a.count == b.count && a.allSatisfy { name, value in b[name].map { agreesUpToFoundationRounding(value, $0) } ?? false }
    default: return foundation == ours
    }
}

@Suite("JSONReader: seeded documents")
struct JSONReaderSeededTests {
    /// 3,000 random valid documents: the reader gives the generator's value exactly, and
    /// Foundation's JSONSerialization reads the same value from the same bytes (numbers up to
    /// Foundation's own rounding, see ``agreesUpToFoundationRounding(_:_:)``).
    @Test func agreesWithJSONSerialization() throws {
        var generator = DocumentGenerator(random: SplitMix64(state: 0x484F_4E4E_494E_4A53))
        var exactly = 0
        for n in 0..<3_000 {
            let (text, expected) = generator.document()
            let bytes = Array(text.utf8)
            let ours: JSONValue
            do throws(JSONReaderError) {
                ours = try JSONReader().parse(bytes)
            } catch {
                Issue.record("document \(n) refused: \(error)\n\(text)")
                continue
            }
            #expect(ours == expected, "document \(n): \(text)")
            let foundation = try #require(foundationValue(try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])))
            #expect(agreesUpToFoundationRounding(foundation, ours), "document \(n): \(text)")
            if foundation == ours { exactly += 1 }
        }
        // Most documents agree to the bit; the rest differ only where Foundation misrounds.
        #expect(exactly > 2_000)
    }

    /// 2,000 random valid documents, each mutated 10 ways (bytes flipped, inserted, deleted,
    /// repeated, truncated): the reader never traps, every refusal's offset lies within the input,
    /// and whatever it still accepts, Foundation's reader accepts as the same value (numbers up to
    /// Foundation's rounding).
    @Test func mutationsNeverCrash() throws {
        var generator = DocumentGenerator(random: SplitMix64(state: 0x4D55_5441_5445))
        var refusals: [JSONReaderError.Code: Int] = [:]
        var accepted = 0
        let interesting: [UInt8] = Array("{}[]\",:\\u0eE.-+ \ntfn".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC0, 0xED, 0xF4, 0xFF]
        for _ in 0..<2_000 {
            let original = Array(generator.document().text.utf8)
            for _ in 0..<10 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &generator.random) {
                    let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator.random)
                    switch Int.random(in: 0..<5, using: &generator.random) {
                    case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator.random)
                    case 1: bytes.insert(generator.pick(interesting), at: at)
                    case 2 where !bytes.isEmpty: bytes.remove(at: at)
                    case 3 where !bytes.isEmpty:
                        let end = min(bytes.count, at + Int.random(in: 1...48, using: &generator.random))
                        bytes.insert(contentsOf: bytes[at..<end], at: at)
                    default: bytes = Array(bytes.prefix(at))
                    }
                }
                do throws(JSONReaderError) {
                    let value = try JSONReader().parse(bytes)
                    accepted += 1
                    let foundation = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])).flatMap(foundationValue)
                    let text = String(decoding: bytes, as: UTF8.self).debugDescription
                    #expect(foundation.map { agreesUpToFoundationRounding($0, value) } == true, "\(text)")
                } catch {
                    refusals[error.code, default: 0] += 1
                    #expect((0...bytes.count).contains(error.offset))
                }
            }
        }
        // The mutations reach the refusals of every kind but depth (the generator stays shallow).
        for code in JSONReaderError.Code.allCases where code != .depth {
            #expect(refusals[code, default: 0] > 0, "no mutation was refused as \(code.rawValue)")
        }
        #expect(accepted > 0)
    }
}
