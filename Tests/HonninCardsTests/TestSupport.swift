import CryptoExtras
import HonninCards
import HonninTesting

/// Material shared by the card tests: one RSA-2048 key per JPKI key pair (generated once per
/// run), signers for the simulator, and certificate-shaped DER blobs.
enum CardFixtures {
    static let signatureKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let userKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static func signer(_ key: _RSA.Signing.PrivateKey) -> JPKICardSimulator.Signer { JPKICardSimulator.rsaSigner(key) }


    /// A DER-shaped blob `30 82 LL LL …` of exactly `total` bytes (or `30 81 LL` / `30 LL` when
    /// short), filled with a pattern that differs per `seed`, standing in for a certificate: the
    /// card application reads bytes and never parses X.509.
    static func certificate(total: Int, seed: UInt8) -> [UInt8] {
        let header: [UInt8]
        switch total {
        case ..<130: header = [0x30, UInt8(total - 2)]
        case 131..<259: header = [0x30, 0x81, UInt8(total - 3)]
        default:
            precondition(total >= 260, "130 and 259 bytes have no DER encoding")
            header = [0x30, 0x82, UInt8((total - 4) >> 8), UInt8((total - 4) & 0xFF)]
        }
        var body = [UInt8]()
        var x = UInt32(seed) &* 2_654_435_761 &+ 1
        for _ in 0..<(total - header.count) {
            x = x &* 1_103_515_245 &+ 12345
            body.append(UInt8(truncatingIfNeeded: x >> 16))
        }
        return header + body
    }

    static let sizes: [JPKICertificate: Int] = [
        .signature: 1843, .signatureCA: 1284, .userAuthentication: 1556, .userAuthenticationCA: 2000,
    ]

    static func configuration() -> JPKICardSimulator.Configuration {
        JPKICardSimulator.Configuration(
            signatureCertificate: certificate(total: sizes[.signature]!, seed: 1),
            signatureCACertificate: certificate(total: sizes[.signatureCA]!, seed: 2),
            userAuthenticationCertificate: certificate(total: sizes[.userAuthentication]!, seed: 3),
            userAuthenticationCACertificate: certificate(total: sizes[.userAuthenticationCA]!, seed: 4),
            signWithSignatureKey: signer(signatureKey),
            signWithUserAuthenticationKey: signer(userKey)
        )
    }

    static func simulator(
        faults: [JPKICardSimulator.Fault] = [], _ change: (inout JPKICardSimulator.Configuration) -> Void = { _ in }
    ) -> JPKICardSimulator {
        var configuration = configuration()
        change(&configuration)
        return JPKICardSimulator(configuration, faults: faults)
    }

    static func expected(_ which: JPKICertificate, in configuration: JPKICardSimulator.Configuration) -> [UInt8] {
        switch which {
        case .signature: configuration.signatureCertificate
        case .signatureCA: configuration.signatureCACertificate
        case .userAuthentication: configuration.userAuthenticationCertificate
        case .userAuthenticationCA: configuration.userAuthenticationCACertificate
        }
    }
}

