import Crypto
import CryptoExtras
import Foundation
import HonninCore
import HonninWebAuthn
import Testing
import X509

@Suite("COSE keys (RFC 9052/9053, WebAuthn §6.5.1.1)")
struct COSEKeyTests {
    static func ec2(crv: Int, alg: Int, x963: [UInt8], size: Int) -> CBORValue {
        .map([
            CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(3), .int(alg)), CBORMapEntry(.int(-1), .int(crv)),
            CBORMapEntry(.int(-2), .bytes(Array(x963[1...size]))), CBORMapEntry(.int(-3), .bytes(Array(x963[(size + 1)...]))),
        ])
    }

    func code(_ value: CBORValue) -> WebAuthnError.Code? {
        webAuthnCode(sync: { () throws(WebAuthnError) in _ = try COSEKey(cbor: value) })
    }

    /// Keys of every supported type convert to swift-certificates keys that verify their own
    /// signatures, and survive SubjectPublicKeyInfo storage.
    @Test func supportedKeysVerifyAndRoundTrip() throws {
        let message = Array("signed data".utf8)
        let p256 = P256.Signing.PrivateKey()
        let p384 = P384.Signing.PrivateKey()
        let p521 = P521.Signing.PrivateKey()
        let ed = Curve25519.Signing.PrivateKey()
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let rsaPrimitives = try rsa.publicKey.getKeyPrimitives()
        let cases: [(CBORValue, COSEAlgorithm, [UInt8])] = [
            (Self.ec2(crv: 1, alg: -7, x963: Array(p256.publicKey.x963Representation), size: 32), .es256, Array(try p256.signature(for: message).derRepresentation)),
            (Self.ec2(crv: 2, alg: -35, x963: Array(p384.publicKey.x963Representation), size: 48), .es384, Array(try p384.signature(for: message).derRepresentation)),
            (Self.ec2(crv: 3, alg: -36, x963: Array(p521.publicKey.x963Representation), size: 66), .es512, Array(try p521.signature(for: message).derRepresentation)),
            (
                .map([
                    CBORMapEntry(.int(1), .int(1)), CBORMapEntry(.int(3), .int(-8)), CBORMapEntry(.int(-1), .int(6)),
                    CBORMapEntry(.int(-2), .bytes(Array(ed.publicKey.rawRepresentation))),
                ]), .eddsa, Array(try ed.signature(for: message))
            ),
            (
                .map([
                    CBORMapEntry(.int(1), .int(3)), CBORMapEntry(.int(3), .int(-257)), CBORMapEntry(.int(-1), .bytes(Array(rsaPrimitives.modulus))),
                    CBORMapEntry(.int(-2), .bytes(Array(rsaPrimitives.publicExponent))),
                ]), .rs256, Array(try rsa.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation)
            ),
        ]
        for (cose, alg, signature) in cases {
            let key = try COSEKey(bytes: CBOREncoder.encode(cose))
            #expect(key.algorithm == alg)
            #expect(alg.verify(signature, over: message, with: key.publicKey))
            #expect(!alg.verify(signature, over: message + [0], with: key.publicKey))
            let spki = key.subjectPublicKeyInfo
            #expect(!spki.isEmpty)
            let back = try COSEKey(subjectPublicKeyInfo: spki, algorithm: alg)
            #expect(back == key)
            #expect(back.publicKey == key.publicKey)
            #expect(try COSEKey(cbor: key.cbor) == key)
        }
    }

    /// The §6.5.1.1 example of an EC2 key, from the W3C §16 none-es256 vector.
    @Test func specExampleKey() throws {
        let hex = "a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220"
        let key = try COSEKey(bytes: try #require(Bytes.fromHex(hex)))
        guard case .ec2(let curve, let x, _) = key.parameters else { Issue.record("not EC2"); return }
        #expect(curve == .p256)
        #expect(Bytes.hex(x) == "afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61")
        #expect(Bytes.hex(CBOREncoder.encode(key.cbor)) == hex)
    }

    @Test func malformedKeysAreRefused() throws {
        let p256 = Array(P256.Signing.PrivateKey().publicKey.x963Representation)
        let good = Self.ec2(crv: 1, alg: -7, x963: p256, size: 32)
        #expect(code(good) == nil)
        // Point not on the curve: y + 1.
        var offCurve = p256
        offCurve[64] ^= 0x01
        #expect(code(Self.ec2(crv: 1, alg: -7, x963: offCurve, size: 32)) == .malformed)
        // All-zero point.
        #expect(code(Self.ec2(crv: 1, alg: -7, x963: [4] + [UInt8](repeating: 0, count: 64), size: 32)) == .malformed)
        // Curve and algorithm disagree.
        #expect(code(Self.ec2(crv: 1, alg: -35, x963: p256, size: 32)) == .malformed)
        // Short coordinate (leading zero dropped).
        #expect(
            code(
                .map([
                    CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(3), .int(-7)), CBORMapEntry(.int(-1), .int(1)),
                    CBORMapEntry(.int(-2), .bytes(Array(p256[2...32]))), CBORMapEntry(.int(-3), .bytes(Array(p256[33...]))),
                ])) == .malformed)
        // Compressed y (a boolean) is not accepted.
        #expect(
            code(
                .map([
                    CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(3), .int(-7)), CBORMapEntry(.int(-1), .int(1)),
                    CBORMapEntry(.int(-2), .bytes(Array(p256[1...32]))), CBORMapEntry(.int(-3), .bool(true)),
                ])) == .malformed)
        // Missing alg, missing kty, text kty, unknown kty, unknown or SHA-1 alg.
        #expect(code(.map(good.mapValue!.filter { $0.key != .int(3) })) == .malformed)
        #expect(code(.map(good.mapValue!.filter { $0.key != .int(1) })) == .malformed)
        #expect(code(.map(good.mapValue!.map { $0.key == .int(1) ? CBORMapEntry(.int(1), .text("EC2")) : $0 })) == .malformed)
        #expect(code(.map(good.mapValue!.map { $0.key == .int(1) ? CBORMapEntry(.int(1), .int(4)) : $0 })) == .algorithmNotAllowed)
        #expect(code(.map(good.mapValue!.map { $0.key == .int(3) ? CBORMapEntry(.int(3), .int(-50)) : $0 })) == .algorithmNotAllowed)
        #expect(code(.map(good.mapValue!.map { $0.key == .int(3) ? CBORMapEntry(.int(3), .int(-65535)) : $0 })) == .algorithmNotAllowed)
        #expect(code(.int(1)) == .malformed)
        // Ed448 (crv 7) is not supported; an Ed25519 key of the wrong length is malformed.
        #expect(
            code(.map([CBORMapEntry(.int(1), .int(1)), CBORMapEntry(.int(3), .int(-8)), CBORMapEntry(.int(-1), .int(7)), CBORMapEntry(.int(-2), .bytes([UInt8](repeating: 1, count: 57)))]))
                == .algorithmNotAllowed)
        #expect(
            code(.map([CBORMapEntry(.int(1), .int(1)), CBORMapEntry(.int(3), .int(-8)), CBORMapEntry(.int(-1), .int(6)), CBORMapEntry(.int(-2), .bytes([UInt8](repeating: 1, count: 31)))]))
                == .malformed)
        // RSA below 2048 bits, and an RSA key with an EC algorithm.
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey.getKeyPrimitives()
        #expect(
            code(
                .map([
                    CBORMapEntry(.int(1), .int(3)), CBORMapEntry(.int(3), .int(-257)), CBORMapEntry(.int(-1), .bytes(Array(small.modulus))),
                    CBORMapEntry(.int(-2), .bytes(Array(small.publicExponent))),
                ])) == .malformed)
        let big = try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey.getKeyPrimitives()
        #expect(
            code(
                .map([
                    CBORMapEntry(.int(1), .int(3)), CBORMapEntry(.int(3), .int(-7)), CBORMapEntry(.int(-1), .bytes(Array(big.modulus))),
                    CBORMapEntry(.int(-2), .bytes(Array(big.publicExponent))),
                ])) == .malformed)
        // A 2048-bit-long byte string whose value is small (leading zeros) is still too short.
        #expect(
            code(
                .map([
                    CBORMapEntry(.int(1), .int(3)), CBORMapEntry(.int(3), .int(-257)),
                    CBORMapEntry(.int(-1), .bytes([UInt8](repeating: 0, count: 128) + Array(small.modulus))),
                    CBORMapEntry(.int(-2), .bytes(Array(small.publicExponent))),
                ])) == .malformed)
        // Storage form and algorithm must agree.
        let key = try COSEKey(cbor: good)
        #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try COSEKey(subjectPublicKeyInfo: key.subjectPublicKeyInfo, algorithm: .rs256) }) == .malformed)
        #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try COSEKey(subjectPublicKeyInfo: [0x30, 0x00], algorithm: .es256) }) == .malformed)
        #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try COSEKey(bytes: CBOREncoder.encode(good) + [0]) }) == .malformed)
    }
}
