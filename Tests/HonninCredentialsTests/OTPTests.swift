import Foundation
import HonninCore
import HonninCredentials
import Testing

struct RFC4226Vectors: Decodable {
    struct Case: Decodable {
        let counter: UInt64
        let code: String
    }
    let source: String
    let secretHex: String
    let algorithm: OTPAlgorithm
    let digits: Int
    let cases: [Case]
}

struct RFC6238Vectors: Decodable {
    struct Case: Decodable {
        let time: Int64
        let stepHex: String
        let algorithm: OTPAlgorithm
        let code: String
    }
    let source: String
    let digits: Int
    let period: Int
    let seedsHex: [String: String]
    let cases: [Case]
}

extension Date {
    init(unix: Int64) { self.init(timeIntervalSince1970: TimeInterval(unix)) }
}

@Suite("HOTP (RFC 4226) and TOTP (RFC 6238)")
struct OTPTests {
    static let secret20 = Redacted(Array("12345678901234567890".utf8))

    @Test("RFC 4226 Appendix D: counters 0…9")
    func rfc4226() throws {
        let v = try CredentialVectors.load(RFC4226Vectors.self, "otp", "rfc4226.json")
        let key = try #require(Bytes.fromHex(v.secretHex))
        let hotp = try HOTP(secret: Redacted(key), algorithm: v.algorithm, digits: v.digits)
        #expect(v.cases.count == 10)
        for c in v.cases {
            #expect(hotp.code(counter: c.counter) == c.code)
            #expect(try hotp.verify(c.code, counter: c.counter) == c.counter)
        }
    }

    @Test("RFC 6238 Appendix B: 18 codes with the per-algorithm seeds (20/32/64 bytes)")
    func rfc6238() throws {
        let v = try CredentialVectors.load(RFC6238Vectors.self, "otp", "rfc6238.json")
        #expect(v.cases.count == 18)
        var seedLengths: [OTPAlgorithm: Int] = [:]
        for c in v.cases {
            let seed = try #require(v.seedsHex[c.algorithm.rawValue].flatMap(Bytes.fromHex))
            seedLengths[c.algorithm] = seed.count
            let totp = try TOTP(secret: Redacted(seed), algorithm: c.algorithm, digits: v.digits, period: v.period)
            let date = Date(unix: c.time)
            #expect(totp.step(at: date) == UInt64(c.stepHex, radix: 16))
            #expect(totp.code(at: date) == c.code, "\(c.algorithm) at \(c.time)")
            #expect(try totp.verify(c.code, at: date, lastUsedStep: nil) == .accepted(step: try #require(UInt64(c.stepHex, radix: 16))))
        }
        #expect(seedLengths == [.sha1: 20, .sha256: 32, .sha512: 64])
    }

    @Test("the 20-byte seed with SHA-256 gives a different code (the common bug is caught)")
    func seedPerAlgorithm() throws {
        let wrong = try TOTP(secret: Self.secret20, algorithm: .sha256, digits: 8)
        #expect(wrong.code(at: Date(unix: 59)) != "46119246")
    }

    @Test("±1 step window, replay refusal, and the step returned")
    func windowAndReplay() throws {
        let totp = try TOTP(secret: Self.secret20)
        let now = Date(unix: 1_700_000_015)  // step 56666667
        let step = try #require(totp.step(at: now))
        #expect(step == 56_666_667)
        let previous = totp.code(step: step - 1)
        let current = totp.code(step: step)
        let next = totp.code(step: step + 1)
        #expect(try totp.verify(previous, at: now, lastUsedStep: nil) == .accepted(step: step - 1))
        #expect(try totp.verify(next, at: now, lastUsedStep: nil) == .accepted(step: step + 1))
        #expect(try totp.verify(totp.code(step: step - 2), at: now, lastUsedStep: nil) == .rejected)
        #expect(try totp.verify(totp.code(step: step + 2), at: now, lastUsedStep: nil) == .rejected)
        // The caller stored `step`: the same code again is a replay, and so is an older one.
        #expect(try totp.verify(current, at: now, lastUsedStep: step) == .replayed(step: step))
        #expect(try totp.verify(previous, at: now, lastUsedStep: step) == .replayed(step: step - 1))
        #expect(try totp.verify(next, at: now, lastUsedStep: step) == .accepted(step: step + 1))
        // Window 0 accepts only the current step.
        #expect(try totp.verify(previous, at: now, lastUsedStep: nil, window: 0) == .rejected)
        #expect(try totp.verify(current, at: now, lastUsedStep: nil, window: 0) == .accepted(step: step))
        // A wrong code.
        let wrong = String(current.reversed()) == current ? "000000" : String(current.reversed())
        if ![previous, current, next].contains(wrong) {
            #expect(try totp.verify(wrong, at: now, lastUsedStep: nil) == .rejected)
        }
    }

    @Test("steps at the edges: time 0, before 1970, a non-finite time")
    func edges() throws {
        let totp = try TOTP(secret: Self.secret20)
        #expect(totp.step(at: Date(unix: 0)) == 0)
        #expect(try totp.verify(totp.code(step: 0), at: Date(unix: 10), lastUsedStep: nil) == .accepted(step: 0))
        #expect(totp.step(at: Date(unix: -1)) == nil)
        #expect(totp.code(at: Date(unix: -1)) == nil)
        #expect(try totp.verify(totp.code(step: 0), at: Date(unix: -100), lastUsedStep: nil) == .rejected)
        #expect(totp.step(at: Date(timeIntervalSince1970: .infinity)) == nil)
        #expect(totp.step(at: Date(timeIntervalSince1970: .nan)) == nil)
    }

    @Test("input normalisation: spaces, ideographic spaces, full-width digits")
    func normalisation() throws {
        #expect(try OTPInput.normalize("123 456", digits: 6) == "123456")
        #expect(try OTPInput.normalize("１２３４５６", digits: 6) == "123456")
        #expect(try OTPInput.normalize("１２３\u{3000}４５６", digits: 6) == "123456")
        #expect(try OTPInput.normalize(" 0 1 2 3 4 5 6 7 ", digits: 8) == "01234567")
        let totp = try TOTP(secret: Self.secret20, digits: 8)
        let fullWidth = String(String.UnicodeScalarView("94287082".unicodeScalars.map { Unicode.Scalar($0.value + 0xFEE0)! }))
        #expect(try totp.verify(fullWidth, at: Date(unix: 59), lastUsedStep: nil) == .accepted(step: 1))
    }

    @Test("malformed input is a typed error, not a rejection", arguments: [
        ("12345a", OTPInputError.notDigits),
        ("123-456", .notDigits),
        ("١٢٣٤٥٦", .notDigits),  // Arabic-Indic digits are not accepted
        ("12345", .wrongLength(expected: 6, actual: 5)),
        ("1234567", .wrongLength(expected: 6, actual: 7)),
        ("", .wrongLength(expected: 6, actual: 0)),
        ("   ", .wrongLength(expected: 6, actual: 0)),
        (String(repeating: "1", count: 65), .wrongLength(expected: 6, actual: 65)),
    ])
    func malformedInput(input: String, expected: OTPInputError) throws {
        let totp = try TOTP(secret: Self.secret20)
        #expect(throws: expected) { try totp.verify(input, at: Date(unix: 59), lastUsedStep: nil) }
        let hotp = try HOTP(secret: Self.secret20)
        #expect(throws: expected) { try hotp.verify(input, counter: 0) }
    }

    @Test("input errors have stable codes and Japanese/English messages")
    func inputMessages() {
        #expect(OTPInputError.notDigits.code == "otp_not_digits")
        #expect(OTPInputError.wrongLength(expected: 6, actual: 3).code == "otp_wrong_length")
        let m = OTPInputError.wrongLength(expected: 8, actual: 3).message
        #expect(m.id == "otp.wrong_length")
        #expect(m.ja.contains("8桁"))
        #expect(m.en.contains("8 digits"))
    }

    @Test("parameters are checked", arguments: [
        (15, 6, 30, OTPParameterError.secretTooShort(minimumBytes: 16)),
        (20, 5, 30, .digitsOutOfRange),
        (20, 9, 30, .digitsOutOfRange),
        (20, 6, 0, .periodOutOfRange),
        (20, 6, 3601, .periodOutOfRange),
    ])
    func parameters(secretBytes: Int, digits: Int, period: Int, expected: OTPParameterError) {
        #expect(throws: expected) {
            try TOTP(secret: Redacted([UInt8](repeating: 7, count: secretBytes)), digits: digits, period: period)
        }
    }

    @Test("generated secrets come from the injected source and have ≥ 160 bits")
    func generation() throws {
        for algorithm in OTPAlgorithm.allCases {
            let a = try TOTP.generate(algorithm: algorithm, random: StreamRandom(seed: "gen"))
            let b = try TOTP.generate(algorithm: algorithm, random: StreamRandom(seed: "gen"))
            let c = try TOTP.generate(algorithm: algorithm, random: StreamRandom(seed: "other"))
            #expect(a.secret.revealed == b.secret.revealed)
            #expect(a.secret.revealed != c.secret.revealed)
            #expect(a.secret.revealed.count * 8 >= 160)
            #expect(a.secret.revealed.count == algorithm.generatedSecretBytes)
        }
        #expect("\(try TOTP.generate(random: StreamRandom()).secret)" == "<redacted>")
    }

    @Test("HOTP look-ahead window returns the matched counter and stops at UInt64.max")
    func hotpLookAhead() throws {
        let hotp = try HOTP(secret: Self.secret20)
        #expect(try hotp.verify("969429", counter: 0, lookAhead: 5) == 3)
        #expect(try hotp.verify("969429", counter: 0, lookAhead: 2) == nil)
        #expect(try hotp.verify("969429", counter: 4, lookAhead: 5) == nil)
        let top = hotp.code(counter: .max)
        #expect(try hotp.verify(top, counter: .max - 1, lookAhead: 10) == .max)
    }

    @Test("7-digit codes and leading zeros")
    func sevenDigits() throws {
        let hotp = try HOTP(secret: Self.secret20, digits: 7)
        for c in UInt64(0)..<200 {
            let code = hotp.code(counter: c)
            #expect(code.count == 7)
        }
        // RFC 6238: SHA-1 at 1111111109 is 07081804 — the leading zero survives.
        let totp = try TOTP(secret: Self.secret20, digits: 8)
        #expect(totp.code(at: Date(unix: 1_111_111_109)) == "07081804")
    }
}
