import HonninCore

/// The outcome of a successful authentication ceremony (§7.2).
public struct AuthenticationResult: Sendable, Hashable {
    /// The credential record with the step-24 updates applied: store it.
    public let updatedRecord: CredentialRecord
    public let userPresent: Bool
    public let userVerified: Bool
    /// BE and BS of this assertion: a backup-eligible credential is a syncable passkey and is
    /// never counted as hardware-bound.
    public let backupEligible: Bool
    public let backupState: Bool
    /// The signature counter of this assertion.
    public let signCount: UInt32
    /// The raw flags byte, for callers that log or assess more.
    public let flags: AuthenticatorData.Flags
}

/// Who the caller believes is authenticating (§7.2 step 6).
public enum AuthenticatingUser: Sendable, Hashable {
    /// The user was identified before the ceremony (username, cookie): `userHandle` is that
    /// account's user handle; the response's `userHandle`, if present, must equal it.
    case identified(userHandle: [UInt8])
    /// Discoverable-credential login: the response must carry `userHandle`, and the caller found
    /// the account and `credential` through it; it is passed here to be compared.
    case discovered(userHandle: [UInt8])
}

extension RelyingParty {
    /// The authentication ceremony, WebAuthn L3 §7.2 "Verifying an Authentication Assertion",
    /// from the relying party's side (steps 1–2 happen in the browser with
    /// ``requestOptions(challenge:allowCredentials:timeoutMilliseconds:userVerification:)``).
    ///
    /// - Parameters:
    ///   - response: the `AuthenticationResponseJSON` the browser posted.
    ///   - expectedChallenge: the challenge issued for this ceremony (single use is the caller's).
    ///   - credential: the stored record the caller found for `response.rawId`.
    ///   - user: how the user was identified (step 6).
    ///   - allowCredentials: the IDs put in `allowCredentials`; empty when none were (step 5).
    ///   - userVerification: overrides the relying party's requirement for this ceremony.
    public func authenticate(
        response: AuthenticationResponseJSON,
        expectedChallenge: [UInt8],
        credential: CredentialRecord,
        user: AuthenticatingUser,
        allowCredentials: [[UInt8]] = [],
        userVerification: UserVerificationRequirement? = nil
    ) throws(WebAuthnError) -> AuthenticationResult {
        // Step 3: the response is an assertion of a public-key credential.
        guard response.type == "public-key" else { throw WebAuthnError(.malformed, "credential type is not public-key") }
        guard response.id == Bytes.base64URL(response.rawId.bytes) else {
            throw WebAuthnError(.malformed, "credential id is not the base64url of rawId")
        }
        // Step 4: clientExtensionResults are taken from the response (processed at step 23).

        // Step 5: the credential is one of allowCredentials, when that list was not empty.
        if !allowCredentials.isEmpty, !allowCredentials.contains(response.rawId.bytes) {
            throw WebAuthnError(.credentialNotAllowed, "the credential was not in allowCredentials")
        }

        // Step 6: the credential record belongs to the identified user.
        guard credential.id == response.rawId.bytes else {
            throw WebAuthnError(.unknownCredential, "the credential record is not the one the response names")
        }
        let presented = response.response.userHandle?.bytes
        switch user {
        case .identified(let handle):
            if let presented, !Bytes.constantTimeEqual(presented, handle) {
                throw WebAuthnError(.unknownCredential, "userHandle is not the identified user's")
            }
        case .discovered(let handle):
            guard let presented else { throw WebAuthnError(.unknownCredential, "no userHandle for a discoverable-credential login") }
            guard Bytes.constantTimeEqual(presented, handle) else {
                throw WebAuthnError(.unknownCredential, "userHandle is not the account's that holds the credential")
            }
        }

        // Step 7: cData, authData and sig.
        let cData = response.response.clientDataJSON.bytes
        let authData = try AuthenticatorData(bytes: response.response.authenticatorData.bytes)
        let sig = response.response.signature.bytes
        guard authData.attestedCredentialData == nil else {
            throw WebAuthnError(.malformed, "assertion authenticator data carries attested credential data (§6.1: AT must not be set)")
        }

        // Steps 8–9: UTF-8 decode and JSON-parse cData.
        let clientData = try CollectedClientData(bytes: cData)
        // Steps 10–14: type, challenge, origin, crossOrigin, topOrigin.
        try checkClientData(clientData, type: "webauthn.get", challenge: expectedChallenge)

        // Step 15: rpIdHash.
        guard authData.rpIDHash == rpIDHash else { throw WebAuthnError(.rpIDMismatch, "rpIdHash is not SHA-256 of \(id)") }

        // Step 16: UP.
        guard authData.userPresent else { throw WebAuthnError(.userNotPresent, "the UP flag is not set") }

        // Step 17: UV, if required.
        if requiresUserVerification(userVerification), !authData.userVerified {
            throw WebAuthnError(.userNotVerified, "user verification is required but the UV flag is not set")
        }

        // Step 18: BS only with BE.
        if !authData.backupEligible, authData.backupState {
            throw WebAuthnError(.backupStateInvalid, "the BS flag is set without BE")
        }

        // Step 19: BE must not change since registration (19.1, 19.2); policy on BS (19.3) is
        // the caller's, with `backupState` in the result.
        guard authData.backupEligible == credential.backupEligible else {
            throw WebAuthnError(
                .backupStateInvalid, "the BE flag changed since registration (\(credential.backupEligible) → \(authData.backupEligible))")
        }

        // Step 20: hash = SHA-256(cData).
        let hash = clientData.hash

        // Step 21: sig over authData ‖ hash with the stored key.
        guard try credential.isValidSignature(sig, over: authData.raw + hash) else {
            throw WebAuthnError(.badSignature, "the assertion signature does not verify with the credential key")
        }

        // Step 22: the signature counter must grow when either value is non-zero; otherwise the
        // authenticator may be cloned, and this relying party fails the ceremony.
        if authData.signCount != 0 || credential.signCount != 0, authData.signCount <= credential.signCount {
            throw WebAuthnError(.signCountRegression, "signCount \(authData.signCount) is not greater than the stored \(credential.signCount)")
        }

        // Step 23: extension outputs are not acted on (none is requested; unsolicited ones are
        // ignored, as the step permits).

        // Step 24: update signCount, backupState and, once, uvInitialized.
        var updated = credential
        updated.signCount = authData.signCount
        updated.backupState = authData.backupState
        if !updated.uvInitialized { updated.uvInitialized = authData.userVerified }

        // Step 25: the caller continues the ceremony with the result.
        return AuthenticationResult(
            updatedRecord: updated, userPresent: authData.userPresent, userVerified: authData.userVerified,
            backupEligible: authData.backupEligible, backupState: authData.backupState, signCount: authData.signCount, flags: authData.flags)
    }
}
