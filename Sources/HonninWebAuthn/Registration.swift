import Crypto
import Foundation
import HonninCore
import X509

extension RelyingParty {
    /// The registration ceremony, WebAuthn L3 §7.1 "Registering a New Credential", from the
    /// relying party's side (steps 1–2, building options and calling `create()`, happen in the
    /// browser with ``creationOptions(challenge:user:excludeCredentials:residentKey:authenticatorAttachment:timeoutMilliseconds:userVerification:)``).
    ///
    /// - Parameters:
    ///   - response: the `RegistrationResponseJSON` the browser posted.
    ///   - expectedChallenge: the challenge this relying party issued for this ceremony (the
    ///     caller enforces single use and expiry).
    ///   - userVerification: overrides the relying party's requirement for this ceremony.
    ///   - conditionalMediation: the options used `mediation: "conditional"` (step 15: user
    ///     presence is then not required).
    ///   - isCredentialIDRegistered: step 26, asked last, once everything else holds.
    /// - Returns: the credential record to store (step 29 is the caller's).
    /// - Throws: `WebAuthnError` for every refusal; errors of `isCredentialIDRegistered` pass
    ///   through unchanged.
    public func register(
        response: RegistrationResponseJSON,
        expectedChallenge: [UInt8],
        userVerification: UserVerificationRequirement? = nil,
        conditionalMediation: Bool = false,
        isCredentialIDRegistered: (_ credentialID: [UInt8]) async throws -> Bool
    ) async throws -> CredentialRecord {
        let verified = try verifyRegistration(
            response: response, expectedChallenge: expectedChallenge, userVerification: userVerification, conditionalMediation: conditionalMediation)
        let attested = verified.attested

        // Step 23: trust anchors for this AAGUID, or, for an authenticator without one (U2F), for
        // its attestation certificate's key identifier; a revoked model is refused outright.
        let trust: AttestationTrust
        let model: String
        if attested.aaguid.allSatisfy({ $0 == 0 }), let certificate = verified.attestation.trustPath.first {
            let identifiers = AttestationKeyIdentifier.identifiers(of: certificate)
            trust = try trustSource.trust(attestationCertificateKeyIdentifiers: identifiers)
            model = "with attestation key identifier \(identifiers.first ?? "?")"
        } else {
            trust = try trustSource.trust(aaguid: attested.aaguid)
            model = "model \(Bytes.hex(attested.aaguid))"
        }
        if trust.revoked {
            throw WebAuthnError(.authenticatorRevoked, "authenticator \(model) is revoked: \(trust.detail ?? "no detail")")
        }

        // Step 24: assess the attestation's trustworthiness.
        let trusted: Bool
        switch verified.attestation.type {
        case .none:
            guard attestation.acceptNone else { throw WebAuthnError(.attestationUntrusted, "none attestation is not accepted by policy") }
            trusted = false
        case .self:
            guard attestation.acceptSelf else { throw WebAuthnError(.attestationUntrusted, "self attestation is not accepted by policy") }
            trusted = false
        case .basic, .attCA, .anonCA:
            trusted = await AttestationChain.isTrusted(verified.attestation.trustPath, roots: trust.roots, at: clock.now())
            if !trusted, !attestation.acceptUntrusted {
                throw WebAuthnError(
                    .attestationUntrusted,
                    trust.roots.isEmpty
                        ? "no trust anchors are known for the authenticator \(model)"
                        : "the attestation trust path does not chain to a trusted root")
            }
        }

        // Step 25: the credential ID is at most 1023 bytes.
        guard attested.credentialID.count <= 1023 else {
            throw WebAuthnError(.credentialIDTooLong, "credential ID is \(attested.credentialID.count) bytes, more than 1023")
        }

        // Step 26: not registered yet, for any user.
        if try await isCredentialIDRegistered(attested.credentialID) {
            throw WebAuthnError(.credentialAlreadyRegistered, "credential ID is already registered")
        }

        // Step 27: the credential record.
        let authData = verified.object.authenticatorData
        let record = CredentialRecord(
            id: attested.credentialID, publicKey: verified.key.subjectPublicKeyInfo, algorithm: verified.key.algorithm,
            signCount: authData.signCount, transports: response.response.transports ?? [], uvInitialized: authData.userVerified,
            backupEligible: authData.backupEligible, backupState: authData.backupState, attestationFormat: verified.object.format,
            attestationType: verified.attestation.type, aaguid: attested.aaguid, attestationTrusted: trusted, rpID: id,
            attestationObject: verified.object.raw, attestationClientDataJSON: response.response.clientDataJSON.bytes)

        // Step 28: extension outputs (client `clientExtensionResults`, authenticator
        // `authData.extensions`) are not acted on: none is requested by this relying party, and
        // unsolicited ones are ignored, as the step permits.
        return record
    }

    /// The synchronous part of the registration ceremony, §7.1 steps 3–22.
    struct VerifiedRegistration {
        let object: AttestationObject
        let attested: AttestedCredentialData
        let key: COSEKey
        let attestation: AttestationResult
    }

    func verifyRegistration(
        response: RegistrationResponseJSON, expectedChallenge: [UInt8], userVerification: UserVerificationRequirement?, conditionalMediation: Bool
    ) throws(WebAuthnError) -> VerifiedRegistration {
        // Step 3: the response is an attestation response of a public-key credential.
        guard response.type == "public-key" else { throw WebAuthnError(.malformed, "credential type is not public-key") }
        guard response.id == Bytes.base64URL(response.rawId.bytes) else {
            throw WebAuthnError(.malformed, "credential id is not the base64url of rawId")
        }
        // Step 4: clientExtensionResults are taken from the response (processed at step 28).

        // Steps 5–6: UTF-8 decode and JSON-parse clientDataJSON.
        let clientData = try CollectedClientData(bytes: response.response.clientDataJSON.bytes)
        // Steps 7–11: type, challenge, origin, crossOrigin, topOrigin.
        try checkClientData(clientData, type: "webauthn.create", challenge: expectedChallenge)

        // Step 12: hash = SHA-256(clientDataJSON).
        let hash = clientData.hash

        // Step 13: CBOR-decode the attestation object into fmt, authData and attStmt.
        let object = try AttestationObject(bytes: response.response.attestationObject.bytes)
        let authData = object.authenticatorData
        guard let attested = authData.attestedCredentialData else {
            throw WebAuthnError(.malformed, "authenticator data of a registration carries no attested credential data")
        }
        guard attested.credentialID == response.rawId.bytes else {
            throw WebAuthnError(.malformed, "rawId differs from the credential ID in the authenticator data")
        }

        // Step 14: rpIdHash is SHA-256 of the RP ID.
        guard authData.rpIDHash == rpIDHash else { throw WebAuthnError(.rpIDMismatch, "rpIdHash is not SHA-256 of \(id)") }

        // Step 15: UP, unless the options used conditional mediation.
        if !conditionalMediation, !authData.userPresent {
            throw WebAuthnError(.userNotPresent, "the UP flag is not set")
        }

        // Step 16: UV, if required.
        if requiresUserVerification(userVerification), !authData.userVerified {
            throw WebAuthnError(.userNotVerified, "user verification is required but the UV flag is not set")
        }

        // Step 17: BS only with BE.
        if !authData.backupEligible, authData.backupState {
            throw WebAuthnError(.backupStateInvalid, "the BS flag is set without BE")
        }
        // Steps 18–19: BE and BS are evaluated by the caller's policy: they are returned in the
        // record, and `hardwareBoundAndAttested` is false for a backup-eligible credential.

        // Step 20: the credential key's alg is one of pubKeyCredParams (this party's algorithms).
        let key = try COSEKey(cbor: attested.credentialPublicKey)
        guard algorithms.contains(key.algorithm) else {
            throw WebAuthnError(.algorithmNotAllowed, "credential key algorithm \(key.algorithm.rawValue) was not offered")
        }

        // Steps 21–22: match fmt and run that format's verification procedure.
        let context = AttestationContext(
            authenticatorData: authData.raw, clientDataHash: hash, credentialPublicKey: key.publicKey, credentialAlgorithm: key.algorithm,
            aaguid: attested.aaguid)
        let attestation = try AttestationStatement.verify(format: object.format, statement: object.statement, context: context)
        return VerifiedRegistration(object: object, attested: attested, key: key, attestation: attestation)
    }
}
