import Crypto
import Foundation
import HonninCore
import HonninWebAuthn
import Testing
import X509

/// The registration (§7.1) and authentication (§7.2) ceremonies against a software
/// authenticator: every refusal the steps call for, one at a time.
@Suite("Ceremonies (§7.1, §7.2)")
struct CeremonyTests {
    let authenticator = SoftAuthenticator("ceremony")
    let challenge = CeremonyFixture.challenge

    func register(_ response: RegistrationResponseJSON, rp: RelyingParty = CeremonyFixture.relyingParty(), conditional: Bool = false) async -> WebAuthnError.Code? {
        await webAuthnCode {
            _ = try await rp.register(
                response: response, expectedChallenge: challenge, conditionalMediation: conditional, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        }
    }

    func authenticate(
        _ response: AuthenticationResponseJSON, record: CredentialRecord, rp: RelyingParty = CeremonyFixture.relyingParty(),
        user: AuthenticatingUser = .identified(userHandle: CeremonyFixture.userHandle), allow: [[UInt8]] = [], uv: UserVerificationRequirement? = nil
    ) -> WebAuthnError.Code? {
        webAuthnCode(sync: { () throws(WebAuthnError) in
            _ = try rp.authenticate(response: response, expectedChallenge: challenge, credential: record, user: user, allowCredentials: allow, userVerification: uv)
        })
    }

    // MARK: registration

    @Test func registrationSucceeds() async throws {
        let response = authenticator.registration(challenge: challenge, format: "packed")
        let record = try await CeremonyFixture.relyingParty().register(
            response: response, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(record.id == authenticator.credentialID)
        #expect(record.attestationType == .self)
        #expect(!record.attestationTrusted && !record.hardwareBoundAndAttested)
        #expect(record.transports == ["usb"])
        #expect(record.uvInitialized)
        #expect(try record.verifyingKey() == Certificate.PublicKey(authenticator.key.publicKey))
    }

    @Test func clientDataChecks() async {
        let wrongType = authenticator.clientData(type: "webauthn.get", challenge: challenge)
        #expect(await register(authenticator.registration(challenge: challenge, clientData: wrongType)) == .wrongType)
        let wrongChallenge = authenticator.clientData(type: "webauthn.create", challenge: challenge + [0])
        #expect(await register(authenticator.registration(challenge: challenge, clientData: wrongChallenge)) == .challengeMismatch)
        for origin in ["https://evil.example", "https://example.org:443", "https://EXAMPLE.org", "http://example.org", "https://sub.example.org"] {
            let data = authenticator.clientData(type: "webauthn.create", challenge: challenge, origin: origin)
            #expect(await register(authenticator.registration(challenge: challenge, clientData: data)) == .originNotAllowed, "\(origin)")
        }
        let framed = authenticator.clientData(type: "webauthn.create", challenge: challenge, crossOrigin: true)
        #expect(await register(authenticator.registration(challenge: challenge, clientData: framed)) == .crossOriginNotAllowed)
        #expect(await register(authenticator.registration(challenge: challenge, clientData: framed), rp: CeremonyFixture.relyingParty(allowsCrossOrigin: true)) == nil)
        let top = authenticator.clientData(type: "webauthn.create", challenge: challenge, crossOrigin: true, topOrigin: "https://shop.example")
        #expect(await register(authenticator.registration(challenge: challenge, clientData: top)) == .crossOriginNotAllowed)
        #expect(await register(authenticator.registration(challenge: challenge, clientData: top), rp: CeremonyFixture.relyingParty(allowsCrossOrigin: true)) == .topOriginNotAllowed)
        #expect(
            await register(
                authenticator.registration(challenge: challenge, clientData: top),
                rp: CeremonyFixture.relyingParty(allowsCrossOrigin: true, topOrigins: ["https://shop.example"])) == nil)
        #expect(await register(authenticator.registration(challenge: challenge, clientData: Array("{}".utf8))) == .malformed)
    }

    @Test func authenticatorDataChecks() async {
        var other = authenticator
        other.rpID = "example.com"
        #expect(await register(authenticator.registration(challenge: challenge, authData: other.registrationAuthData())) == .rpIDMismatch)
        let noUP = authenticator.registrationAuthData(flags: [.userVerified])
        #expect(await register(authenticator.registration(challenge: challenge, authData: noUP)) == .userNotPresent)
        #expect(await register(authenticator.registration(challenge: challenge, authData: noUP), conditional: true) == nil)
        let noUV = authenticator.registrationAuthData(flags: [.userPresent])
        #expect(await register(authenticator.registration(challenge: challenge, authData: noUV)) == nil)
        #expect(await register(authenticator.registration(challenge: challenge, authData: noUV), rp: CeremonyFixture.relyingParty(userVerification: .required)) == .userNotVerified)
        let bsOnly = authenticator.registrationAuthData(flags: [.userPresent, .backupState])
        #expect(await register(authenticator.registration(challenge: challenge, authData: bsOnly)) == .backupStateInvalid)
        let noAT = AuthenticatorData.assemble(rpIDHash: authenticator.rpIDHash, flags: [.userPresent], signCount: 0)
        #expect(await register(authenticator.registration(challenge: challenge, authData: noAT)) == .malformed)
        // rawId must name the attested credential; id must be rawId in base64url.
        #expect(await register(authenticator.registration(challenge: challenge, rawID: [1, 2, 3])) == .malformed)
        var renamed = authenticator.registration(challenge: challenge)
        renamed.id = "AAAA"
        #expect(await register(renamed) == .malformed)
        var wrongType = authenticator.registration(challenge: challenge)
        wrongType.type = "password"
        #expect(await register(wrongType) == .malformed)
    }

    @Test func algorithmMustBeOffered() async {
        #expect(await register(authenticator.registration(challenge: challenge), rp: CeremonyFixture.relyingParty(algorithms: [.eddsa, .rs256])) == .algorithmNotAllowed)
        let p384 = P384.Signing.PrivateKey()
        let x963 = Array(p384.publicKey.x963Representation)
        let es384 = CBOREncoder.encode(COSEKeyTests.ec2(crv: 2, alg: -35, x963: x963, size: 48))
        #expect(await register(authenticator.registration(challenge: challenge, authData: authenticator.registrationAuthData(credentialPublicKey: es384))) == .algorithmNotAllowed)
        // A key not on its curve never gets that far.
        var bad = Array(authenticator.key.publicKey.x963Representation)
        bad[64] ^= 1
        let offCurve = CBOREncoder.encode(COSEKeyTests.ec2(crv: 1, alg: -7, x963: bad, size: 32))
        #expect(await register(authenticator.registration(challenge: challenge, authData: authenticator.registrationAuthData(credentialPublicKey: offCurve))) == .malformed)
    }

    @Test func credentialIDLimitAndUniqueness() async throws {
        let long = SoftAuthenticator("long", credentialIDLength: 1024)
        #expect(await register(long.registration(challenge: challenge)) == .credentialIDTooLong)
        let limit = SoftAuthenticator("limit", credentialIDLength: 1023)
        #expect(await register(limit.registration(challenge: challenge)) == nil)
        let code = await webAuthnCode {
            _ = try await CeremonyFixture.relyingParty().register(
                response: authenticator.registration(challenge: challenge), expectedChallenge: challenge, isCredentialIDRegistered: { _ in true })
        }
        #expect(code == .credentialAlreadyRegistered)
        struct StoreDown: Error {}
        await #expect(throws: StoreDown.self) {
            _ = try await CeremonyFixture.relyingParty().register(
                response: authenticator.registration(challenge: challenge), expectedChallenge: challenge, isCredentialIDRegistered: { _ in throw StoreDown() })
        }
    }

    @Test func attestationStatementChecks() async throws {
        // none with a non-empty statement.
        #expect(await register(authenticator.registration(challenge: challenge, statement: .map([CBORMapEntry(.text("x"), .int(1))]))) == .attestationInvalid)
        // Unknown, deprecated and compound formats.
        #expect(await register(authenticator.registration(challenge: challenge, format: "Packed", statement: .map([]))) == .unsupportedFormat)
        #expect(await register(authenticator.registration(challenge: challenge, format: "android-safetynet", statement: .map([]))) == .unsupportedFormat)
        #expect(await register(authenticator.registration(challenge: challenge, format: "compound", statement: .array([.map([]), .map([])]))) == .unsupportedFormat)
        // Packed self attestation: tampered clientData (the signature covers its hash), wrong alg.
        let good = authenticator.registration(challenge: challenge, format: "packed")
        var tampered = good
        tampered.response.clientDataJSON = Base64URLBytes(authenticator.clientData(type: "webauthn.create", challenge: challenge) + Array(" ".utf8))
        #expect(await register(tampered) == .attestationInvalid)
        let object = try CBORDecoder().decode(good.response.attestationObject.bytes)
        let sig = try #require(object["attStmt"]?["sig"])
        #expect(
            await register(authenticator.registration(challenge: challenge, format: "packed", statement: .map([CBORMapEntry(.text("alg"), .int(-257)), CBORMapEntry(.text("sig"), sig)])))
                == .attestationInvalid)
        #expect(await register(authenticator.registration(challenge: challenge, format: "packed", statement: .map([CBORMapEntry(.text("sig"), sig)]))) == .attestationInvalid)
        #expect(
            await register(authenticator.registration(challenge: challenge, format: "packed", statement: .map([CBORMapEntry(.text("alg"), .int(-7)), CBORMapEntry(.text("sig"), .text("x"))])))
                == .attestationInvalid)
        // Tampered authenticator data inside the attestation object (a flipped signCount byte).
        var authData = authenticator.registrationAuthData()
        authData[36] ^= 0x01
        let staleSig = try #require(sig.bytesValue)
        let edited = authenticator.registration(
            challenge: challenge, authData: authData, format: "packed", statement: .map([CBORMapEntry(.text("alg"), .int(-7)), CBORMapEntry(.text("sig"), .bytes(staleSig))]))
        #expect(await register(edited) == .attestationInvalid)
        // Malformed attestation objects.
        var broken = good
        for bytes: [UInt8] in [[], [0xa0], [0x80], Array(good.response.attestationObject.bytes.dropLast()), good.response.attestationObject.bytes + [0]] {
            broken.response.attestationObject = Base64URLBytes(bytes)
            #expect(await register(broken) == .malformed)
        }
    }

    /// Packed attestation with a certificate chain (§8.2, §8.2.1) and trust assessment (§7.1
    /// steps 23–24).
    @Test func packedCertificateChains() async throws {
        let pki = try CeremonyFixture.AttestationPKI("packed")
        let trusted = CeremonyFixture.relyingParty(attestation: .requireTrusted, trustSource: FixedAttestationRoots(roots: [pki.root]))
        func response(_ leaf: Certificate, signer: P256.Signing.PrivateKey? = nil) -> RegistrationResponseJSON {
            let authData = authenticator.registrationAuthData()
            let cData = authenticator.clientData(type: "webauthn.create", challenge: challenge)
            let sig = Array((try? (signer ?? pki.leafKey).signature(for: authData + Array(SHA256.hash(data: cData))).derRepresentation) ?? Data())
            return authenticator.registration(
                challenge: challenge, clientData: cData, authData: authData, format: "packed",
                statement: .map([
                    CBORMapEntry(.text("alg"), .int(-7)), CBORMapEntry(.text("sig"), .bytes(sig)),
                    CBORMapEntry(.text("x5c"), .array([.bytes(CeremonyFixture.der(leaf))])),
                ]))
        }
        let leaf = try pki.leaf(aaguid: authenticator.aaguid)
        let record = try await trusted.register(response: response(leaf), expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(record.attestationType == .basic)
        #expect(record.attestationTrusted && record.hardwareBoundAndAttested)
        #expect(await register(response(try pki.leaf(aaguid: nil)), rp: trusted) == nil)  // the AAGUID extension is optional

        #expect(await register(response(leaf, signer: authenticator.key), rp: trusted) == .attestationInvalid)
        #expect(await register(response(try pki.leaf(aaguid: Array(repeating: 0x22, count: 16))), rp: trusted) == .attestationInvalid)
        #expect(await register(response(try pki.leaf(aaguid: authenticator.aaguid, aaguidCritical: true)), rp: trusted) == .attestationInvalid)
        #expect(await register(response(try pki.leaf(aaguid: authenticator.aaguid, ou: "Authenticator")), rp: trusted) == .attestationInvalid)
        #expect(await register(response(try pki.leaf(aaguid: authenticator.aaguid, isCA: true)), rp: trusted) == .attestationInvalid)

        // Another root: untrusted. Refused under requireTrusted, registered unattested otherwise.
        let stranger = try CeremonyFixture.AttestationPKI("stranger")
        let elsewhere = CeremonyFixture.relyingParty(attestation: .requireTrusted, trustSource: FixedAttestationRoots(roots: [stranger.root]))
        #expect(await register(response(leaf), rp: elsewhere) == .attestationUntrusted)
        var lenient = elsewhere
        lenient.attestation = .permissive
        let unattested = try await lenient.register(response: response(leaf), expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(!unattested.attestationTrusted)
        // Roots per AAGUID.
        let pinned = CeremonyFixture.relyingParty(
            attestation: .requireTrusted, trustSource: FixedAttestationRoots(roots: [], rootsByAAGUID: [authenticator.aaguid: [pki.root]]))
        #expect(await register(response(leaf), rp: pinned) == nil)
        // requireTrusted refuses none and self.
        #expect(await register(authenticator.registration(challenge: challenge), rp: trusted) == .attestationUntrusted)
        #expect(await register(authenticator.registration(challenge: challenge, format: "packed"), rp: trusted) == .attestationUntrusted)
        // A backup-eligible credential is attested but never hardware-bound.
        let synced = try await trusted.register(
            response: {
                let authData = authenticator.registrationAuthData(flags: [.userPresent, .userVerified, .backupEligible])
                let cData = authenticator.clientData(type: "webauthn.create", challenge: challenge)
                let sig = Array((try? pki.leafKey.signature(for: authData + Array(SHA256.hash(data: cData))).derRepresentation) ?? Data())
                return authenticator.registration(
                    challenge: challenge, clientData: cData, authData: authData, format: "packed",
                    statement: .map([
                        CBORMapEntry(.text("alg"), .int(-7)), CBORMapEntry(.text("sig"), .bytes(sig)),
                        CBORMapEntry(.text("x5c"), .array([.bytes(CeremonyFixture.der(leaf))])),
                    ]))
            }(), expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(synced.attestationTrusted && synced.backupEligible && !synced.hardwareBoundAndAttested)
    }

    @Test func revokedAuthenticatorsAreRefused() async {
        struct Revoking: AttestationTrustSource {
            func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust {
                AttestationTrust(roots: [], revoked: aaguid == Array(repeating: 0x11, count: 16), detail: "REVOKED")
            }
        }
        struct Failing: AttestationTrustSource {
            func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust { throw WebAuthnError(.attestationUntrusted, "metadata unavailable") }
        }
        #expect(await register(authenticator.registration(challenge: challenge), rp: CeremonyFixture.relyingParty(trustSource: Revoking())) == .authenticatorRevoked)
        var other = SoftAuthenticator("other")
        other.aaguid = Array(repeating: 0x33, count: 16)
        #expect(await register(other.registration(challenge: challenge), rp: CeremonyFixture.relyingParty(trustSource: Revoking())) == nil)
        #expect(await register(authenticator.registration(challenge: challenge), rp: CeremonyFixture.relyingParty(trustSource: Failing())) == .attestationUntrusted)
    }

    /// FIDO U2F attestation (§8.6) with synthetic certificates.
    @Test func fidoU2F() async throws {
        let pki = try CeremonyFixture.AttestationPKI("u2f")
        let trusted = CeremonyFixture.relyingParty(attestation: .requireTrusted, trustSource: FixedAttestationRoots(roots: [pki.root]))
        var u2f = authenticator
        u2f.aaguid = Array(repeating: 0, count: 16)
        let authData = u2f.registrationAuthData()
        let cData = u2f.clientData(type: "webauthn.create", challenge: challenge)
        let signed = [0x00] + u2f.rpIDHash + Array(SHA256.hash(data: cData)) + u2f.credentialID + Array(u2f.key.publicKey.x963Representation)
        func response(sig: [UInt8], certificates: [Certificate]) -> RegistrationResponseJSON {
            u2f.registration(
                challenge: challenge, clientData: cData, authData: authData, format: "fido-u2f",
                statement: .map([CBORMapEntry(.text("sig"), .bytes(sig)), CBORMapEntry(.text("x5c"), .array(certificates.map { .bytes(CeremonyFixture.der($0)) }))]))
        }
        let leaf = try pki.leaf(aaguid: nil)
        let sig = Array(try pki.leafKey.signature(for: signed).derRepresentation)
        let record = try await trusted.register(response: response(sig: sig, certificates: [leaf]), expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(record.attestationFormat == "fido-u2f" && record.attestationTrusted)
        #expect(await register(response(sig: sig, certificates: [leaf, pki.root]), rp: trusted) == .attestationInvalid)
        #expect(await register(response(sig: Array(try pki.leafKey.signature(for: authData).derRepresentation), certificates: [leaf]), rp: trusted) == .attestationInvalid)
        let p384Leaf = try pki.leaf(aaguid: nil, key: Certificate.PublicKey(P384.Signing.PrivateKey().publicKey))
        #expect(await register(response(sig: sig, certificates: [p384Leaf]), rp: trusted) == .attestationInvalid)
        #expect(await register(u2f.registration(challenge: challenge, clientData: cData, authData: authData, format: "fido-u2f", statement: .map([CBORMapEntry(.text("sig"), .bytes(sig))])), rp: trusted) == .attestationInvalid)
    }

    /// A U2F authenticator has no AAGUID: step 23 finds its trust by the attestation
    /// certificate's key identifier (RFC 5280 §4.2.1.2 method 1), as FIDO metadata lists it.
    @Test func u2fTrustIsFoundByAttestationKeyIdentifier() async throws {
        struct ByKeyIdentifier: AttestationTrustSource {
            let identifier: String
            let roots: [Certificate]
            var revoked = false
            func trust(aaguid: [UInt8]) throws(WebAuthnError) -> AttestationTrust { .unknown }
            func trust(attestationCertificateKeyIdentifiers identifiers: [String]) throws(WebAuthnError) -> AttestationTrust {
                identifiers.contains(identifier) ? AttestationTrust(roots: roots, revoked: revoked, detail: revoked ? "REVOKED" : nil) : .unknown
            }
        }
        let pki = try CeremonyFixture.AttestationPKI("u2f-mds")
        var u2f = authenticator
        u2f.aaguid = Array(repeating: 0, count: 16)
        let authData = u2f.registrationAuthData()
        let cData = u2f.clientData(type: "webauthn.create", challenge: challenge)
        let signed = [0x00] + u2f.rpIDHash + Array(SHA256.hash(data: cData)) + u2f.credentialID + Array(u2f.key.publicKey.x963Representation)
        let leaf = try pki.leaf(aaguid: nil)
        let response = u2f.registration(
            challenge: challenge, clientData: cData, authData: authData, format: "fido-u2f",
            statement: .map([
                CBORMapEntry(.text("sig"), .bytes(Array(try pki.leafKey.signature(for: signed).derRepresentation))),
                CBORMapEntry(.text("x5c"), .array([.bytes(CeremonyFixture.der(leaf))])),
            ]))
        // Computed here from the key itself: SHA-1 of the X9.63 point, the BIT STRING's value.
        let identifier = Bytes.hex(Insecure.SHA1.hash(data: pki.leafKey.publicKey.x963Representation))
        #expect(AttestationKeyIdentifier.identifiers(of: leaf) == [identifier])

        let listed = CeremonyFixture.relyingParty(attestation: .requireTrusted, trustSource: ByKeyIdentifier(identifier: identifier, roots: [pki.root]))
        let record = try await listed.register(response: response, expectedChallenge: challenge, isCredentialIDRegistered: CeremonyFixture.neverRegistered)
        #expect(record.attestationTrusted && record.attestationFormat == "fido-u2f")
        let revoked = CeremonyFixture.relyingParty(
            attestation: .requireTrusted, trustSource: ByKeyIdentifier(identifier: identifier, roots: [pki.root], revoked: true))
        #expect(await register(response, rp: revoked) == .authenticatorRevoked)
        let unlisted = CeremonyFixture.relyingParty(attestation: .requireTrusted, trustSource: ByKeyIdentifier(identifier: String(repeating: "0", count: 40), roots: [pki.root]))
        #expect(await register(response, rp: unlisted) == .attestationUntrusted)
    }

    @Test("a Subject Key Identifier extension with another value is offered after method 1")
    func attestationKeyIdentifiers() throws {
        let key = P256.Signing.PrivateKey()
        func certificate(ski: [UInt8]?) throws -> Certificate {
            let name = try DistinguishedName { CommonName("Honnin test U2F attestation") }
            var extensions: [Certificate.Extension] = []
            if let ski { extensions.append(try Certificate.Extension(SubjectKeyIdentifier(keyIdentifier: ski[...]), critical: false)) }
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(7), publicKey: Certificate.PublicKey(key.publicKey),
                notValidBefore: Date(timeIntervalSince1970: 1_704_067_200), notValidAfter: Date(timeIntervalSince1970: 1_893_456_000), issuer: name,
                subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: try Certificate.Extensions(extensions),
                issuerPrivateKey: Certificate.PrivateKey(key))
        }
        let method1 = Bytes.hex(Insecure.SHA1.hash(data: key.publicKey.x963Representation))
        #expect(AttestationKeyIdentifier.identifiers(of: try certificate(ski: nil)) == [method1])
        #expect(AttestationKeyIdentifier.identifiers(of: try certificate(ski: Array(Insecure.SHA1.hash(data: key.publicKey.x963Representation)))) == [method1])
        #expect(AttestationKeyIdentifier.identifiers(of: try certificate(ski: [0xab, 0xcd])) == [method1, "abcd"])
    }

    // MARK: authentication

    @Test func authenticationSucceedsAndUpdatesTheRecord() async throws {
        var record = try await CeremonyFixture.registered(authenticator, flags: [.userPresent])
        #expect(!record.uvInitialized)
        let rp = CeremonyFixture.relyingParty()
        let result = try rp.authenticate(
            response: authenticator.assertion(challenge: challenge, signCount: 5), expectedChallenge: challenge, credential: record,
            user: .identified(userHandle: CeremonyFixture.userHandle))
        #expect(result.signCount == 5 && result.userVerified && result.userPresent)
        #expect(result.updatedRecord.signCount == 5 && result.updatedRecord.uvInitialized)
        record = result.updatedRecord
        // A later assertion without UV leaves uvInitialized set.
        let next = try rp.authenticate(
            response: authenticator.assertion(challenge: challenge, flags: [.userPresent], signCount: 6), expectedChallenge: challenge, credential: record,
            user: .identified(userHandle: CeremonyFixture.userHandle))
        #expect(next.updatedRecord.uvInitialized && !next.userVerified)
        // Discoverable login with the user handle.
        let discovered = authenticator.assertion(challenge: challenge, signCount: 7, userHandle: CeremonyFixture.userHandle)
        #expect(authenticate(discovered, record: next.updatedRecord, user: .discovered(userHandle: CeremonyFixture.userHandle)) == nil)
    }

    @Test func authenticationRefusals() async throws {
        let record = try await CeremonyFixture.registered(authenticator)
        let good = authenticator.assertion(challenge: challenge)
        #expect(authenticate(good, record: record) == nil)
        // Step 5, 6: allowCredentials, the record, the user handle.
        #expect(authenticate(good, record: record, allow: [[1, 2, 3]]) == .credentialNotAllowed)
        #expect(authenticate(good, record: record, allow: [[1, 2, 3], authenticator.credentialID]) == nil)
        let stranger = SoftAuthenticator("stranger")
        #expect(authenticate(stranger.assertion(challenge: challenge), record: record) == .unknownCredential)
        #expect(authenticate(authenticator.assertion(challenge: challenge, userHandle: [9]), record: record) == .unknownCredential)
        #expect(authenticate(good, record: record, user: .discovered(userHandle: CeremonyFixture.userHandle)) == .unknownCredential)
        #expect(authenticate(authenticator.assertion(challenge: challenge, userHandle: [9]), record: record, user: .discovered(userHandle: CeremonyFixture.userHandle)) == .unknownCredential)
        // Steps 10–14.
        #expect(authenticate(authenticator.assertion(challenge: challenge, clientData: authenticator.clientData(type: "webauthn.create", challenge: challenge)), record: record) == .wrongType)
        #expect(authenticate(authenticator.assertion(challenge: challenge, clientData: authenticator.clientData(type: "webauthn.get", challenge: [1])), record: record) == .challengeMismatch)
        #expect(
            authenticate(authenticator.assertion(challenge: challenge, clientData: authenticator.clientData(type: "webauthn.get", challenge: challenge, origin: "https://example.org.evil")), record: record)
                == .originNotAllowed)
        #expect(
            authenticate(authenticator.assertion(challenge: challenge, clientData: authenticator.clientData(type: "webauthn.get", challenge: challenge, crossOrigin: true)), record: record)
                == .crossOriginNotAllowed)
        // Step 15–17.
        var elsewhere = authenticator
        elsewhere.rpID = "example.com"
        #expect(authenticate(elsewhere.assertion(challenge: challenge), record: record) == .rpIDMismatch)
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userVerified]), record: record) == .userNotPresent)
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userPresent]), record: record, uv: .required) == .userNotVerified)
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userPresent]), record: record, rp: CeremonyFixture.relyingParty(userVerification: .required)) == .userNotVerified)
        // Steps 18–19: BS without BE; BE changed either way.
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userPresent, .backupState]), record: record) == .backupStateInvalid)
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userPresent, .backupEligible]), record: record) == .backupStateInvalid)
        var eligible = record
        eligible.backupEligible = true
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userPresent]), record: eligible) == .backupStateInvalid)
        #expect(authenticate(authenticator.assertion(challenge: challenge, flags: [.userPresent, .backupEligible, .backupState]), record: eligible) == nil)
        // Step 21: tampered clientData, authData, signature; a key of another type.
        var tamperedClient = good
        tamperedClient.response.clientDataJSON = Base64URLBytes(authenticator.clientData(type: "webauthn.get", challenge: challenge) + Array(" ".utf8))
        #expect(authenticate(tamperedClient, record: record) == .badSignature)
        var tamperedAuth = good
        tamperedAuth.response.authenticatorData.bytes[35] ^= 0x01
        #expect(authenticate(tamperedAuth, record: record) == .badSignature)
        var tamperedSig = good
        tamperedSig.response.signature.bytes[10] ^= 0x01
        #expect(authenticate(tamperedSig, record: record) == .badSignature)
        var emptySig = good
        emptySig.response.signature = []
        #expect(authenticate(emptySig, record: record) == .badSignature)
        var wrongAlg = record
        wrongAlg.algorithm = .eddsa
        #expect(authenticate(good, record: wrongAlg) == .malformed)
        // Step 22: the signature counter.
        var counted = record
        counted.signCount = 10
        #expect(authenticate(authenticator.assertion(challenge: challenge, signCount: 10), record: counted) == .signCountRegression)
        #expect(authenticate(authenticator.assertion(challenge: challenge, signCount: 9), record: counted) == .signCountRegression)
        #expect(authenticate(authenticator.assertion(challenge: challenge, signCount: 0), record: counted) == .signCountRegression)
        #expect(authenticate(authenticator.assertion(challenge: challenge, signCount: 11), record: counted) == nil)
        #expect(authenticate(authenticator.assertion(challenge: challenge, signCount: 0), record: record) == nil)  // both zero: no counter
        // Malformed authenticator data, and attested credential data in an assertion.
        #expect(authenticate(authenticator.assertion(challenge: challenge, authData: [1, 2, 3]), record: record) == .malformed)
        #expect(authenticate(authenticator.assertion(challenge: challenge, authData: authenticator.registrationAuthData()), record: record) == .malformed)
    }
}
