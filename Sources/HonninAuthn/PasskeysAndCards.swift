import Crypto
import Foundation
import HonninCore
import HonninPKI
import HonninStore
import HonninWebAuthn
import X509

extension AuthnService {
    /// The WebAuthn user handle of an account: its identifier's bytes (opaque, no personal data,
    /// §5.4.3).
    static func userHandle(_ account: HonninID) -> [UInt8] { Array(account.rawValue.utf8) }

    func issueChallenge(_ purpose: PendingChallenge.Purpose, session: HonninID?, account: HonninID?, userVerification: String, method: AuthenticationMethod?) async throws -> [UInt8] {
        let challenge = RelyingParty.makeChallenge(random: random)
        try await accounts.insertChallenge(
            PendingChallenge(
                digest: Array(SHA256.hash(data: challenge)), purpose: purpose, session: session, account: account, userVerification: userVerification,
                method: method, expiresAt: clock.now().addingTimeInterval(settings.challengeLifetime)))
        return challenge
    }

    /// Takes the pending challenge out (single use); unknown or used → `challenge_reused`,
    /// expired → `challenge_expired`, another purpose → `challenge_reused`.
    func consumeChallenge(_ challenge: [UInt8], purpose: PendingChallenge.Purpose) async throws(AuthnError) -> PendingChallenge {
        let pending = try await wrap { try await accounts.consumeChallenge(digest: Array(SHA256.hash(data: challenge))) }
        guard let pending, pending.purpose == purpose else { throw AuthnError(.challengeReused, "unknown or already used challenge") }
        guard pending.expiresAt > clock.now() else { throw AuthnError(.challengeExpired, "challenge expired") }
        return pending
    }

    static func failure(_ e: WebAuthnError) -> AuthnError { AuthnError(.webAuthn, e.detail, reason: e.code.rawValue) }

    // MARK: Registration

    /// `PublicKeyCredentialCreationOptionsJSON` for a passkey (discoverable, user verification
    /// required, no attestation asked) or a security key (cross-platform, direct attestation, so
    /// FIDO metadata can make it AAL3).
    public func registrationOptions(method: AuthenticationMethod, context: SessionContext) async throws(AuthnError) -> PublicKeyCredentialCreationOptionsJSON {
        guard method == .passkey || method == .securityKey else { throw AuthnError(.invalidInput, "not a WebAuthn method", member: "kind") }
        let authenticators = try await requireBindingLevel(context)
        return try await wrap {
            let (name, display) = try await profile(of: context.account)
            let uv: UserVerificationRequirement = method == .passkey ? .required : .preferred
            let challenge = try await issueChallenge(.registration, session: context.session.id, account: context.account.id, userVerification: uv.rawValue, method: method)
            var rp = relyingParty
            rp.attestation.conveyance = method == .securityKey ? "direct" : "none"
            let existing = authenticators.compactMap { a -> CredentialRecord? in if case .webAuthn(let c) = a.secret { c } else { nil } }
            return rp.creationOptions(
                challenge: challenge, user: PublicKeyCredentialUserEntityJSON(id: Base64URLBytes(Self.userHandle(context.account.id)), name: name, displayName: display),
                excludeCredentials: existing, residentKey: method == .passkey ? "required" : "discouraged",
                authenticatorAttachment: method == .securityKey ? "cross-platform" : nil, userVerification: uv)
        }
    }

    /// Verifies a `RegistrationResponseJSON` (§7.1) and binds the credential. Right after a
    /// password-less sign-up the registration also signs the session in (the person just proved
    /// possession, with user verification).
    public func register(_ response: RegistrationResponseJSON, label: String?, context: SessionContext) async throws(AuthnError) -> (Authenticator, AuthnOutcome?) {
        let clientData: CollectedClientData
        do { clientData = try CollectedClientData(bytes: response.response.clientDataJSON.bytes) } catch { throw Self.failure(error) }
        guard let challenge = Bytes.fromBase64URL(clientData.challenge) else { throw AuthnError(.webAuthn, "challenge not base64url", reason: "malformed") }
        let pending = try await consumeChallenge(challenge, purpose: .registration)
        guard pending.session == context.session.id, let method = pending.method else { throw AuthnError(.challengeReused, "challenge of another session") }
        _ = try await requireBindingLevel(context)
        var rp = relyingParty
        rp.attestation.conveyance = method == .securityKey ? "direct" : "none"
        let record: CredentialRecord
        do {
            record = try await rp.register(
                response: response, expectedChallenge: challenge, userVerification: UserVerificationRequirement(rawValue: pending.userVerification),
                isCredentialIDRegistered: { try await accounts.authenticator(credentialID: $0) != nil })
        } catch let e as WebAuthnError {
            throw Self.failure(e)
        } catch {
            throw AuthnError(.unavailable, "storage: \(error)")
        }
        let now = clock.now()
        let cleanLabel = label.map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars.filter { $0.properties.generalCategory != .control }.prefix(60).map(Character.init)) }
        let a = Authenticator(
            id: newID(.authenticator), account: context.account.id, method: method,
            label: (cleanLabel?.isEmpty == false ? cleanLabel : nil) ?? (method == .passkey ? "passkey" : "security key"),
            secret: .webAuthn(record), createdAt: now, lastUsedAt: now)
        return try await wrap {
            try await accounts.insertAuthenticator(
                a,
                audit: AuditEvent(
                    action: "authenticator.enrolled", actor: "account:\(context.account.id)", subject: a.id.rawValue,
                    details: [
                        "method": method.rawValue, "attestation": record.attestationType.rawValue, "attestation_trusted": String(record.attestationTrusted),
                        "backup_eligible": String(record.backupEligible), "aaguid": Bytes.hex(record.aaguid),
                    ], at: now))
            guard context.session.entries.isEmpty else { return (a, nil) }
            let all = try await accounts.authenticators(account: context.account.id)
            let template = AMREntryTemplate.webAuthn(a.id.rawValue, securityKey: method == .securityKey, userVerified: record.uvInitialized, hardwareBound: Authenticator.hardwareBound(record))
            return (a, try await add(template.entry(at: now), to: context, account: context.account, client: context.session.client, authenticators: all))
        }
    }

    // MARK: Authentication

    /// `PublicKeyCredentialRequestOptionsJSON`: for a step-up, the account's credentials; for a
    /// sign-in, none (discoverable credentials, conditional UI).
    public func authenticationOptions(context: SessionContext?) async throws(AuthnError) -> PublicKeyCredentialRequestOptionsJSON {
        try await wrap {
            var allowed: [CredentialRecord] = []
            if let context {
                allowed = try await accounts.authenticators(account: context.account.id).compactMap { a -> CredentialRecord? in
                    if case .webAuthn(let c) = a.secret { c } else { nil }
                }
            }
            let challenge = try await issueChallenge(
                .authentication, session: context?.session.id, account: context?.account.id, userVerification: relyingParty.userVerification.rawValue, method: nil)
            return relyingParty.requestOptions(challenge: challenge, allowCredentials: allowed)
        }
    }

    /// Verifies an `AuthenticationResponseJSON` (§7.2): a sign-in, or a step-up of `context`.
    public func authenticate(_ response: AuthenticationResponseJSON, context: SessionContext?, client: String) async throws(AuthnError) -> AuthnOutcome {
        let clientData: CollectedClientData
        do { clientData = try CollectedClientData(bytes: response.response.clientDataJSON.bytes) } catch { throw Self.failure(error) }
        guard let challenge = Bytes.fromBase64URL(clientData.challenge) else { throw AuthnError(.webAuthn, "challenge not base64url", reason: "malformed") }
        let pending = try await consumeChallenge(challenge, purpose: .authentication)
        let stored = try await wrap { try await accounts.authenticator(credentialID: response.rawId.bytes) }
        guard let stored, case .webAuthn(let record) = stored.secret else {
            throw AuthnError(.webAuthn, "unknown credential", reason: WebAuthnError.Code.unknownCredential.rawValue)
        }
        if let expected = pending.account, expected != stored.account {
            throw AuthnError(.webAuthn, "credential of another account", reason: WebAuthnError.Code.credentialNotAllowed.rawValue)
        }
        let account = try await wrap { try await accounts.account(id: stored.account) }
        guard let account, account.disabledAt == nil else { throw AuthnError(.invalidCredentials, "account disabled") }
        let handle = Self.userHandle(account.id)
        let result: AuthenticationResult
        do {
            result = try relyingParty.authenticate(
                response: response, expectedChallenge: challenge, credential: record,
                user: pending.account != nil ? .identified(userHandle: handle) : .discovered(userHandle: handle),
                allowCredentials: [], userVerification: UserVerificationRequirement(rawValue: pending.userVerification))
        } catch {
            if error.code == .signCountRegression {
                try await wrap {
                    try await accounts.appendAuditEvent(
                        AuditEvent(action: "authenticator.possible_clone", actor: "anonymous", subject: stored.id.rawValue, details: ["reason": error.detail], at: clock.now()))
                }
            }
            throw Self.failure(error)
        }
        let now = clock.now()
        var updated = stored
        updated.secret = .webAuthn(result.updatedRecord)
        updated.lastUsedAt = now
        updated.version += 1
        return try await wrap {
            guard try await accounts.updateAuthenticator(updated, expectedVersion: stored.version, audit: nil) else {
                throw AuthnError(.conflict, "the credential was used at the same time")
            }
            let all = try await accounts.authenticators(account: account.id)
            let template = AMREntryTemplate.webAuthn(
                stored.id.rawValue, securityKey: stored.method == .securityKey, userVerified: result.userVerified,
                hardwareBound: Authenticator.hardwareBound(result.updatedRecord))
            let step = pending.session.flatMap { id in context?.session.id == id ? context : nil }
            return try await add(template.entry(at: now), to: step ?? (context?.account.id == account.id ? context : nil), account: account, client: client, authenticators: all)
        }
    }

    // MARK: JPKI user certificate (AAL3)

    /// A challenge for `honnin card jpki` (or an app) to sign with the user-authentication key.
    public func jpkiChallenge(context: SessionContext?) async throws(AuthnError) -> [UInt8] {
        try await wrap { try await issueChallenge(.jpki, session: context?.session.id, account: context?.account.id, userVerification: "required", method: .jpkiUserCertificate) }
    }

    /// Links the user-authentication certificate that signed `challenge` to the account.
    public func enrollJPKI(certificate: [UInt8], signature: [UInt8], challenge: [UInt8], verifier: JPKIVerifier, context: SessionContext) async throws(AuthnError) -> Authenticator {
        _ = try await requireBindingLevel(context)
        let pending = try await consumeChallenge(challenge, purpose: .jpki)
        guard pending.session == context.session.id else { throw AuthnError(.challengeReused, "challenge of another session") }
        let verified = try await jpkiVerify(certificate: certificate, signature: signature, challenge: challenge, verifier: verifier)
        return try await wrap {
            if let other = try await accounts.authenticator(jpkiLinkKey: verified.linkKey) {
                throw AuthnError(.conflict, other.account == context.account.id ? "this card is already linked" : "this card is linked to another account")
            }
            let now = clock.now()
            let a = Authenticator(
                id: newID(.authenticator), account: context.account.id, method: .jpkiUserCertificate, label: "My Number Card",
                secret: .jpki(linkKey: verified.linkKey, notAfter: verified.certificate.notValidAfter), createdAt: now, lastUsedAt: now)
            try await accounts.insertAuthenticator(
                a,
                audit: AuditEvent(
                    action: "authenticator.enrolled", actor: "account:\(context.account.id)", subject: a.id.rawValue,
                    details: ["method": "jpki_user_certificate", "serial": verified.serial, "revocation_provider": verified.revocation.provider], at: now))
            return a
        }
    }

    /// Signs in (or steps up) with the card: the certificate must be linked to an account.
    public func jpkiLogin(certificate: [UInt8], signature: [UInt8], challenge: [UInt8], verifier: JPKIVerifier, context: SessionContext?, client: String) async throws(AuthnError) -> AuthnOutcome {
        let pending = try await consumeChallenge(challenge, purpose: .jpki)
        let verified = try await jpkiVerify(certificate: certificate, signature: signature, challenge: challenge, verifier: verifier)
        return try await wrap {
            guard let linked = try await accounts.authenticator(jpkiLinkKey: verified.linkKey), let account = try await accounts.account(id: linked.account),
                account.disabledAt == nil
            else { throw AuthnError(.invalidCredentials, "certificate not linked to an account") }
            if let expected = pending.account, expected != account.id { throw AuthnError(.invalidCredentials, "card of another account") }
            let now = clock.now()
            var used = linked
            used.lastUsedAt = now
            used.version += 1
            _ = try await accounts.updateAuthenticator(used, expectedVersion: linked.version, audit: nil)
            let all = try await accounts.authenticators(account: account.id)
            return try await add(linked.template.entry(at: now), to: context?.account.id == account.id ? context : nil, account: account, client: client, authenticators: all)
        }
    }

    func jpkiVerify(certificate: [UInt8], signature: [UInt8], challenge: [UInt8], verifier: JPKIVerifier) async throws(AuthnError) -> JPKIVerifiedCertificate {
        do {
            return try await verifier.verifyResponse(certificate: certificate, signature: signature, challenge: challenge, kind: .userAuthentication, at: clock.now())
        } catch {
            throw AuthnError(.jpki, error.detail, reason: error.code.rawValue)
        }
    }
}
