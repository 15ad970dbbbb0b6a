import Crypto
import CryptoExtras
import Foundation
import SwiftASN1
import X509

/// A credential public key in COSE_Key form (RFC 9052 §7, RFC 9053 §7; WebAuthn §6.5.1.1), checked
/// and converted to a `Certificate.PublicKey` for signature verification.
///
/// Accepted (WebAuthn §6.5.1.1 examples; `alg` is required and must fit the key):
/// - EC2 (kty 2): crv 1/2/3 (P-256/384/521) with alg ES256/ES384/ES512, x and y of the curve's
///   size (leading zeros kept, RFC 9053 §7.1.1); the point must be on the curve;
/// - OKP (kty 1): crv 6 (Ed25519) with alg EdDSA (-8), x of 32 bytes (Ed448 is not supported);
/// - RSA (kty 3): n and e with alg RS256/RS384/RS512 and a modulus of at least 2048 bits.
public struct COSEKey: Sendable, Hashable {
    /// COSE key type parameters by kty (IANA "COSE Key Types").
    public enum Parameters: Sendable, Hashable {
        case ec2(curve: EC2Curve, x: [UInt8], y: [UInt8])
        case okp(curve: OKPCurve, x: [UInt8])
        case rsa(n: [UInt8], e: [UInt8])
    }

    /// IANA "COSE Elliptic Curves" for kty EC2.
    public enum EC2Curve: Int, Sendable, Hashable {
        case p256 = 1
        case p384 = 2
        case p521 = 3

        /// Bytes in one coordinate.
        public var coordinateLength: Int {
            switch self {
            case .p256: 32
            case .p384: 48
            case .p521: 66
            }
        }

        var algorithm: COSEAlgorithm {
            switch self {
            case .p256: .es256
            case .p384: .es384
            case .p521: .es512
            }
        }
    }

    /// IANA "COSE Elliptic Curves" for kty OKP: only the signing curve WebAuthn uses.
    public enum OKPCurve: Int, Sendable, Hashable {
        case ed25519 = 6
    }

    /// COSE key labels (RFC 9052 §7.1, RFC 9053 §7, RFC 8230 §4).
    enum Label {
        static let kty = 1
        static let alg = 3
        static let crv = -1
        static let x = -2
        static let y = -3
        static let n = -1
        static let e = -2
    }

    public let algorithm: COSEAlgorithm
    public let parameters: Parameters
    /// The same key for `COSEAlgorithm.verify(_:over:with:)` and X.509 comparisons.
    public let publicKey: Certificate.PublicKey

    /// Decodes and checks a COSE_Key from its CBOR encoding (trailing bytes refused).
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        let value: CBORValue
        do throws(CBORError) {
            value = try CBORDecoder().decode(bytes)
        } catch {
            throw WebAuthnError(.malformed, "credential public key: \(error)")
        }
        try self.init(cbor: value)
    }

    /// Checks a decoded COSE_Key.
    public init(cbor: CBORValue) throws(WebAuthnError) {
        guard case .map = cbor else { throw WebAuthnError(.malformed, "COSE key is not a map") }
        guard let kty = cbor[Label.kty]?.intValue else {
            throw WebAuthnError(.malformed, "COSE key has no integer kty (label 1)")
        }
        guard let algValue = cbor[Label.alg] else {
            throw WebAuthnError(.malformed, "COSE key has no alg (label 3)")
        }
        guard let algID = algValue.intValue else {
            throw WebAuthnError(.malformed, "COSE key alg is not an integer")
        }
        guard let alg = COSEAlgorithm(rawValue: algID), alg != .rs1 else {
            throw WebAuthnError(.algorithmNotAllowed, "COSE algorithm \(algID) is not supported for credential keys")
        }
        func bytes(_ label: Int, _ name: String) throws(WebAuthnError) -> [UInt8] {
            guard let b = cbor[label]?.bytesValue else {
                throw WebAuthnError(.malformed, "COSE key has no byte string \(name) (label \(label))")
            }
            return b
        }

        switch kty {
        case 2:
            guard let crvID = cbor[Label.crv]?.intValue, let curve = EC2Curve(rawValue: crvID) else {
                throw WebAuthnError(.malformed, "EC2 key curve is missing or not P-256, P-384 or P-521")
            }
            guard alg == curve.algorithm else {
                throw WebAuthnError(.malformed, "EC2 key on curve \(curve) does not fit alg \(alg.rawValue)")
            }
            let x = try bytes(Label.x, "x")
            // y may be a boolean in COSE (compressed point); WebAuthn keys carry both coordinates.
            let y = try bytes(Label.y, "y")
            guard x.count == curve.coordinateLength, y.count == curve.coordinateLength else {
                throw WebAuthnError(.malformed, "EC2 coordinates are \(x.count) and \(y.count) bytes, not \(curve.coordinateLength)")
            }
            parameters = .ec2(curve: curve, x: x, y: y)
            publicKey = try Self.ecKey(curve: curve, x963: [0x04] + x + y)
        case 1:
            guard let crvID = cbor[Label.crv]?.intValue else {
                throw WebAuthnError(.malformed, "OKP key has no curve")
            }
            guard let curve = OKPCurve(rawValue: crvID) else {
                throw WebAuthnError(.algorithmNotAllowed, "OKP curve \(crvID) is not supported (Ed25519 only)")
            }
            guard alg == .eddsa else {
                throw WebAuthnError(.malformed, "OKP key does not fit alg \(alg.rawValue)")
            }
            let x = try bytes(Label.x, "x")
            guard x.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                throw WebAuthnError(.malformed, "Ed25519 key is \(x.count) bytes, not a valid 32-byte key")
            }
            parameters = .okp(curve: curve, x: x)
            publicKey = Certificate.PublicKey(key)
        case 3:
            guard alg == .rs256 || alg == .rs384 || alg == .rs512 else {
                throw WebAuthnError(.malformed, "RSA key does not fit alg \(alg.rawValue)")
            }
            let n = try bytes(Label.n, "n")
            let e = try bytes(Label.e, "e")
            let bits = Self.bitLength(n)
            guard bits >= 2048 else {
                throw WebAuthnError(.malformed, "RSA modulus is \(bits) bits, fewer than 2048")
            }
            guard bits <= 16384, !e.isEmpty, e.count <= 8 else {
                throw WebAuthnError(.malformed, "RSA key parameters out of range")
            }
            guard let key = try? _RSA.Signing.PublicKey(n: n, e: e) else {
                throw WebAuthnError(.malformed, "RSA key is not valid")
            }
            parameters = .rsa(n: n, e: e)
            publicKey = Certificate.PublicKey(key)
        default:
            throw WebAuthnError(.algorithmNotAllowed, "COSE key type \(kty) is not supported")
        }
        algorithm = alg
    }

    /// Rebuilds the COSE form of a stored key from its SubjectPublicKeyInfo DER (RFC 5280
    /// §4.1.2.7) and algorithm, checking that the two fit.
    public init(subjectPublicKeyInfo der: [UInt8], algorithm: COSEAlgorithm) throws(WebAuthnError) {
        let key: Certificate.PublicKey
        do {
            key = try Certificate.PublicKey(derEncoded: der)
        } catch {
            throw WebAuthnError(.malformed, "stored public key is not a SubjectPublicKeyInfo: \(error)")
        }
        let cose: CBORValue
        if let p = P256.Signing.PublicKey(key) {
            cose = Self.ec2(.p256, Array(p.x963Representation), algorithm)
        } else if let p = P384.Signing.PublicKey(key) {
            cose = Self.ec2(.p384, Array(p.x963Representation), algorithm)
        } else if let p = P521.Signing.PublicKey(key) {
            cose = Self.ec2(.p521, Array(p.x963Representation), algorithm)
        } else if let p = Curve25519.Signing.PublicKey(key) {
            cose = .map([
                CBORMapEntry(.int(Label.kty), .int(1)), CBORMapEntry(.int(Label.alg), .int(algorithm.rawValue)),
                CBORMapEntry(.int(Label.crv), .int(OKPCurve.ed25519.rawValue)), CBORMapEntry(.int(Label.x), .bytes(Array(p.rawRepresentation))),
            ])
        } else if let p = _RSA.Signing.PublicKey(key), let primitives = try? p.getKeyPrimitives() {
            cose = .map([
                CBORMapEntry(.int(Label.kty), .int(3)), CBORMapEntry(.int(Label.alg), .int(algorithm.rawValue)),
                CBORMapEntry(.int(Label.n), .bytes(Self.stripLeadingZeros(Array(primitives.modulus)))),
                CBORMapEntry(.int(Label.e), .bytes(Self.stripLeadingZeros(Array(primitives.publicExponent)))),
            ])
        } else {
            throw WebAuthnError(.malformed, "stored public key type is not supported")
        }
        try self.init(cbor: cose)
    }

    /// The key as SubjectPublicKeyInfo DER, the storage form of a credential record.
    public var subjectPublicKeyInfo: [UInt8] {
        var serializer = DER.Serializer()
        // Serializing a key that swift-certificates built cannot fail; an empty result would
        // never parse back, so a failure here fails closed.
        guard (try? serializer.serialize(publicKey)) != nil else { return [] }
        return serializer.serializedBytes
    }

    /// The canonical CBOR encoding of this COSE_Key.
    public var cbor: CBORValue {
        var entries = [CBORMapEntry(.int(Label.alg), .int(algorithm.rawValue))]
        switch parameters {
        case .ec2(let curve, let x, let y):
            entries += [
                CBORMapEntry(.int(Label.kty), .int(2)), CBORMapEntry(.int(Label.crv), .int(curve.rawValue)),
                CBORMapEntry(.int(Label.x), .bytes(x)), CBORMapEntry(.int(Label.y), .bytes(y)),
            ]
        case .okp(let curve, let x):
            entries += [CBORMapEntry(.int(Label.kty), .int(1)), CBORMapEntry(.int(Label.crv), .int(curve.rawValue)), CBORMapEntry(.int(Label.x), .bytes(x))]
        case .rsa(let n, let e):
            entries += [CBORMapEntry(.int(Label.kty), .int(3)), CBORMapEntry(.int(Label.n), .bytes(n)), CBORMapEntry(.int(Label.e), .bytes(e))]
        }
        return .map(entries)
    }

    public static func == (a: COSEKey, b: COSEKey) -> Bool { a.algorithm == b.algorithm && a.parameters == b.parameters }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(algorithm)
        hasher.combine(parameters)
    }

    // MARK: helpers

    private static func ecKey(curve: EC2Curve, x963: [UInt8]) throws(WebAuthnError) -> Certificate.PublicKey {
        do {
            switch curve {
            case .p256: return Certificate.PublicKey(try P256.Signing.PublicKey(x963Representation: x963))
            case .p384: return Certificate.PublicKey(try P384.Signing.PublicKey(x963Representation: x963))
            case .p521: return Certificate.PublicKey(try P521.Signing.PublicKey(x963Representation: x963))
            }
        } catch {
            throw WebAuthnError(.malformed, "EC2 point is not on curve \(curve)")
        }
    }

    private static func ec2(_ curve: EC2Curve, _ x963: [UInt8], _ algorithm: COSEAlgorithm) -> CBORValue {
        let n = curve.coordinateLength
        let x = Array(x963.dropFirst().prefix(n))
        let y = Array(x963.dropFirst(1 + n))
        return .map([
            CBORMapEntry(.int(Label.kty), .int(2)), CBORMapEntry(.int(Label.alg), .int(algorithm.rawValue)),
            CBORMapEntry(.int(Label.crv), .int(curve.rawValue)), CBORMapEntry(.int(Label.x), .bytes(x)), CBORMapEntry(.int(Label.y), .bytes(y)),
        ])
    }

    static func bitLength(_ bigEndian: [UInt8]) -> Int {
        guard let first = bigEndian.firstIndex(where: { $0 != 0 }) else { return 0 }
        return (bigEndian.count - first - 1) * 8 + (8 - bigEndian[first].leadingZeroBitCount)
    }

    private static func stripLeadingZeros(_ bytes: [UInt8]) -> [UInt8] {
        let trimmed = Array(bytes.drop(while: { $0 == 0 }))
        return trimmed.isEmpty ? [0] : trimmed
    }
}
