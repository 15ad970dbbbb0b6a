import Crypto
import Foundation
import HonninCore

/// `UserVerificationRequirement` (WebAuthn §5.8.6).
public enum UserVerificationRequirement: String, Sendable, Codable, CaseIterable {
    case required
    case preferred
    case discouraged
}

/// How the registration ceremony assesses attestation (§7.1 step 24).
public struct AttestationPolicy: Sendable, Hashable {
    /// Accept `none` attestation.
    public var acceptNone: Bool
    /// Accept self attestation.
    public var acceptSelf: Bool
    /// Accept a statement that verifies but whose trust path chains to no root the trust source
    /// gives: the credential is registered as unattested (`attestationTrusted` false), as
    /// §7.1 step 24's note permits. When false such a statement is `attestationUntrusted`.
    public var acceptUntrusted: Bool
    /// The `attestation` conveyance preference put in creation options (§5.4.7).
    public var conveyance: String

    public init(acceptNone: Bool, acceptSelf: Bool, acceptUntrusted: Bool, conveyance: String) {
        self.acceptNone = acceptNone
        self.acceptSelf = acceptSelf
        self.acceptUntrusted = acceptUntrusted
        self.conveyance = conveyance
    }

    /// Any credential is registered; only a statement chaining to a trusted root marks it
    /// attested. The usual choice for passkeys.
    public static let permissive = AttestationPolicy(acceptNone: true, acceptSelf: true, acceptUntrusted: true, conveyance: "none")
    /// Only statements chaining to a trusted root (for hardware-bound authenticators at AAL3).
    public static let requireTrusted = AttestationPolicy(acceptNone: false, acceptSelf: false, acceptUntrusted: false, conveyance: "direct")
}

/// A WebAuthn Level 3 relying party: its configuration, and the two ceremonies (§7.1
/// `register`, §7.2 `authenticate`). Challenges are not stored here: the caller keeps the one it
/// issued (single use, with an expiry) and passes it in.
public struct RelyingParty: Sendable {
    /// The RP ID (§5.1.2 "RP ID"): a registrable domain suffix of the origins.
    public var id: String { didSet { rpIDHash = Self.hash(id) } }
    /// SHA-256 of the RP ID, as authenticator data carries it (kept with `id`: every ceremony compares it).
    public private(set) var rpIDHash: [UInt8]
    /// The RP name shown by clients.
    public var name: String
    /// Origins accepted in `clientDataJSON.origin`, compared exactly (§13.4.9).
    public var origins: Set<String>
    /// Whether a ceremony inside a cross-origin iframe is expected (§7.1 steps 10–11).
    public var allowsCrossOrigin: Bool
    /// Top-level origins that may frame the ceremony (`topOrigin`, §7.1 step 11.2).
    public var topOrigins: Set<String>
    /// The default user verification requirement; each ceremony may override it.
    public var userVerification: UserVerificationRequirement
    /// Credential key algorithms offered in `pubKeyCredParams` and accepted (§7.1 step 20), in
    /// order of preference.
    public var algorithms: [COSEAlgorithm]
    public var attestation: AttestationPolicy
    /// Trust anchors per AAGUID (§7.1 step 23).
    public var trustSource: any AttestationTrustSource
    /// The time at which attestation certificate chains are validated.
    public var clock: any WallClock

    public init(
        id: String, name: String, origins: Set<String>, allowsCrossOrigin: Bool = false, topOrigins: Set<String> = [],
        userVerification: UserVerificationRequirement = .preferred, algorithms: [COSEAlgorithm] = [.es256, .eddsa, .rs256],
        attestation: AttestationPolicy = .permissive, trustSource: any AttestationTrustSource = NoAttestationMetadata(), clock: any WallClock
    ) {
        self.id = id
        rpIDHash = Self.hash(id)
        self.name = name
        self.origins = origins
        self.allowsCrossOrigin = allowsCrossOrigin
        self.topOrigins = topOrigins
        self.userVerification = userVerification
        self.algorithms = algorithms
        self.attestation = attestation
        self.trustSource = trustSource
        self.clock = clock
    }

    static func hash(_ id: String) -> [UInt8] { Array(SHA256.hash(data: Array(id.utf8))) }

    /// A fresh challenge from `random` (§13.4.3: at least 16 random bytes; 32 here).
    public static func makeChallenge(random: any RandomSource, length: Int = 32) -> [UInt8] {
        random.bytes(max(16, length))
    }

    /// `PublicKeyCredentialCreationOptionsJSON` for a registration with this relying party's
    /// algorithms, attestation conveyance and user verification requirement.
    public func creationOptions(
        challenge: [UInt8], user: PublicKeyCredentialUserEntityJSON, excludeCredentials: [CredentialRecord] = [],
        residentKey: String = "preferred", authenticatorAttachment: String? = nil, timeoutMilliseconds: UInt32? = 300_000,
        userVerification: UserVerificationRequirement? = nil
    ) -> PublicKeyCredentialCreationOptionsJSON {
        PublicKeyCredentialCreationOptionsJSON(
            rp: PublicKeyCredentialRpEntity(id: id, name: name), user: user, challenge: Base64URLBytes(challenge),
            pubKeyCredParams: algorithms.map { PublicKeyCredentialParameters(alg: $0.rawValue) }, timeout: timeoutMilliseconds,
            excludeCredentials: excludeCredentials.map { PublicKeyCredentialDescriptorJSON(id: Base64URLBytes($0.id), transports: $0.transports) },
            authenticatorSelection: AuthenticatorSelectionCriteria(
                authenticatorAttachment: authenticatorAttachment, residentKey: residentKey, requireResidentKey: residentKey == "required",
                userVerification: (userVerification ?? self.userVerification).rawValue),
            attestation: attestation.conveyance)
    }

    /// `PublicKeyCredentialRequestOptionsJSON` for an authentication.
    public func requestOptions(
        challenge: [UInt8], allowCredentials: [CredentialRecord] = [], timeoutMilliseconds: UInt32? = 300_000,
        userVerification: UserVerificationRequirement? = nil
    ) -> PublicKeyCredentialRequestOptionsJSON {
        PublicKeyCredentialRequestOptionsJSON(
            challenge: Base64URLBytes(challenge), timeout: timeoutMilliseconds, rpId: id,
            allowCredentials: allowCredentials.map { PublicKeyCredentialDescriptorJSON(id: Base64URLBytes($0.id), transports: $0.transports) },
            userVerification: (userVerification ?? self.userVerification).rawValue)
    }

    // MARK: checks shared by both ceremonies

    /// §7.1 steps 7–11 / §7.2 steps 10–14 on parsed client data.
    func checkClientData(_ c: CollectedClientData, type: String, challenge: [UInt8]) throws(WebAuthnError) {
        // §7.1 step 7 / §7.2 step 10.
        guard c.type == type else { throw WebAuthnError(.wrongType, "clientDataJSON.type is \"\(c.type.prefix(40))\", expected \(type)") }
        // §7.1 step 8 / §7.2 step 11 (constant time).
        guard c.challengeMatches(challenge) else { throw WebAuthnError(.challengeMismatch, "clientDataJSON.challenge is not the expected challenge") }
        // §7.1 step 9 / §7.2 step 12: exact match against the configured origins.
        guard origins.contains(c.origin) else { throw WebAuthnError(.originNotAllowed, "origin \"\(c.origin.prefix(200))\" is not an expected origin") }
        // §7.1 step 10 / §7.2 step 13.
        if c.crossOrigin == true, !allowsCrossOrigin {
            throw WebAuthnError(.crossOriginNotAllowed, "the ceremony ran in a cross-origin iframe, which is not expected")
        }
        // §7.1 step 11 / §7.2 step 14.
        if let top = c.topOrigin {
            // Step 11.1 / 14.1.
            guard allowsCrossOrigin else { throw WebAuthnError(.crossOriginNotAllowed, "topOrigin present but no iframe is expected") }
            // Step 11.2 / 14.2.
            guard topOrigins.contains(top) else { throw WebAuthnError(.topOriginNotAllowed, "topOrigin \"\(top.prefix(200))\" is not expected") }
        }
    }

    /// The effective user verification requirement of one ceremony.
    func requiresUserVerification(_ override: UserVerificationRequirement?) -> Bool {
        (override ?? userVerification) == .required
    }
}
