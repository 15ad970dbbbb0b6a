import Foundation
import HonninCore
@testable import HonninCredentials
import Testing

struct RFC7914Vectors: Decodable {
    struct Case: Decodable {
        let password: String
        let salt: String
        let logN: Int
        let r: Int
        let p: Int
        let derivedKeyHex: String
    }
    let source: String
    let cases: [Case]
}

struct PythonScryptVectors: Decodable {
    struct Case: Decodable {
        let label: String
        let passwordNFC: String
        let passwordNFD: String
        let phc: String
    }
    let cases: [Case]
}

@Suite("scrypt password hashing (RFC 7914, PHC strings)")
struct PasswordHashTests {
    @Test("RFC 7914 §12 vectors for the KDF (N = 16, 1024, 16384; the N = 2^20 one is skipped: 1 GiB)")
    func rfc7914() throws {
        let v = try CredentialVectors.load(RFC7914Vectors.self, "scrypt", "rfc7914.json")
        #expect(v.cases.map(\.logN) == [4, 10, 14])
        for c in v.cases {
            let dk = try PasswordHasher.scrypt(
                Array(c.password.utf8), salt: Array(c.salt.utf8), logN: c.logN, r: c.r, p: c.p, outputBytes: 64)
            #expect(Bytes.hex(dk) == c.derivedKeyHex, "N=2^\(c.logN)")
        }
    }

    @Test("hashes from Python's hashlib.scrypt verify here, also from NFD input; wrong passwords do not")
    func pythonInterop() throws {
        let v = try CredentialVectors.load(PythonScryptVectors.self, "scrypt", "python-hashlib.json")
        #expect(v.cases.count == 4)
        for c in v.cases {
            #expect(PasswordHasher.verify(Redacted(c.passwordNFC), against: c.phc), "\(c.label)")
            #expect(PasswordHasher.verify(Redacted(c.passwordNFD), against: c.phc), "\(c.label) NFD")
            #expect(!PasswordHasher.verify(Redacted(c.passwordNFC + " "), against: c.phc))
            #expect(!PasswordHasher.verify(Redacted(String(c.passwordNFC.dropLast())), against: c.phc))
        }
        #expect(v.cases.contains { !$0.passwordNFC.unicodeScalars.elementsEqual($0.passwordNFD.unicodeScalars) })
    }

    @Test("needsRehash: weaker N, r or p than the current parameters, or an unreadable string")
    func needsRehash() throws {
        let v = try CredentialVectors.load(PythonScryptVectors.self, "scrypt", "python-hashlib.json")
        let byLabel = Dictionary(uniqueKeysWithValues: v.cases.map { ($0.label, $0.phc) })
        let standard = PasswordHasher()
        #expect(standard.parameters == .standard)
        #expect(try standard.needsRehash(#require(byLabel["ascii-ln10"])))
        #expect(try !standard.needsRehash(#require(byLabel["standard-ln15"])))
        #expect(try standard.needsRehash(#require(byLabel["p2-ln11"])))  // r = 4 < 8
        let small = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1))
        #expect(try !small.needsRehash(#require(byLabel["ascii-ln10"])))
        #expect(small.needsRehash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"))
        #expect(small.needsRehash("garbage"))
    }

    @Test("our hashes round-trip, embed their parameters and a 16-byte salt from the injected source")
    func roundTrip() throws {
        let hasher = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1), random: StreamRandom(seed: "hash"))
        let stored = try hasher.hash(Redacted("パスワード ünïcödé 本人確認"))
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        let parts = stored.split(separator: "$")
        #expect(parts.count == 4)
        #expect(PasswordHasher.unb64(parts[2])?.count == 16)
        #expect(PasswordHasher.verify(Redacted("パスワード ünïcödé 本人確認"), against: stored))
        #expect(!PasswordHasher.verify(Redacted("パスワード unicode 本人確認"), against: stored))
        let again = try hasher.hash(Redacted("パスワード ünïcödé 本人確認"))
        #expect(again != stored)  // a new salt each time
    }

    @Test("no truncation: passwords differing only in the last of 256 characters differ")
    func noTruncation() throws {
        let hasher = PasswordHasher(parameters: .init(logN: 10, r: 8, p: 1), random: StreamRandom(seed: "trunc"))
        let base = String(repeating: "長い", count: 127) + "あ"
        let stored = try hasher.hash(Redacted(base + "い"))
        #expect(PasswordHasher.verify(Redacted(base + "い"), against: stored))
        #expect(!PasswordHasher.verify(Redacted(base + "う"), against: stored))
    }

    @Test("malformed stored strings never verify", arguments: [
        "", "$scrypt$", "$scrypt$ln=10,r=8,p=1$$", "$scrypt$ln=9,r=8,p=1$c2FsdHNhbHQ$UKQiHQAaOn1ohWCdW3ODyb+o1x9IFtJEohHckBSRl74",
        "$scrypt$ln=23,r=8,p=1$c2FsdHNhbHQ$UKQiHQAaOn1ohWCdW3ODyb+o1x9IFtJEohHckBSRl74",
        "$scrypt$ln=10,r=8$c2FsdHNhbHQ$UKQiHQAaOn1ohWCdW3ODyb+o1x9IFtJEohHckBSRl74",
        "$scrypt$ln=10,r=8,p=1$c2Fs$UKQiHQAaOn1ohWCdW3ODyb+o1x9IFtJEohHckBSRl74",
        "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHQ$UKQiHQAaOn1o",
        "$scrypt$ln=10,r=8,p=1$c2FsdHNhbHQ$!!!!",
        "$scrypt$ln=x,r=8,p=1$c2FsdHNhbHQ$UKQiHQAaOn1ohWCdW3ODyb+o1x9IFtJEohHckBSRl74",
        "$bcrypt$ln=10,r=8,p=1$c2FsdHNhbHQ$UKQiHQAaOn1ohWCdW3ODyb+o1x9IFtJEohHckBSRl74",
    ])
    func malformedStored(stored: String) {
        #expect(!PasswordHasher.verify(Redacted("correct horse battery staple"), against: stored))
    }
}
