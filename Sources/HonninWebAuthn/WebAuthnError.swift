/// Why a WebAuthn ceremony, attestation statement or metadata BLOB was refused. The code is
/// stable (snake_case on the wire and in logs); the detail is for the operator, never the client.
public struct WebAuthnError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// CBOR, JSON, authenticator data or an attestation statement does not parse.
        case malformed
        /// `clientDataJSON.type` is not the ceremony's (§7.1 step 7 / §7.2 step 10).
        case wrongType = "wrong_type"
        case challengeMismatch = "challenge_mismatch"
        case challengeExpired = "challenge_expired"
        case challengeReused = "challenge_reused"
        case originNotAllowed = "origin_not_allowed"
        case crossOriginNotAllowed = "cross_origin_not_allowed"
        case topOriginNotAllowed = "top_origin_not_allowed"
        case rpIDMismatch = "rp_id_mismatch"
        case userNotPresent = "user_not_present"
        case userNotVerified = "user_not_verified"
        /// BS set while BE is clear, or BE changed since registration.
        case backupStateInvalid = "backup_state_invalid"
        case algorithmNotAllowed = "algorithm_not_allowed"
        case unsupportedFormat = "unsupported_attestation_format"
        /// The attestation statement fails its format's verification procedure (§8).
        case attestationInvalid = "attestation_invalid"
        /// The statement verifies but does not chain to an accepted root, or policy refuses its type.
        case attestationUntrusted = "attestation_untrusted"
        /// FIDO MDS marks the authenticator REVOKED or its attestation key compromised.
        case authenticatorRevoked = "authenticator_revoked"
        case credentialIDTooLong = "credential_id_too_long"
        case credentialAlreadyRegistered = "credential_already_registered"
        case credentialNotAllowed = "credential_not_allowed"
        case unknownCredential = "unknown_credential"
        case badSignature = "bad_signature"
        /// signCount did not increase (§7.2 step 22): a possibly cloned authenticator.
        case signCountRegression = "sign_count_regression"
        case extensionInvalid = "extension_invalid"
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}
