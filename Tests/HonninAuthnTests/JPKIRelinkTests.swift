import Foundation
import HonninAuthn
import HonninCore
import HonninPKI
import HonninTesting
import Testing
import X509

/// Linking a renewed My Number Card again (issue 6 §5): the holder recorded at enrolment is a
/// keyed digest of the signature certificate's person; a new signature-certificate proofing of
/// the same person moves the link. The end-to-end path through `honnin serve` and the CLI is in
/// `JPKILoginProcessTests.renewedCardRelinks`.
@Suite("JPKI card renewal (re-linking)")
struct JPKIRelinkTests {
    let pki = TestJPKI.shared

    /// The test PKI behind a revocation answer: `revoked` serials are revoked, others good.
    func verifier(revoked: Set<[UInt8]> = []) -> JPKIVerifier {
        let evidence = RevocationEvidence(provider: "test", source: "JPKIRelinkTests", checkedAt: FixedClock().now(), thisUpdate: nil, nextUpdate: nil)
        return JPKIVerifier(
            trust: pki.trustStore,
            revocation: TestRevocationProvider { cert in
                revoked.contains(Array(cert.serialNumber.bytes)) ? .revoked(reason: .keyCompromise, at: FixedClock().now().addingTimeInterval(-60), evidence) : .good(evidence)
            }, cache: nil)
    }

    /// A card's certificate of `kind` with `serial`, naming `holder`, and its signature over `message`.
    func response(_ kind: JPKICertificateKind, serial: [UInt8], holder: TestJPKI.SubjectAttributes = .init(), over message: [UInt8]) throws -> JPKIResponse {
        var o = TestJPKI.Options()
        o.kind = kind
        o.serial = serial
        o.subject = holder
        return JPKIResponse(certificate: try pki.issue(o), signature: try pki.sign(message))
    }

    /// Signs up `name` with a password and links a card (user certificate `serial`), with the
    /// holder of `holder` when given.
    func enrol(_ f: AuthnFixture, _ name: String, serial: [UInt8], holder: TestJPKI.SubjectAttributes?) async throws -> SessionContext {
        let ctx = try await f.context(try await f.service.signUp(username: name, password: goodPassword, displayName: nil, client: "test"))
        let challenge = try await f.service.jpkiChallenge(context: ctx)
        _ = try await f.service.enrollJPKI(
            certificate: try response(.userAuthentication, serial: serial, over: challenge).certificate, signature: try pki.sign(challenge),
            holder: try holder.map { try response(.signature, serial: serial + [0x80], holder: $0, over: challenge) }, challenge: challenge, verifier: verifier(),
            context: ctx)
        return ctx
    }

    func relink(_ f: AuthnFixture, serial: [UInt8], holder: TestJPKI.SubjectAttributes = .init(), verifier v: JPKIVerifier? = nil, signOther: Bool = false)
        async throws -> AuthnOutcome
    {
        let challenge = try await f.service.jpkiChallenge(context: nil)
        let signed = signOther ? Array("another challenge".utf8) : challenge
        return try await f.service.relinkJPKI(
            certificate: try response(.userAuthentication, serial: serial, over: challenge).certificate, signature: try pki.sign(challenge),
            holder: try response(.signature, serial: serial + [0x80], holder: holder, over: signed), challenge: challenge, verifier: v ?? verifier(),
            context: nil, client: "test")
    }

    @Test("the same person's renewed card takes over the link and signs in at AAL3; the authenticator keeps its id")
    func renewal() async throws {
        let f = try await AuthnFixture()
        let ctx = try await enrol(f, "hanako", serial: [0x10, 0x01], holder: .init())
        let before = try await f.accounts.authenticators(account: ctx.account.id).filter { $0.method == .jpkiUserCertificate }
        let outcome = try await relink(f, serial: [0x10, 0x02])
        #expect(outcome.aal == 3 && outcome.amr == ["sc", "pin", "mfa"])
        let after = try await f.accounts.authenticators(account: ctx.account.id).filter { $0.method == .jpkiUserCertificate }
        #expect(after.count == 1 && after.first?.id == before.first?.id)
        #expect(after.first?.jpkiLinkKey != before.first?.jpkiLinkKey && after.first?.jpkiHolder == before.first?.jpkiHolder)
        #expect(after.first?.jpkiHolder?.contains("山田") == false)
    }

    @Test("refusals: another person, no holder recorded, two accounts with the holder, a holder signature over something else, a revoked signature certificate")
    func refusals() async throws {
        let f = try await AuthnFixture()
        _ = try await enrol(f, "hanako", serial: [0x20, 0x01], holder: .init())
        var other = TestJPKI.SubjectAttributes()
        other.birthDate = "419900402"
        #expect(await authnCode { _ = try await relink(f, serial: [0x20, 0x02], holder: other) }?.code == .invalidCredentials)
        let bad = await authnCode { _ = try await relink(f, serial: [0x20, 0x03], signOther: true) }
        #expect(bad?.code == .jpki && bad?.reason == "bad_signature")
        let revoked = await authnCode { _ = try await relink(f, serial: [0x20, 0x04], verifier: verifier(revoked: [[0x20, 0x04, 0x80]])) }
        #expect(revoked?.code == .jpki && revoked?.reason == "revoked")

        // Without a recorded holder, nothing matches.
        let g = try await AuthnFixture()
        _ = try await enrol(g, "taro", serial: [0x30, 0x01], holder: nil)
        #expect(await authnCode { _ = try await relink(g, serial: [0x30, 0x02]) }?.code == .invalidCredentials)

        // Two accounts recorded the same holder: nothing is guessed.
        _ = try await enrol(f, "hanako2", serial: [0x20, 0x05], holder: .init())
        #expect(await authnCode { _ = try await relink(f, serial: [0x20, 0x06]) }?.code == .conflict)
    }
}
