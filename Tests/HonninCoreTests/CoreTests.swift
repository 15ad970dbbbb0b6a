import Foundation
import HonninCore
import HonninTesting
import Testing

@Suite("Redacted")
struct RedactedTests {
    @Test("never shows its value in description, interpolation, dump or debugDescription")
    func hidesValue() {
        let secret = Redacted("山田太郎")
        #expect(secret.description == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("山田"))
        struct Holder { let name: Redacted<String> }
        #expect(!"\(Holder(name: secret))".contains("山田"))
        #expect(secret.revealed == "山田太郎")
    }
}

@Suite("HonninID")
struct IdentifierTests {
    @Test("round-trips, has the kind's prefix, and sorts by creation time")
    func roundTrip() throws {
        let random = SeededRandom()
        let a = HonninID(kind: .vaultRecord, milliseconds: 1_000, random: random)
        let b = HonninID(kind: .vaultRecord, milliseconds: 2_000, random: random)
        #expect(a.rawValue.hasPrefix("vlt_"))
        #expect(a.rawValue.count == 4 + 26)
        #expect(a < b)
        #expect(HonninID(parsing: a.rawValue, kind: .vaultRecord) == a)
        #expect(HonninID(parsing: a.rawValue, kind: .apiKey) == nil)
    }

    @Test("rejects malformed text without trapping", arguments: [
        "", "vlt_", "vlt_0000000000000000000000000", "vlt_00000000000000000000000000x", "vlt_8zzzzzzzzzzzzzzzzzzzzzzzzz",
        "vlt-00000000000000000000000000", "vlt_0000000000000000000000000I", "vlt_0000000000000000000000000/",
        "ｖlt_00000000000000000000000000",
    ])
    func rejects(_ text: String) {
        #expect(HonninID(parsing: text, kind: .vaultRecord) == nil)
    }
}

@Suite("Bytes")
struct BytesTests {
    /// RFC 4648 §10 test vectors (base64url without padding is the same alphabet here).
    @Test("base64url matches RFC 4648 §10 vectors", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func rfc4648(_ plain: String, _ encoded: String) {
        #expect(Bytes.base64URL(Array(plain.utf8)) == encoded)
        #expect(Bytes.fromBase64URL(encoded) == Array(plain.utf8))
    }

    @Test("base64url uses - and _ and rejects padding, stray characters and non-canonical bits")
    func base64urlEdges() {
        #expect(Bytes.base64URL([0xfb, 0xff]) == "-_8")
        #expect(Bytes.fromBase64URL("Zg==") == nil)
        #expect(Bytes.fromBase64URL("Z") == nil)
        #expect(Bytes.fromBase64URL("Zh") == nil)  // trailing bits not zero
        #expect(Bytes.fromBase64URL("a+b/") == nil)
        #expect(Bytes.fromBase64URL("Zm9v\u{0}") == nil && Bytes.fromBase64URL("Zm9=") == nil && Bytes.fromBase64URL("Zm9vY") == nil)
        #expect(Bytes.fromBase64URL("Zm9vYmFy".dropFirst(4)) == Array("bar".utf8))  // a substring
        #expect(Bytes.fromBase64URL("Zm9vYmFyé") == nil)
    }

    @Test("base64url decoding agrees with Foundation's base64 on random bytes, and refuses every character outside the alphabet")
    func base64urlAgainstFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let url = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Bytes.fromBase64URL(url) == bytes)
            #expect(Bytes.base64URL(bytes) == url)
        }
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for byte in UInt8.min...UInt8.max where !alphabet.contains(byte) {
            for at in 0..<10 {
                var text = Array("QUJDREVGRw".utf8)  // "ABCDEFG": 10 characters, a 2-character tail
                text[at] = byte
                #expect(Bytes.fromBase64URL(String(decoding: text, as: UTF8.self)) == nil, "\(byte) at \(at)")
            }
        }
    }

    @Test("hex round-trips and rejects odd lengths and non-hex")
    func hex() {
        #expect(Bytes.hex([0x00, 0xab, 0xff]) == "00abff")
        #expect(Bytes.fromHex("00ABff") == [0x00, 0xab, 0xff])
        #expect(Bytes.fromHex("abc") == nil)
        #expect(Bytes.fromHex("zz") == nil)
    }

    @Test("constant-time comparison")
    func constantTime() {
        #expect(Bytes.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!Bytes.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!Bytes.constantTimeEqual([1, 2, 3], [1, 2]))
    }
}

@Suite("Timestamp")
struct TimestampTests {
    @Test("RFC 3339 in UTC with milliseconds, and millisecond storage round-trips")
    func format() {
        let date = Date(timeIntervalSince1970: 1_798_761_600.123)
        #expect(Timestamp.format(date) == "2027-01-01T00:00:00.123Z")
        #expect(Timestamp.milliseconds(date) == 1_798_761_600_123)
        #expect(Timestamp.format(Timestamp.date(milliseconds: 1_798_761_600_123)) == "2027-01-01T00:00:00.123Z")
        #expect(Timestamp.format(Timestamp.date(milliseconds: 1_798_761_600_007)) == "2027-01-01T00:00:00.007Z")
        #expect(Timestamp.format(Timestamp.date(milliseconds: -1)) == "1969-12-31T23:59:59.999Z")
    }
}

@Suite("Language")
struct LanguageTests {
    @Test("negotiates Accept-Language with quality values; Japanese by default", arguments: [
        (nil, Language.ja), ("", .ja), ("en", .en), ("en-US,en;q=0.9", .en), ("fr, en;q=0.5", .en), ("en;q=0.5, ja;q=0.8", .ja),
        ("de", .ja), ("ja-JP", .ja), ("en;q=0", .ja), ("*", .ja),
    ] as [(String?, Language)])
    func negotiate(_ header: String?, _ expected: Language) {
        #expect(Language.negotiate(acceptLanguage: header) == expected)
    }
}
