import CryptoExtras
import Foundation
import HonninCore
import HonninPKI
import HonninTesting
import Synchronization
import X509

/// Shared test values: one PKI per process (keys come from `TestKeys`, so this is fast).
enum Fixture {
    static let pki: TestRevocationPKI? = try? TestRevocationPKI()
    /// 2027-01-01T00:00:00Z, when test CRLs are issued.
    static let issued = Date(timeIntervalSince1970: 1_798_761_600)
    /// 2027-01-02T00:00:00Z, the query time of the suites.
    static let queryTime = Date(timeIntervalSince1970: 1_798_848_000)
    static let week: TimeInterval = 7 * 86_400
    static let chiyoda = TestRevocationPKI.distributionPointName(prefecture: "Tokyo", municipality: "Chiyoda")
    static let minato = TestRevocationPKI.distributionPointName(prefecture: "Tokyo", municipality: "Minato")

    static func issuer(_ pki: TestRevocationPKI) -> TestCRLIssuer {
        TestCRLIssuer(key: .rsaSHA256(pki.rootKey), authorityKeyIdentifier: TestRevocationPKI.keyIdentifier(of: pki.rootKey.publicKey))
    }
}

/// A clock the test moves by hand, at the fixtures' query time unless told otherwise.
func TestClock(_ date: Date = Fixture.queryTime) -> FixedClock { FixedClock(date) }

/// Repeats one byte pattern, so a nonce is predictable in a test.
struct TestFixedRandom: RandomSource {
    var byte: UInt8 = 0x5A
    func bytes(_ count: Int) -> [UInt8] { Array(repeating: byte, count: count) }
}

/// A fresh temporary folder (``TemporaryDirectory``) that CRL files are written into.
typealias TestFolder = TemporaryDirectory

extension TemporaryDirectory {
    init() throws { try self.init("honnin-crl") }
    func write(_ name: String, _ bytes: [UInt8]) throws { try Data(bytes).write(to: url.appendingPathComponent(name)) }
}

extension RevocationStatus {
    var isGood: Bool { if case .good = self { true } else { false } }
    var revokedReason: RevocationReason? { if case .revoked(let r, _, _) = self { r } else { nil } }
}
