import Foundation
import HonninCore
import HonninPKI
import HonninPolicy

/// 公的個人認証 with the 署名用電子証明書 (IAL3, instant): the person's My Number Card signs a
/// server challenge, and the certificate's 基本4情報 become the verified attributes.
///
/// 1. `start` returns `{"challenge": base64url}`: bytes binding a domain label, the flow id, the
///    audience (this server's public URL), the single-use attempt nonce and its expiry. They are
///    derived from the attempt, so nothing else is stored; the engine refuses a used
///    (`challenge_reused`) or expired (`challenge_expired`) attempt.
/// 2. The client signs exactly those bytes with RSASSA-PKCS1-v1_5 / SHA-256 (the card computes
///    over the DigestInfo of SHA-256(challenge)) and submits `{"certificate": base64 DER,
///    "signature": base64}`.
/// 3. `verify` checks chain, validity, key usage, algorithm, revocation (``JPKIVerifier``) and the
///    signature over the challenge, then returns the attributes with the certificate's issuer,
///    serial and the revocation evidence for the record.
public struct JPKISignatureMethod: ProofingMethod {
    public let id = "jpki-signature"
    public let verifier: JPKIVerifier
    /// Bound into every challenge (the server's public URL).
    public let audience: String

    public init(verifier: JPKIVerifier, audience: String) {
        self.verifier = verifier
        self.audience = audience
    }

    /// The challenge for a flow's attempt: `honnin.jpki.challenge.v1 ‖ 0 ‖ flow ‖ 0 ‖ audience ‖
    /// 0 ‖ nonce ‖ 0 ‖ expiry (Unix milliseconds, decimal)`.
    public func challenge(flow: HonninID, attempt: MethodAttempt) -> [UInt8] {
        var out = Array("honnin.jpki.challenge.v1".utf8)
        for part in [flow.rawValue, audience, attempt.nonce, String(Timestamp.milliseconds(attempt.expiresAt))] {
            out.append(0)
            out.append(contentsOf: part.utf8)
        }
        return out
    }

    public func plan(for flow: VerificationFlow, attempt: MethodAttempt, context: ProofingContext) -> [String: JSONValue] {
        [
            "kind": .string("signature"), "certificate": .string("signature"),
            "challenge": .string(Bytes.base64URL(challenge(flow: flow.id, attempt: attempt))),
            "algorithm": .string("RSASSA-PKCS1-v1_5 with SHA-256 (DigestInfo of SHA-256(challenge))"),
            "expires_at": .string(Timestamp.format(attempt.expiresAt)),
        ]
    }

    struct Submission: Decodable {
        let certificate: String?
        let signature: String?
    }

    static func bytes(_ text: String?, member: String, max: Int) throws(InputError) -> [UInt8] {
        guard let text, text.utf8.count <= max * 2,
            let bytes = Bytes.fromBase64OrBase64URL(text), !bytes.isEmpty, bytes.count <= max
        else {
            throw InputError(
                code: JPKIFailure.Code.malformed.rawValue,
                message: LocalizedMessage(
                    id: "evidence.jpki.malformed", ja: "「\(member)」は base64 で送ってください。", en: "Send \"\(member)\" as base64."),
                member: member)
        }
        return bytes
    }

    public func accept(_ body: Data, for flow: VerificationFlow, context: ProofingContext) throws(InputError) -> Evidence {
        let submission = try decodeSubmission(
            Submission.self, body, or: .malformed("certificate and signature must be base64 strings.", ja: "certificate と signature は base64 の文字列です。"))
        let certificate = try Self.bytes(submission.certificate, member: "certificate", max: 16 * 1024)
        let signature = try Self.bytes(submission.signature, member: "signature", max: 1024)
        guard let attempt = flow.attempt else { throw InputError.malformed("No challenge was issued.", ja: "チャレンジがありません。") }
        return Evidence(
            parts: [
                "certificate": Redacted(certificate), "signature": Redacted(signature),
                "challenge": Redacted(challenge(flow: flow.id, attempt: attempt)),
            ],
            summary: ["method": id])
    }

    public func verify(_ evidence: Evidence, for flow: VerificationFlow, context: ProofingContext) async throws -> ProofingOutcome {
        guard let certificate = evidence.parts["certificate"]?.revealed, let signature = evidence.parts["signature"]?.revealed,
            let challenge = evidence.parts["challenge"]?.revealed
        else { return ProofingOutcome(verdict: .failed(JPKIFailure.Code.malformed.rawValue), attributes: nil, ialReached: nil) }
        do throws(JPKIFailure) {
            let verified = try await verifier.verifyResponse(
                certificate: certificate, signature: signature, challenge: challenge, kind: .signature, at: context.clock.now())
            guard let attributes = verified.attributes else {
                return ProofingOutcome(verdict: .failed(JPKIFailure.Code.malformed.rawValue), attributes: nil, ialReached: nil)
            }
            var details = [
                "certificate_issuer": verified.issuer, "certificate_serial": verified.serial, "root_sha256": verified.rootFingerprint,
                "revocation_provider": verified.revocation.provider, "revocation_source": verified.revocation.source,
                "revocation_checked_at": Timestamp.format(verified.revocation.checkedAt),
                "birthdate_era": String(attributes.birthDate.era),
            ]
            if let next = verified.revocation.nextUpdate { details["revocation_next_update"] = Timestamp.format(next) }
            if attributes.birthDate.date == nil { details["birthdate_partial"] = "true" }
            if attributes.nameSubstitute != nil { details["name_substitute"] = "present" }
            if attributes.addressSubstitute != nil { details["address_substitute"] = "present" }
            return ProofingOutcome(
                verdict: .verified, attributes: Redacted(attributes.person), ialReached: 3,
                diagnostics: [Diagnostic(code: "jpki_verified", detail: "certificate chain, revocation and signature verified")], details: details)
        } catch let failure {
            // No revocation answer is a failure now, not a verdict on the person: they may retry later.
            let verdict: Verdict = failure.code == .statusUnavailable ? .retry(failure.code.rawValue) : .failed(failure.code.rawValue)
            return ProofingOutcome(
                verdict: verdict, attributes: nil, ialReached: nil, diagnostics: [Diagnostic(code: failure.code.rawValue, detail: failure.detail)])
        }
    }
}
