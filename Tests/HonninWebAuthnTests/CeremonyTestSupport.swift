import Crypto
import Foundation
import HonninCore
import HonninWebAuthn
import SwiftASN1
import X509

/// Test support for the ceremony tests: a software authenticator (test support, named as such)
/// that makes registration and authentication responses the way a browser and an authenticator
/// would, with every part exposed so tests can tamper with one at a time.
struct SoftAuthenticator {
    var key: P256.Signing.PrivateKey
    var credentialID: [UInt8]
    var aaguid: [UInt8] = Array(repeating: 0x11, count: 16)
    var rpID = "example.org"
    var origin = "https://example.org"
    var signCount: UInt32 = 0

    /// A deterministic authenticator: the key is SHA-256 of `label`.
    init(_ label: String, credentialIDLength: Int = 32) {
        key = (try? P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array(label.utf8))))) ?? P256.Signing.PrivateKey()
        var id = [UInt8]()
        var block = Array(SHA256.hash(data: Array("id:\(label)".utf8)))
        while id.count < credentialIDLength {
            id += block
            block = Array(SHA256.hash(data: block))
        }
        credentialID = Array(id.prefix(credentialIDLength))
    }

    var rpIDHash: [UInt8] { Array(SHA256.hash(data: Array(rpID.utf8))) }

    /// The credential key as a COSE_Key (EC2, P-256, ES256).
    var coseKey: [UInt8] {
        let x963 = Array(key.publicKey.x963Representation)
        return CBOREncoder.encode(
            .map([
                CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(3), .int(-7)), CBORMapEntry(.int(-1), .int(1)),
                CBORMapEntry(.int(-2), .bytes(Array(x963[1..<33]))), CBORMapEntry(.int(-3), .bytes(Array(x963[33..<65]))),
            ]))
    }

    /// `clientDataJSON` as a browser writes it (§5.8.1.1).
    func clientData(type: String, challenge: [UInt8], origin: String? = nil, crossOrigin: Bool = false, topOrigin: String? = nil) -> [UInt8] {
        var json = "{\"type\":\"\(type)\",\"challenge\":\"\(Bytes.base64URL(challenge))\",\"origin\":\"\(origin ?? self.origin)\",\"crossOrigin\":\(crossOrigin)"
        if let topOrigin { json += ",\"topOrigin\":\"\(topOrigin)\"" }
        return Array((json + "}").utf8)
    }

    /// Authenticator data for a registration, with attested credential data.
    func registrationAuthData(flags: AuthenticatorData.Flags = [.userPresent, .userVerified], credentialPublicKey: [UInt8]? = nil) -> [UInt8] {
        AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: flags, signCount: signCount,
            attested: (aaguid: aaguid, credentialID: credentialID, credentialPublicKey: credentialPublicKey ?? coseKey))
    }

    func sign(_ data: [UInt8]) -> [UInt8] {
        Array((try? key.signature(for: data).derRepresentation) ?? Data())
    }

    /// The attestation object around `authData`.
    static func attestationObject(format: String, statement: CBORValue, authData: [UInt8]) -> [UInt8] {
        CBOREncoder.encode(.map([CBORMapEntry(.text("fmt"), .text(format)), CBORMapEntry(.text("attStmt"), statement), CBORMapEntry(.text("authData"), .bytes(authData))]))
    }

    /// A registration response; `format` "none" or "packed" (self attestation) unless a
    /// statement is given.
    func registration(
        challenge: [UInt8], clientData: [UInt8]? = nil, authData: [UInt8]? = nil, format: String = "none", statement: CBORValue? = nil,
        rawID: [UInt8]? = nil, transports: [String]? = ["usb"]
    ) -> RegistrationResponseJSON {
        let cData = clientData ?? self.clientData(type: "webauthn.create", challenge: challenge)
        let aData = authData ?? registrationAuthData()
        let stmt: CBORValue
        if let statement {
            stmt = statement
        } else if format == "packed" {
            let sig = sign(aData + Array(SHA256.hash(data: cData)))
            stmt = .map([CBORMapEntry(.text("alg"), .int(-7)), CBORMapEntry(.text("sig"), .bytes(sig))])
        } else {
            stmt = .map([])
        }
        let id = rawID ?? credentialID
        return RegistrationResponseJSON(
            id: Bytes.base64URL(id), rawId: Base64URLBytes(id),
            response: AuthenticatorAttestationResponseJSON(
                clientDataJSON: Base64URLBytes(cData), attestationObject: Base64URLBytes(Self.attestationObject(format: format, statement: stmt, authData: aData)),
                transports: transports))
    }

    /// An assertion response, signed over `authData ‖ SHA-256(clientData)` unless a signature is given.
    func assertion(
        challenge: [UInt8], flags: AuthenticatorData.Flags = [.userPresent, .userVerified], signCount: UInt32 = 1, clientData: [UInt8]? = nil,
        authData: [UInt8]? = nil, signature: [UInt8]? = nil, userHandle: [UInt8]? = nil, rawID: [UInt8]? = nil
    ) -> AuthenticationResponseJSON {
        let cData = clientData ?? self.clientData(type: "webauthn.get", challenge: challenge)
        let aData = authData ?? AuthenticatorData.assemble(rpIDHash: rpIDHash, flags: flags, signCount: signCount)
        let sig = signature ?? sign(aData + Array(SHA256.hash(data: cData)))
        let id = rawID ?? credentialID
        return AuthenticationResponseJSON(
            id: Bytes.base64URL(id), rawId: Base64URLBytes(id),
            response: AuthenticatorAssertionResponseJSON(
                clientDataJSON: Base64URLBytes(cData), authenticatorData: Base64URLBytes(aData), signature: Base64URLBytes(sig),
                userHandle: userHandle.map(Base64URLBytes.init)))
    }
}

/// A clock that always answers the same instant.
struct CeremonyClock: WallClock {
    let instant: Date
    func now() -> Date { instant }
}

enum CeremonyFixture {
    /// 2026-01-01T00:00:00Z.
    static let now = Date(timeIntervalSince1970: 1_767_225_600)
    static let challenge: [UInt8] = Array(0..<32)
    static let userHandle: [UInt8] = Array(repeating: 0x55, count: 16)

    static func relyingParty(
        userVerification: UserVerificationRequirement = .preferred, algorithms: [COSEAlgorithm] = [.es256, .eddsa, .rs256],
        attestation: AttestationPolicy = .permissive, trustSource: any AttestationTrustSource = NoAttestationMetadata(),
        allowsCrossOrigin: Bool = false, topOrigins: Set<String> = []
    ) -> RelyingParty {
        RelyingParty(
            id: "example.org", name: "Example", origins: ["https://example.org"], allowsCrossOrigin: allowsCrossOrigin, topOrigins: topOrigins,
            userVerification: userVerification, algorithms: algorithms, attestation: attestation, trustSource: trustSource,
            clock: CeremonyClock(instant: now))
    }

    static func neverRegistered(_ id: [UInt8]) async throws -> Bool { false }

    /// A test attestation PKI: a root CA and a packed-conformant leaf issued by it (§8.2.1).
    struct AttestationPKI {
        let rootKey: P256.Signing.PrivateKey
        let root: Certificate
        let leafKey: P256.Signing.PrivateKey

        init(_ label: String) throws {
            rootKey = try P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("root:\(label)".utf8))))
            leafKey = try P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("leaf:\(label)".utf8))))
            let name = try DistinguishedName {
                CommonName("Honnin test attestation root \(label)")
                OrganizationName("Honnin test PKI")
            }
            root = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(1), publicKey: Certificate.PublicKey(rootKey.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 1_704_067_200), notValidAfter: Date(timeIntervalSince1970: 1_893_456_000),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                    KeyUsage(keyCertSign: true)
                }, issuerPrivateKey: Certificate.PrivateKey(rootKey))
        }

        /// A leaf for `aaguid`; the arguments break one §8.2.1 requirement at a time.
        func leaf(
            aaguid: [UInt8]?, aaguidCritical: Bool = false, ou: String = "Authenticator Attestation", isCA: Bool = false,
            key: Certificate.PublicKey? = nil
        ) throws -> Certificate {
            let subject = try DistinguishedName {
                CountryName("JP")
                OrganizationName("Honnin test authenticators")
                OrganizationalUnitName(ou)
                CommonName("Honnin test authenticator")
            }
            var extensions = [Certificate.Extension]()
            extensions.append(
                try Certificate.Extension(
                    isCA ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : BasicConstraints.notCertificateAuthority, critical: true))
            if let aaguid {
                extensions.append(
                    Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4], critical: aaguidCritical, value: ([0x04, 0x10] + aaguid)[...]))
            }
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(2), publicKey: key ?? Certificate.PublicKey(leafKey.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 1_704_067_200), notValidAfter: Date(timeIntervalSince1970: 1_893_456_000),
                issuer: root.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: try Certificate.Extensions(extensions),
                issuerPrivateKey: Certificate.PrivateKey(rootKey))
        }
    }

    static func der(_ certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// Registers `authenticator` with a none statement and returns the record.
    static func registered(_ authenticator: SoftAuthenticator, rp: RelyingParty? = nil, flags: AuthenticatorData.Flags = [.userPresent, .userVerified])
        async throws -> CredentialRecord
    {
        let response = authenticator.registration(challenge: challenge, authData: authenticator.registrationAuthData(flags: flags))
        return try await (rp ?? relyingParty()).register(response: response, expectedChallenge: challenge, isCredentialIDRegistered: neverRegistered)
    }
}

/// The code of a thrown `WebAuthnError`, or nil if something else (or nothing) was thrown.
func webAuthnCode(_ body: () async throws -> Void) async -> WebAuthnError.Code? {
    do {
        try await body()
        return nil
    } catch let error as WebAuthnError {
        return error.code
    } catch {
        return nil
    }
}

func webAuthnCode(sync body: () throws(WebAuthnError) -> Void) -> WebAuthnError.Code? {
    do {
        try body()
        return nil
    } catch {
        return error.code
    }
}
