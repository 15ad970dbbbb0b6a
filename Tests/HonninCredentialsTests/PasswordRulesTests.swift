import Foundation
import HonninCore
@testable import HonninCredentials
import Testing

@Suite("Password rules (NIST SP 800-63B-4 §3.1.1.2) and the blocklist")
struct PasswordRulesTests {
    static func check(_ s: String, minimum: Int = PasswordPolicy.minimumAlone, context: [String] = []) throws(PasswordPolicy.Failure) {
        try PasswordPolicy.check(Redacted(s), minimum: minimum, context: context)
    }

    @Test("length: 15 alone, 8 within multi-factor, 256 at most")
    func lengths() throws {
        #expect(throws: PasswordPolicy.Failure.tooShort(minimum: 15)) { try Self.check("kumo to umi 14") }
        try Self.check("kumo to umi 15c")
        try Self.check("hnt7-q2xz", minimum: PasswordPolicy.minimumWithinMultiFactor)
        #expect(throws: PasswordPolicy.Failure.tooShort(minimum: 8)) { try Self.check("hnt7-q2", minimum: 8) }
        let long = String(repeating: "kumo to umi ", count: 21) + "abcd"  // 256
        #expect(PasswordPolicy.length(long) == 256)
        try Self.check(long)
        #expect(throws: PasswordPolicy.Failure.tooLong(maximum: 256)) { try Self.check(long + "e") }
        #expect(throws: PasswordPolicy.Failure.tooLong(maximum: 256)) { try Self.check(String(repeating: "長", count: 2000)) }
    }

    @Test("each code point counts once after NFC, not each grapheme cluster")
    func codePoints() throws {
        // 14 family emoji: 1 grapheme each, 7 code points each (4 people + 3 ZWJ).
        let family = "👨‍👩‍👧‍👦"
        #expect(family.count == 1)
        #expect(PasswordPolicy.length(family) == 7)
        try Self.check(String(repeating: family, count: 2) + "x")  // 15 code points, 3 graphemes
        // Decomposed "é" (e + U+0301) is one code point after NFC.
        let nfd = String(repeating: "e\u{301}", count: 14) + "x"
        #expect(PasswordPolicy.length(nfd) == 15)
        #expect(throws: PasswordPolicy.Failure.tooShort(minimum: 15)) { try Self.check(String(repeating: "e\u{301}", count: 14)) }
        // Japanese: each kana/kanji is one code point.
        try Self.check("ひみつのあいことばは山と川と海です")
        #expect(throws: PasswordPolicy.Failure.tooShort(minimum: 15)) { try Self.check("ひみつのあいことば") }
    }

    @Test("no composition rules: lower-case words, digits only, spaces all pass when long and uncommon")
    func noComposition() throws {
        try Self.check("correct horse battery staple")
        try Self.check("839201746502918374")
        try Self.check("ただのひらがなだけのながいことば")
    }

    @Test("blocklisted passwords are refused, case-insensitively and after NFC", arguments: [
        ("password", 8), ("PASSWORD", 8), ("iloveyou", 8), ("qwertyuiop", 8), ("1qaz2wsx3edc", 8), ("Passw0rd", 8),
        ("ILoveYou1", 8), ("123456789abc", 8), ("1qaz2wsx3edc4rfv", 15),
    ])
    func blocklisted(password: String, minimum: Int) {
        #expect(throws: PasswordPolicy.Failure.blocklisted) { try Self.check(password, minimum: minimum) }
    }

    @Test("the bundled list loads, is folded the way lookups fold, and holds ≥ 8-code-point entries only")
    func bundled() throws {
        let list = PasswordBlocklist.bundled
        #expect(list.isLoaded)
        #expect(list.count > 15_000)
        #expect(list.contains("Password1"))
        #expect(list.contains("baseball"))
        #expect(!list.contains("a passphrase nobody has used"))
        // The source file that SwiftPM copies into the resource bundle.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/HonninCredentials/Resources/password-blocklist.txt").standardized
        let text = try String(contentsOf: url, encoding: .utf8)
        let lines = Array(text.split(separator: "\n", omittingEmptySubsequences: false).dropLast())
        #expect(lines.count == list.count)
        #expect(lines == lines.sorted(by: { Array($0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }))
        for line in lines {
            let s = String(line)
            #expect(s.unicodeScalars.count >= 8)
            #expect(s == s.precomposedStringWithCanonicalMapping.lowercased(), "\(s)")
        }
        #expect(text.utf8.count < 1_000_000)
    }

    @Test("a custom list, and a list that failed to load refuses everything (fail closed)")
    func customList() throws {
        let list = PasswordBlocklist(lines: ["Hunter2Hunter2", "Ｆｕｌｌwidth-pass"])
        #expect(list.count == 2)
        #expect(list.contains("hunter2hunter2"))
        #expect(throws: PasswordPolicy.Failure.blocklisted) {
            try PasswordPolicy.check(Redacted("HUNTER2HUNTER2"), minimum: 8, blocklist: list)
        }
        try PasswordPolicy.check(Redacted("password"), minimum: 8, blocklist: list)  // not on this list
    }

    @Test("context words: equal, or little more than the word plus a repeated/sequential run")
    func contextWords() throws {
        let context = ["Yamada.Taro", "本人確認サービス", "honnin"]
        #expect(throws: PasswordPolicy.Failure.contextWord) { try Self.check("yamada.taro", minimum: 8, context: context) }
        #expect(throws: PasswordPolicy.Failure.contextWord) { try Self.check("本人確認サービス", minimum: 8, context: context) }
        #expect(throws: PasswordPolicy.Failure.contextWord) { try Self.check("YAMADA.TARO12345678", context: context) }
        #expect(throws: PasswordPolicy.Failure.contextWord) { try Self.check("honninhonninhonnin", context: context) }
        #expect(throws: PasswordPolicy.Failure.contextWord) { try Self.check("honnin!!!!!!!!!!!", context: context) }
        #expect(throws: PasswordPolicy.Failure.contextWord) { try Self.check("本人確認サービス本人確認サービス", context: context) }
        try Self.check("honnin is where my cat sleeps", context: context)
        try Self.check("yamada.taro", minimum: 8, context: [])
        try Self.check("some long phrase", context: ["", "  "])
    }

    @Test("repetitive and sequential passwords are refused", arguments: [
        "aaaaaaaaaaaaaaaa", "abababababababab", "abcabcabcabcabcabc", "zxcvbn!zxcvbn!zxcvbn!", "123456789012345",
        "abcdefghijklmnop", "987654321098765", "ｚｙｘｗｖｕｔｓｒｑｐｏｎｍｌ", "ああああああああああああああああ", "aaaaaaaaaaaaaaab",
        "qzqzjqzqzjqzqzj",
    ])
    func repetitive(password: String) {
        #expect(throws: PasswordPolicy.Failure.repetitive) { try Self.check(password) }
    }

    @Test("a repetition of a unit at least as long as the minimum is allowed")
    func longUnitRepetition() throws {
        try Self.check("kumo-to-umi-27!kumo-to-umi-27!")  // unit of 15
        try Self.check("kumo to umikumo to umi", minimum: 8)  // unit of 11 within multi-factor
        // …unless the unit is itself blocklisted.
        #expect(throws: PasswordPolicy.Failure.blocklisted) { try Self.check("passwordpassword", minimum: 8) }
        #expect(throws: PasswordPolicy.Failure.blocklisted) { try Self.check("iloveyouiloveyou", minimum: 8) }
        try Self.check("13579bdfhjlnprtv")  // a constant step of 2 is not a run of consecutive code points
    }

    @Test("failures have stable codes and Japanese/English messages")
    func messages() {
        let all: [PasswordPolicy.Failure] = [.tooShort(minimum: 15), .tooLong(maximum: 256), .blocklisted, .contextWord, .repetitive]
        #expect(all.map(\.code) == ["too_short", "too_long", "blocklisted", "context_word", "repetitive"])
        #expect(all.map(\.message.id) == all.map { "password.\($0.code)" })
        #expect(PasswordPolicy.Failure.tooShort(minimum: 15).message.ja.contains("15文字"))
        #expect(PasswordPolicy.Failure.tooShort(minimum: 15).message.en.contains("15 characters"))
        #expect(all.allSatisfy { !$0.message.ja.isEmpty && !$0.message.en.isEmpty && $0.message.ja != $0.message.en })
    }

    @Test("blocklist load time and lookup rate (printed)")
    func performance() {
        let clock = ContinuousClock()
        var fresh = PasswordBlocklist(lines: [String]())
        let load = clock.measure { fresh = PasswordBlocklist.loadBundled() }
        #expect(fresh.count == PasswordBlocklist.bundled.count)
        let candidates = (0..<100_000).map { i in i % 2 == 0 ? "Password\(i % 1000)" : "unlisted phrase \(i)" }
        func perSecond(_ d: Duration) -> Int {
            Int(Double(candidates.count) / (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18))
        }
        var hits = 0
        let folded = clock.measure {
            for c in candidates where fresh.contains(c) { hits += 1 }
        }
        let prepared = candidates.map { $0.lowercased() }
        var rawHits = 0
        let raw = clock.measure {
            for c in prepared where fresh.contains(normalized: c) { rawHits += 1 }
        }
        print("blocklist: \(fresh.count) entries; load \(load); \(perSecond(folded)) lookups/s with NFC + lower-casing, \(perSecond(raw)) Set lookups/s")
        #expect(hits == rawHits)
        #expect(hits > 0)
        #expect(perSecond(folded) > 10_000)
    }
}
