import Crypto
import Foundation
import HonninWebAuthn
import Testing

/// The ES256 signature reader against swift-crypto's (BoringSSL's `ECDSA_SIG_from_bytes`) on the
/// same bytes: real signatures, hand-made edge cases, and mutations of both.
@Suite("ECDSA Ecdsa-Sig-Value DER → r ‖ s")
struct ECDSASignatureDERTests {
    static func theirs(_ der: [UInt8]) -> [UInt8]? {
        (try? P256.Signing.ECDSASignature(derRepresentation: der)).map { Array($0.rawRepresentation) }
    }

    static func integer(_ magnitude: [UInt8]) -> [UInt8] {
        var value = Array(magnitude.drop(while: { $0 == 0 }))
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return [0x02, UInt8(value.count)] + value
    }

    static func sequence(_ r: [UInt8], _ s: [UInt8]) -> [UInt8] {
        let body = integer(r) + integer(s)
        return [0x30, UInt8(body.count)] + body
    }

    @Test func realSignaturesReadAsSwiftCryptoReadsThem() throws {
        let key = P256.Signing.PrivateKey()
        var shortScalars = 0
        for i in 0..<3000 {
            let der = Array(try key.signature(for: Array("message \(i)".utf8)).derRepresentation)
            let ours = try #require(ECDSASignatureDER.raw(der, scalarSize: 32))
            #expect(ours == Self.theirs(der))
            if der[3] < 33 || der[3 + Int(der[3]) + 2] < 33 { shortScalars += 1 }
        }
        #expect(shortScalars > 0, "no r or s without its sign byte came up")
    }

    @Test func edgeCases() {
        let high = [UInt8](repeating: 0xff, count: 32)
        let one: [UInt8] = [1]
        let shortR = [UInt8](repeating: 0x11, count: 20)
        for (r, s) in [(high, high), (one, one), (shortR, high), (high, one)] {
            let der = Self.sequence(r, s)
            let ours = ECDSASignatureDER.raw(der, scalarSize: 32)
            #expect(ours != nil && ours == Self.theirs(der))
            #expect(ours.map { Array($0[0..<32].drop(while: { $0 == 0 })) } == r && ours.map { Array($0[32...]) }?.drop(while: { $0 == 0 }).elementsEqual(s) == true)
        }
        let good = Self.sequence(high, one)
        let refused: [(String, [UInt8])] = [
            ("empty", []),
            ("trailing byte", good + [0]),
            ("truncated", Array(good.dropLast())),
            ("long-form sequence length", [0x30, 0x81, good[1]] + good[2...]),
            ("set, not sequence", [0x31] + good[1...]),
            ("negative r", [0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01]),
            ("r with a needless zero", [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01]),
            ("empty r", [0x30, 0x05, 0x02, 0x00, 0x02, 0x01, 0x01]),
            ("zero r", [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01]),
            ("33-byte r", Self.sequence([UInt8](repeating: 0x7f, count: 33), one)),
            ("three integers", [0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
            ("one integer", [0x30, 0x03, 0x02, 0x01, 0x01] + [0, 0, 0]),
            ("octet string for s", [0x30, 0x06, 0x02, 0x01, 0x01, 0x04, 0x01, 0x01]),
        ]
        for (name, der) in refused {
            #expect(ECDSASignatureDER.raw(der, scalarSize: 32) == nil, "\(name)")
        }
        #expect(ECDSASignatureDER.raw(good, scalarSize: 0) == nil)
        #expect(ECDSASignatureDER.raw(good, scalarSize: 66) == nil)
    }

    /// Every byte changed, dropped or added in signatures: whatever we accept, swift-crypto reads
    /// to the same r ‖ s; whatever it accepts and we refuse has a zero scalar (which no verifier
    /// accepts anyway).
    @Test func mutationsAgreeWithSwiftCrypto() throws {
        let key = P256.Signing.PrivateKey()
        var generator = SystemRandomNumberGenerator()
        var compared = 0
        for i in 0..<60 {
            let der = Array(try key.signature(for: Array("mutate \(i)".utf8)).derRepresentation)
            var variants: [[UInt8]] = []
            for at in der.indices {
                var changed = der
                changed[at] = UInt8.random(in: 0...255, using: &generator)
                variants.append(changed)
                var flipped = der
                flipped[at] ^= 0x80
                variants.append(flipped)
                variants.append(Array(der[..<at]))
                var inserted = der
                inserted.insert(0, at: at)
                variants.append(inserted)
            }
            for v in variants {
                let ours = ECDSASignatureDER.raw(v, scalarSize: 32)
                let theirs = Self.theirs(v)
                if let ours {
                    #expect(ours == theirs, "\(v)")
                } else if let theirs {
                    #expect(theirs[..<32].allSatisfy { $0 == 0 } || theirs[32...].allSatisfy { $0 == 0 }, "\(v)")
                }
                compared += 1
            }
        }
        #expect(compared > 10_000)
    }
}
