import Foundation
import HonninCore
import HonninPKI
import HonninTesting
import Testing

/// JPKI-shaped certificates written by PyCA `cryptography` (Tests/Vectors/jpki/README.md): Honnin
/// must read the attributes another implementation wrote, identically, and refuse the bad ones.
@Suite("JPKI certificates made by PyCA")
struct PyCAInteropTests {
    struct Expected: Decodable {
        struct Attributes: Decodable {
            let name: String
            let nameSubstitute: String?
            let gender: String
            let birth: String
            let birthdate: String?
            let address: String
            let addressSubstitute: String?
        }
        let file: String
        let serial: Int
        let expect: Attributes?
        let error: String?
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Vectors/jpki").standardized

    @Test("attributes extracted identically; duplicate and missing entries refused")
    func vectors() async throws {
        let trust = try JPKITrustStore(roots: []).adding(directory: Self.folder.appendingPathComponent("roots"))
        #expect(trust.roots.count == 1 && trust.roots[0].kind == .signature)
        let verifier = JPKIVerifier(trust: trust, revocation: TestRevocationProvider.good())
        let expected = try JSONDecoder().decode([Expected].self, from: Data(contentsOf: Self.folder.appendingPathComponent("expected.json")))
        #expect(expected.count == 4)
        for v in expected {
            let der = Array(try Data(contentsOf: Self.folder.appendingPathComponent(v.file)))
            do {
                let verified = try await verifier.verifyCertificate(der: der, kind: .signature, at: now)
                let a = try #require(verified.attributes)
                let e = try #require(v.expect, "\(v.file) was accepted")
                #expect(a.name == e.name && a.nameSubstitute == e.nameSubstitute && a.genderCode == e.gender, "\(v.file)")
                #expect(a.address == e.address && a.addressSubstitute == e.addressSubstitute, "\(v.file)")
                #expect(a.birthDate == JPKIBirthDate(e.birth) && a.person.birthdate?.description == e.birthdate, "\(v.file)")
                #expect(verified.serial == String(v.serial, radix: 16).leftPadded(to: 6), "\(v.file)")
            } catch let failure as JPKIFailure {
                #expect(failure.code.rawValue == v.error, "\(v.file): \(failure)")
            }
        }
    }
}

extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
