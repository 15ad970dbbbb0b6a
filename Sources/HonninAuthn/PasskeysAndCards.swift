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
    ///
    /// `holder`, when given, is the same card's signature certificate with its signature over the
    /// same challenge (the signature PIN): it is verified like a `jpki-signature` proofing, and a
    /// keyed digest of the person it names (never the attributes) is kept with the link, so a
    /// renewed card can later be linked again with ``relinkJPKI(certificate:signature:holder:challenge:verifier:context:client:)``.
    public func enrollJPKI(
        certificate: [UInt8], signature: [UInt8], holder: JPKIResponse? = nil, challenge: [UInt8], verifier: JPKIVerifier, context: SessionContext
    ) async throws(AuthnError) -> Authenticator {
        _ = try await requireBindingLevel(context)
        let pending = try await consumeChallenge(challenge, purpose: .jpki)
        guard pending.session == context.session.id else { throw AuthnError(.challengeReused, "challenge of another session") }
        let verified = try await jpkiVerify(JPKIResponse(certificate: certificate, signature: signature), challenge: challenge, verifier: verifier)
        let holderDigest = try await holder.asyncMap { response throws(AuthnError) in
            try jpkiHolderDigest(try await jpkiVerify(response, kind: .signature, challenge: challenge, verifier: verifier))
        }
        return try await wrap {
            if let other = try await accounts.authenticator(jpkiLinkKey: verified.linkKey) {
                throw AuthnError(.conflict, other.account == context.account.id ? "this card is already linked" : "this card is linked to another account")
            }
            let now = clock.now()
            let a = Authenticator(
                id: newID(.authenticator), account: context.account.id, method: .jpkiUserCertificate, label: "My Number Card",
                secret: .jpki(linkKey: verified.linkKey, notAfter: verified.notValidAfter, holder: holderDigest), createdAt: now, lastUsedAt: now)
            try await accounts.insertAuthenticator(
                a,
                audit: AuditEvent(
                    action: "authenticator.enrolled", actor: "account:\(context.account.id)", subject: a.id.rawValue,
                    details: [
                        "method": "jpki_user_certificate", "serial": verified.serial, "revocation_provider": verified.revocation.provider,
                        "holder_recorded": holderDigest == nil ? "false" : "true",
                    ], at: now))
            return a
        }
    }

    /// Links a renewed card (a new user-authentication certificate) to the account whose earlier
    /// card was enrolled with its holder, and signs in with it.
    ///
    /// 1. The challenge is consumed (single use, unexpired). 2. Both responses from the new card
    ///    are verified in full, revocation included: the user-authentication certificate and the
    ///    signature certificate (a new signature-certificate proofing, as `jpki-signature` does).
    /// 3. The keyed digest of the person the signature certificate names (name, birth date,
    ///    gender) must match the holder recorded at an earlier enrolment on exactly one account;
    ///    several accounts → `conflict` (nothing is guessed). 4. That account's most recently used
    ///    card link is moved to the new certificate (the authenticator keeps its id; the audit
    ///    entry names both serials). 5. A session (or step-up) follows, as with ``jpkiLogin(certificate:signature:challenge:verifier:context:client:)``.
    ///
    /// A name, birth date or gender that changed since enrolment does not match: the person then
    /// signs in with another factor and links the card again with ``enrollJPKI(certificate:signature:holder:challenge:verifier:context:)``.
    public func relinkJPKI(
        certificate: [UInt8], signature: [UInt8], holder: JPKIResponse, challenge: [UInt8], verifier: JPKIVerifier, context: SessionContext?, client: String
    ) async throws(AuthnError) -> AuthnOutcome {
        // 1.
        let pending = try await consumeChallenge(challenge, purpose: .jpki)
        // 2.
        let verified = try await jpkiVerify(JPKIResponse(certificate: certificate, signature: signature), challenge: challenge, verifier: verifier)
        let digest = try jpkiHolderDigest(try await jpkiVerify(holder, kind: .signature, challenge: challenge, verifier: verifier))
        return try await wrap {
            if try await accounts.authenticator(jpkiLinkKey: verified.linkKey) != nil {
                throw AuthnError(.conflict, "this card is already linked: sign in with it")
            }
            // 3.
            let candidates = try await accounts.authenticators(jpkiHolder: digest).filter { $0.method == .jpkiUserCertificate }
            let owners = Set(candidates.map(\.account))
            guard let owner = owners.first else { throw AuthnError(.invalidCredentials, "no account recorded this card holder") }
            guard owners.count == 1 else { throw AuthnError(.conflict, "several accounts recorded this card holder") }
            guard let account = try await accounts.account(id: owner), account.disabledAt == nil else {
                throw AuthnError(.invalidCredentials, "no account recorded this card holder")
            }
            if let expected = pending.account ?? context?.account.id, expected != account.id {
                throw AuthnError(.invalidCredentials, "card holder of another account")
            }
            // 4.
            guard let previous = candidates.max(by: { ($0.lastUsedAt ?? $0.createdAt) < ($1.lastUsedAt ?? $1.createdAt) }) else {
                throw AuthnError(.invalidCredentials, "no account recorded this card holder")
            }
            let now = clock.now()
            var moved = previous
            moved.secret = .jpki(linkKey: verified.linkKey, notAfter: verified.notValidAfter, holder: digest)
            moved.lastUsedAt = now
            moved.version += 1
            let event = AuditEvent(
                action: "authenticator.relinked", actor: "account:\(account.id)", subject: previous.id.rawValue,
                details: [
                    "method": "jpki_user_certificate", "previous_link": previous.jpkiLinkKey ?? "", "serial": verified.serial,
                    "revocation_provider": verified.revocation.provider,
                ], at: now)
            guard try await accounts.updateAuthenticator(moved, expectedVersion: previous.version, audit: event) else {
                throw AuthnError(.conflict, "the card link changed meanwhile; try again")
            }
            // 5.
            let all = try await accounts.authenticators(account: account.id)
            return try await add(moved.template.entry(at: now), to: context?.account.id == account.id ? context : nil, account: account, client: client, authenticators: all)
        }
    }

    /// Signs in (or steps up) with the card: the certificate must be linked to an account.
    public func jpkiLogin(certificate: [UInt8], signature: [UInt8], challenge: [UInt8], verifier: JPKIVerifier, context: SessionContext?, client: String) async throws(AuthnError) -> AuthnOutcome {
        let pending = try await consumeChallenge(challenge, purpose: .jpki)
        let verified = try await jpkiVerify(JPKIResponse(certificate: certificate, signature: signature), challenge: challenge, verifier: verifier)
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

    func jpkiVerify(
        _ response: JPKIResponse, kind: JPKICertificateKind = .userAuthentication, challenge: [UInt8], verifier: JPKIVerifier
    ) async throws(AuthnError) -> JPKIVerifiedCertificate {
        do {
            return try await verifier.verifyResponse(certificate: response.certificate, signature: response.signature, challenge: challenge, kind: kind, at: clock.now())
        } catch {
            throw AuthnError(.jpki, "\(kind == .signature ? "signature certificate: " : "")\(error.detail)", reason: error.code.rawValue)
        }
    }

    /// The card holder as a keyed digest (HMAC-SHA-256 with the lookup key): NFC name, the birth
    /// date as the certificate writes it (era and digits) and the gender code. Nothing about the
    /// person is stored in clear, and without the key the digest cannot be tested against guesses.
    func jpkiHolderDigest(_ verified: JPKIVerifiedCertificate) throws(AuthnError) -> String {
        // A verified signature certificate always has them; without them there is no holder.
        guard let a = verified.attributes else { throw AuthnError(.jpki, "signature certificate without personal attributes", reason: "malformed") }
        let b = a.birthDate
        let birth = "\(b.era):\(b.year ?? 0):\(b.month ?? 0):\(b.day ?? 0)"
        let text = "honnin.jpki.holder.v1\u{0}\(a.name.precomposedStringWithCanonicalMapping)\u{0}\(birth)\u{0}\(a.genderCode)"
        return Bytes.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: lookupKey)))
    }
}

/// A certificate from a JPKI card and its signature over a challenge.
public struct JPKIResponse: Sendable {
    public let certificate: [UInt8]
    public let signature: [UInt8]

    public init(certificate: [UInt8], signature: [UInt8]) {
        self.certificate = certificate
        self.signature = signature
    }
}

extension Optional {
    /// `map` with an async, typed-throwing transform.
    func asyncMap<U, E: Error>(_ transform: (Wrapped) async throws(E) -> U) async throws(E) -> U? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
