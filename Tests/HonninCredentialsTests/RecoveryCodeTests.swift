import Foundation
import HonninCore
@testable import HonninCredentials
import Testing

@Suite("Recovery codes (look-up secrets)")
struct RecoveryCodeTests {
    static let pepper = Redacted([UInt8](repeating: 0x5A, count: 32))

    static func codes(seed: String = "recovery") throws -> RecoveryCodes {
        try RecoveryCodes(pepper: pepper, parameters: .init(logN: 10, r: 8, p: 1), random: StreamRandom(seed: seed))
    }

    @Test("a set of 10 codes, shaped xxxx-xxxx-xxxx from the look-alike-free alphabet, ≥ 50 bits each")
    func shape() throws {
        let issued = try Self.codes().generate()
        #expect(issued.codes.count == 10)
        #expect(issued.verifiers.count == 10)
        #expect(RecoveryCodes.bitsPerCode >= 50)
        let allowed = Set("23456789abcdefghjkmnpqrstuvwxyz")
        for code in issued.codes.map(\.revealed) {
            let groups = code.split(separator: "-")
            #expect(groups.count == 3 && groups.allSatisfy { $0.count == 4 }, "\(code)")
            #expect(code.replacingOccurrences(of: "-", with: "").allSatisfy(allowed.contains))
            #expect(!code.contains(where: { "01ilo".contains($0) }))
        }
        #expect(Set(issued.codes.map(\.revealed)).count == 10)
        #expect("\(issued.codes[0])" == "<redacted>")
    }

    @Test("only verifiers are stored: salted scrypt PHC strings that do not contain the code")
    func storage() throws {
        let issued = try Self.codes().generate(count: 3)
        for (code, verifier) in zip(issued.codes, issued.verifiers) {
            #expect(verifier.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
            #expect(!verifier.contains(code.revealed.replacingOccurrences(of: "-", with: "")))
        }
        #expect(Set(issued.verifiers).count == 3)
    }

    @Test("matching returns the index, normalising case, hyphens, spaces, dashes and full-width forms")
    func matching() throws {
        let rc = try Self.codes()
        let issued = try rc.generate(count: 5)
        for (index, code) in issued.codes.enumerated() {
            #expect(try rc.match(code.revealed, against: issued.verifiers) == index)
        }
        let code = issued.codes[4].revealed  // the last one: every verifier is tried before it
        let plain = code.replacingOccurrences(of: "-", with: "")
        let fullWidth = String(String.UnicodeScalarView(code.uppercased().unicodeScalars.map { Unicode.Scalar($0.value + 0xFEE0)! }))
        let variants = [
            code.uppercased(), plain, " " + plain + " ", code.replacingOccurrences(of: "-", with: " "),
            code.replacingOccurrences(of: "-", with: "ー"), code.replacingOccurrences(of: "-", with: "\u{2212}"), fullWidth,
            code.replacingOccurrences(of: "-", with: "\u{3000}"),
        ]
        for v in variants {
            #expect(try rc.match(v, against: issued.verifiers) == 4, "\(v)")
        }
        // Removing a used code from the stored list: it no longer matches.
        var remaining = issued.verifiers
        remaining.remove(at: 4)
        #expect(try rc.match(code, against: remaining) == nil)
    }

    @Test("a code of another set, another pepper, or a changed symbol does not match")
    func nonMatching() throws {
        let rc = try Self.codes()
        let issued = try rc.generate(count: 3)
        let other = try Self.codes(seed: "other").generate(count: 1)
        #expect(try rc.match(other.codes[0].revealed, against: issued.verifiers) == nil)
        let otherPepper = try RecoveryCodes(
            pepper: Redacted([UInt8](repeating: 0xA5, count: 32)), parameters: .init(logN: 10, r: 8, p: 1), random: StreamRandom())
        #expect(try otherPepper.match(issued.codes[0].revealed, against: issued.verifiers) == nil)
        var symbols = Array(issued.codes[0].revealed)
        symbols[0] = symbols[0] == "a" ? "b" : "a"
        #expect(try rc.match(String(symbols), against: issued.verifiers) == nil)
        #expect(try rc.match(issued.codes[0].revealed, against: ["not a verifier", "$scrypt$ln=99$x$y"]) == nil)
    }

    @Test("malformed input is a typed error", arguments: [
        "", "abcd-efgh", "abcd-efgh-jkmn-p", "abcd-efgh-jkm0", "abcd-efgh-jkmi", "abcd_efgh_jkmn", "ａｂｃｄ－ｅｆｇｈ－ｊｋｍ",
        String(repeating: "a", count: 200),
    ])
    func malformed(input: String) throws {
        let rc = try Self.codes()
        #expect(throws: RecoveryCodeInputError.malformed) { try rc.match(input, against: []) }
        #expect(RecoveryCodeInputError.malformed.code == "recovery_code_malformed")
        #expect(RecoveryCodeInputError.malformed.message.ja.contains("12文字"))
    }

    @Test("configuration is checked")
    func configuration() throws {
        #expect(throws: RecoveryCodes.ConfigurationError.pepperTooShort(minimumBytes: 32)) {
            try RecoveryCodes(pepper: Redacted([UInt8](repeating: 1, count: 31)), random: StreamRandom())
        }
        let rc = try Self.codes()
        #expect(throws: HonninError.self) { try rc.generate(count: 0) }
        #expect(throws: HonninError.self) { try rc.generate(count: 101) }
    }

    @Test("symbols are uniform: rejection sampling skips bytes ≥ 248")
    func rejectionSampling() throws {
        // A source that returns only 0xFF at first would loop; one returning 247 maps to
        // alphabet[247 % 31] = alphabet[30] = "z" every time.
        let rc = try RecoveryCodes(pepper: Self.pepper, parameters: .init(logN: 10, r: 8, p: 1), random: ConstantRandom(byte: 247))
        #expect(try rc.generate(count: 1).codes[0].revealed == "zzzz-zzzz-zzzz")
        // Counting symbol frequencies over many codes from a good source: each of 31 symbols
        // appears, none more than twice its fair share.
        var counts: [Character: Int] = [:]
        let many = try RecoveryCodes(pepper: Self.pepper, random: StreamRandom(seed: "uniform"))
        for _ in 0..<100 {
            for c in many.drawSymbols() { counts[c, default: 0] += 1 }
        }
        #expect(counts.count == 31)
        #expect(counts.values.allSatisfy { $0 < 2 * 1200 / 31 })
    }
    @Test("cost at the standard parameters: one verification tries all 10 verifiers (printed)")
    func standardCost() throws {
        let rc = try RecoveryCodes(pepper: Self.pepper, random: StreamRandom(seed: "cost"))
        let clock = ContinuousClock()
        var issued: RecoveryCodes.Issued?
        let generation = try clock.measure { issued = try rc.generate() }
        let set = try #require(issued)
        #expect(set.verifiers.allSatisfy { $0.hasPrefix("$scrypt$ln=12,r=8,p=1$") })
        var index: Int?
        let verification = try clock.measure { index = try rc.match(set.codes[9].revealed, against: set.verifiers) }
        #expect(index == 9)
        print("recovery codes (scrypt N=2^12, r=8, p=1): issuing 10 took \(generation), one verification against 10 took \(verification)")
    }
}
