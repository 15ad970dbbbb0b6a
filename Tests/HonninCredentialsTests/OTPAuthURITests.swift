import Foundation
import HonninCore
import HonninCredentials
import Testing

struct PyOTPVectors: Decodable {
    struct Code: Decodable {
        let time: Int64
        let code: String
    }
    struct Entry: Decodable {
        let uri: String
        let secretBase32: String
        let algorithm: OTPAlgorithm
        let digits: Int
        let period: Int
        let issuer: String?
        let account: String
        let codes: [Code]
    }
    let fromPyotp: [Entry]
    let honninShape: [Entry]
}

@Suite("otpauth URIs (Key Uri Format) and the pyotp cross-check")
struct OTPAuthURITests {
    static let secret = Redacted(Array("12345678901234567890".utf8))

    @Test("encodes the documented shape with every parameter")
    func encode() throws {
        let uri = try OTPAuthURI(kind: .totp(period: 30), issuer: "Example", accountName: "alice@google.com", secret: Self.secret)
        #expect(
            uri.string.revealed
                == "otpauth://totp/Example:alice@google.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example&algorithm=SHA1&digits=6&period=30")
        #expect("\(uri.string)" == "<redacted>")
        let hotp = try OTPAuthURI(
            kind: .hotp(counter: 7), issuer: nil, accountName: "a b+c", secret: Self.secret, algorithm: .sha512, digits: 8)
        #expect(hotp.string.revealed == "otpauth://hotp/a%20b%2Bc?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA512&digits=8&counter=7")
    }

    @Test("Japanese issuer and account names survive a round trip, percent-encoded as UTF-8")
    func japanese() throws {
        let totp = try TOTP.generate(algorithm: .sha256, digits: 8, period: 60, random: StreamRandom(seed: "uri"))
        let uri = try OTPAuthURI(totp: totp, issuer: "本人確認サービス", accountName: "山田 太郎")
        let text = uri.string.revealed
        #expect(text.hasPrefix("otpauth://totp/%E6%9C%AC%E4%BA%BA%E7%A2%BA%E8%AA%8D%E3%82%B5%E3%83%BC%E3%83%93%E3%82%B9:%E5%B1%B1%E7%94%B0%20%E5%A4%AA%E9%83%8E?secret="))
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII })
        let back = try OTPAuthURI.parse(text)
        #expect(back == uri)
        #expect(back.issuer == "本人確認サービス")
        #expect(back.accountName == "山田 太郎")
        let again = try #require(back.totp())
        #expect(again.code(at: Date(unix: 1_700_000_000)) == totp.code(at: Date(unix: 1_700_000_000)))
        #expect(back.hotp() == nil)
    }

    @Test("parses the documented variants: %3A separator, spaces before the account, defaults, HOTP")
    func variants() throws {
        let a = try OTPAuthURI.parse("otpauth://totp/Big%20Corporation%3A%20alice@bigco.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        #expect(a.issuer == "Big Corporation")
        #expect(a.accountName == "alice@bigco.com")
        #expect(a.kind == .totp(period: 30))
        #expect(a.algorithm == .sha1)
        #expect(a.digits == 6)
        let b = try OTPAuthURI.parse("OTPAUTH://TOTP/alice?secret=jbswy3dpehpk3pxpjbswy3dpehpk3pxp&issuer=Big+Corp&image=https%3A%2F%2Fx")
        #expect(b.issuer == "Big Corp")
        #expect(b.accountName == "alice")
        let c = try OTPAuthURI.parse("otpauth://hotp/Example:bob?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=42&digits=8&algorithm=sha256")
        #expect(c.kind == .hotp(counter: 42))
        #expect(c.digits == 8)
        #expect(c.algorithm == .sha256)
        #expect(c.totp() == nil)
        #expect(try #require(c.hotp()).counter == 42)
        // Padding in the secret is tolerated.
        let bytes = [UInt8](repeating: 0xAB, count: 17)
        let padded = Base32.encode(bytes, padding: true)
        #expect(padded.hasSuffix("===="))
        let d = try OTPAuthURI.parse("otpauth://totp/x?secret=\(padded)")
        #expect(d.secret.revealed == bytes)
    }

    @Test("malformed URIs are refused with typed errors", arguments: [
        ("https://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", OTPAuthURIError.notOTPAuth),
        ("otpauth://", .notOTPAuth),
        ("otpauth://totp", .malformed),
        ("otpauth://totp/?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .malformed),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP#frag", .malformed),
        ("otpauth://totp/x?secret", .malformed),
        ("otpauth://motp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .unknownType),
        ("otpauth://totp/a:b:c?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .colonInName),
        ("otpauth://totp/a%3Ab%3Ac?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .colonInName),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=x%3Ay", .colonInName),
        ("otpauth://totp/:bob?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .invalidName),
        ("otpauth://totp/Example:?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .invalidName),
        ("otpauth://totp/a%0Ab?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .invalidName),
        ("otpauth://totp/a%ZZ?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .invalidEncoding),
        ("otpauth://totp/a%4?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .invalidEncoding),
        ("otpauth://totp/a%FF%FE?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .invalidEncoding),
        ("otpauth://totp/a?issuer=x", .missingSecret),
        ("otpauth://totp/a?secret=", .missingSecret),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PX1", .invalidSecret(.invalidCharacter(offset: 15))),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP", .secretTooShort),
        ("otpauth://totp/Example:a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Other", .issuerMismatch),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&algorithm=MD5", .unsupportedAlgorithm),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&digits=10", .invalidDigits),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&digits=%2B6", .invalidDigits),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&digits=", .invalidDigits),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&period=0", .invalidPeriod),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&period=99999999999999999999999", .invalidPeriod),
        ("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", .missingCounter),
        ("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=-1", .invalidCounter),
        ("otpauth://hotp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=18446744073709551616", .invalidCounter),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&secret=MZXW6YTBOIMZXW6YTBOIMZXW6YTBOI", .duplicateParameter("secret")),
        ("otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&digits=6&digits=8", .duplicateParameter("digits")),
    ])
    func malformed(text: String, expected: OTPAuthURIError) {
        #expect(throws: expected) { try OTPAuthURI.parse(text) }
    }

    @Test("overlong input is refused before parsing")
    func tooLong() {
        let text = "otpauth://totp/" + String(repeating: "a", count: 5000) + "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        #expect(throws: OTPAuthURIError.tooLong) { try OTPAuthURI.parse(text) }
        #expect(OTPAuthURIError.tooLong.code == "otpauth_too_long")
        #expect(OTPAuthURIError.invalidSecret(.nonCanonical).code == "otpauth_invalid_secret")
    }

    @Test("building refuses names the format cannot carry")
    func buildChecks() {
        #expect(throws: OTPAuthURIError.colonInName) {
            try OTPAuthURI(kind: .totp(period: 30), issuer: "a:b", accountName: "x", secret: Self.secret)
        }
        #expect(throws: OTPAuthURIError.invalidName) {
            try OTPAuthURI(kind: .totp(period: 30), issuer: nil, accountName: "", secret: Self.secret)
        }
        #expect(throws: OTPAuthURIError.secretTooShort) {
            try OTPAuthURI(kind: .totp(period: 30), issuer: nil, accountName: "x", secret: Redacted([1, 2, 3]))
        }
        #expect(throws: OTPAuthURIError.invalidPeriod) {
            try OTPAuthURI(kind: .totp(period: 0), issuer: nil, accountName: "x", secret: Self.secret)
        }
    }

    @Test("pyotp's URIs parse here and its codes verify here (Tests/Vectors/otp/pyotp.json)")
    func fromPyotp() throws {
        let v = try CredentialVectors.load(PyOTPVectors.self, "otp", "pyotp.json")
        #expect(v.fromPyotp.count == 24)
        var checked = 0
        for e in v.fromPyotp {
            let uri = try OTPAuthURI.parse(e.uri)
            #expect(uri.issuer == e.issuer)
            #expect(uri.accountName == e.account)
            #expect(uri.algorithm == e.algorithm)
            #expect(uri.digits == e.digits)
            #expect(uri.kind == .totp(period: e.period))
            #expect(Base32.encode(uri.secret.revealed) == e.secretBase32)
            let totp = try #require(uri.totp())
            for c in e.codes {
                #expect(totp.code(at: Date(unix: c.time)) == c.code, "\(e.uri) at \(c.time)")
                let verdict = try totp.verify(c.code, at: Date(unix: c.time), lastUsedStep: nil)
                #expect(verdict == .accepted(step: UInt64(c.time) / UInt64(e.period)))
                checked += 1
            }
        }
        #expect(checked == 24 * 8)
    }

    @Test("our encoder writes exactly the URIs that pyotp.parse_uri read in pyotp.json, and we agree on the codes")
    func honninShape() throws {
        let v = try CredentialVectors.load(PyOTPVectors.self, "otp", "pyotp.json")
        #expect(v.honninShape.count == 24)
        for e in v.honninShape {
            let secret = try Base32.decode(e.secretBase32)
            let totp = try TOTP(secret: Redacted(secret), algorithm: e.algorithm, digits: e.digits, period: e.period)
            let uri = try OTPAuthURI(totp: totp, issuer: e.issuer, accountName: e.account)
            #expect(uri.string.revealed == e.uri)
            for c in e.codes {
                #expect(totp.code(at: Date(unix: c.time)) == c.code)
            }
        }
    }
}
