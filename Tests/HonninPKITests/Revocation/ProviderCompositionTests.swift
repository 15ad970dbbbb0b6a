import CryptoExtras
import Foundation
import HonninCore
import HonninHTTP
import HonninPKI
import HonninTesting
import Synchronization
import Testing
import X509

/// A provider that answers from a script and counts its calls.
final class ScriptedProvider: RevocationProvider {
    private let answers: Mutex<[RevocationStatus]>
    private let calls = Mutex(0)
    init(_ answers: [RevocationStatus]) { self.answers = Mutex(answers) }
    var callCount: Int { calls.withLock { $0 } }
    func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        calls.withLock { $0 += 1 }
        return answers.withLock { $0.count > 1 ? $0.removeFirst() : $0.first ?? .unavailable(reason: "empty script") }
    }
}

/// What the fake platform received.
final class SeenRequest: Sendable {
    let fields = Mutex<[String: String]>([:])
}

@Suite("Cache, first-answer chain and the platform adapter")
struct ProviderCompositionTests {
    static let evidence = RevocationEvidence(
        provider: "crl", source: "TEST #01", checkedAt: Fixture.queryTime, thisUpdate: Fixture.issued, nextUpdate: Fixture.issued + Fixture.week)

    @Test("the cache serves good until the TTL, marks it cached, keeps the first check time, then asks again")
    func cacheTTL() async throws {
        let pki = try #require(Fixture.pki)
        let cert = try pki.issueEndEntity(serial: 1)
        let inner = ScriptedProvider([.good(Self.evidence)])
        let clock = TestClock()
        let cache = CachingRevocationProvider(wrapping: inner, ttl: 600, clock: clock)
        #expect(await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime) == .good(Self.evidence))
        clock.advance(by: 599)
        let cached = await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime)
        #expect(cached.evidence?.provider == "cache(crl)")
        #expect(cached.evidence?.checkedAt == Fixture.queryTime)
        #expect(inner.callCount == 1)
        clock.advance(by: 1)
        #expect(await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime).evidence?.provider == "crl")
        #expect(inner.callCount == 2)
        // Another serial is another entry.
        _ = await cache.status(of: try pki.issueEndEntity(serial: 2), issuer: pki.root, at: Fixture.queryTime)
        #expect(inner.callCount == 3)
        #expect(await cache.count == 2)
    }

    @Test("revoked is cached too; unavailable never is")
    func cacheRevokedNotUnavailable() async throws {
        let pki = try #require(Fixture.pki)
        let cert = try pki.issueEndEntity(serial: 1)
        let revoked = RevocationStatus.revoked(reason: .keyCompromise, at: Fixture.issued, Self.evidence)
        let inner = ScriptedProvider([.unavailable(reason: "crl_not_found: x"), .unavailable(reason: "crl_not_found: y"), revoked])
        let cache = CachingRevocationProvider(wrapping: inner, ttl: 600, clock: TestClock())
        #expect(await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime).failureCode == "crl_not_found")
        #expect(await cache.count == 0)
        #expect(await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime).failureCode == "crl_not_found")
        #expect(await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime).revokedReason == .keyCompromise)
        #expect(await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime).revokedReason == .keyCompromise)
        #expect(inner.callCount == 3)
    }

    @Test("the cache never outlives the answer's nextUpdate")
    func cacheRespectsNextUpdate() async throws {
        let pki = try #require(Fixture.pki)
        let cert = try pki.issueEndEntity(serial: 1)
        let short = RevocationEvidence(provider: "ocsp", source: "u", checkedAt: Fixture.queryTime, thisUpdate: nil, nextUpdate: Fixture.queryTime + 60)
        let inner = ScriptedProvider([.good(short)])
        let clock = TestClock()
        let cache = CachingRevocationProvider(wrapping: inner, ttl: 3_600, clock: clock)
        _ = await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime)
        clock.advance(by: 61)
        _ = await cache.status(of: cert, issuer: pki.root, at: Fixture.queryTime)
        #expect(inner.callCount == 2)
    }

    @Test("first answer wins; all unavailable joins the reasons")
    func firstAnswer() async throws {
        let pki = try #require(Fixture.pki)
        let cert = try pki.issueEndEntity(serial: 1)
        let down = ScriptedProvider([.unavailable(reason: "crl_not_found: none")])
        let up = ScriptedProvider([.good(Self.evidence)])
        let never = ScriptedProvider([.unavailable(reason: "should not be asked")])
        #expect(await FirstAnswerRevocationProvider([down, up, never]).status(of: cert, issuer: pki.root, at: Fixture.queryTime).isGood)
        #expect(never.callCount == 0)
        let all = await FirstAnswerRevocationProvider([down, ScriptedProvider([.unavailable(reason: "ocsp_network: refused")])])
            .status(of: cert, issuer: pki.root, at: Fixture.queryTime)
        #expect(all == .unavailable(reason: "all_unavailable: crl_not_found: none; ocsp_network: refused"))
        #expect(await FirstAnswerRevocationProvider([]).status(of: cert, issuer: pki.root, at: Fixture.queryTime).failureCode == "all_unavailable")
    }

    // MARK: - Platform

    func platform(_ body: String, status: Int = 200, seen: SeenRequest? = nil) -> PlatformVerificationProvider {
        let http = TestRevocationHTTPClient { _, headers, requestBody in
            seen?.fields.withLock { s in
                for (k, v) in headers { s[k.lowercased()] = v }
                s["body"] = String(decoding: requestBody, as: UTF8.self)
            }
            return (status, ["content-type": "application/json"], Array(body.utf8))
        }
        return PlatformVerificationProvider(
            configuration: .init(name: "test", url: "https://platform.test.invalid/v1/status", credential: Redacted("s3cret-token")),
            http: http, clock: TestClock())
    }

    @Test("platform good and revoked map with evidence; the request carries both certificates and the bearer token")
    func platformAnswers() async throws {
        let pki = try #require(Fixture.pki)
        let cert = try pki.issueEndEntity(serial: 1)
        let seen = SeenRequest()
        let good = await platform(#"{"status":"good","checked_at":"2027-01-01T23:59:00Z","source":"J-LIS CRL #123"}"#, seen: seen)
            .status(of: cert, issuer: pki.root, at: Fixture.queryTime)
        guard case .good(let evidence) = good else {
            Issue.record("expected good, got \(good)")
            return
        }
        #expect(evidence.provider == "platform:test")
        #expect(evidence.source == "https://platform.test.invalid/v1/status (J-LIS CRL #123)")
        #expect(evidence.checkedAt == Fixture.queryTime - 60)
        let sent = seen.fields.withLock { $0 }
        #expect(sent["authorization"] == "Bearer s3cret-token")
        let json = try #require(try JSONSerialization.jsonObject(with: Data((sent["body"] ?? "").utf8)) as? [String: String])
        #expect(json["certificate"].flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } == (try TestRevocationPKI.der(cert)))
        #expect(json["issuer"].flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) } == (try TestRevocationPKI.der(pki.root)))
        let revoked = await platform(
            #"{"status":"revoked","reason":"certificateHold","revoked_at":"2026-12-24T18:30:00+09:00","checked_at":"2027-01-01T23:59:00.250Z","source":"ocsp"}"#
        ).status(of: cert, issuer: pki.root, at: Fixture.queryTime)
        guard case .revoked(let reason, let at, _) = revoked else {
            Issue.record("expected revoked, got \(revoked)")
            return
        }
        #expect(reason == .certificateHold)
        #expect(at == Date(timeIntervalSince1970: 1_798_104_600))  // 2026-12-24T09:30:00Z
        // The credential never shows in the configuration's description.
        #expect(!String(describing: platform("{}").configuration).contains("s3cret"))
    }

    @Test("platform unknown, malformed, error statuses, bad reasons and stale answers are unavailable", arguments: [
        (#"{"status":"unknown","checked_at":"2027-01-01T23:59:00Z","source":"x"}"#, 200, "status_unknown"),
        (#"{"status":"maybe","checked_at":"2027-01-01T23:59:00Z","source":"x"}"#, 200, "platform_error"),
        (#"{"status":"good","source":"x"}"#, 200, "malformed_response"),
        (#"{"status":"good","checked_at":"yesterday","source":"x"}"#, 200, "malformed_response"),
        (#"{"status":"revoked","reason":"stolen","revoked_at":"2026-12-24T09:30:00Z","checked_at":"2027-01-01T23:59:00Z","source":"x"}"#, 200, "malformed_response"),
        (#"{"status":"revoked","checked_at":"2027-01-01T23:59:00Z","source":"x"}"#, 200, "malformed_response"),
        (#"{"status":"good","checked_at":"2026-12-20T00:00:00Z","source":"x"}"#, 200, "ocsp_stale"),
        (#"{"status":"good","checked_at":"2027-01-03T00:00:00Z","source":"x"}"#, 200, "ocsp_not_yet_valid"),
        ("<html>oops</html>", 200, "malformed_response"),
        (#"{"status":"good","checked_at":"2027-01-01T23:59:00Z","source":"x"}"#, 401, "http_status"),
    ])
    func platformFailures(body: String, status: Int, code: String) async throws {
        let pki = try #require(Fixture.pki)
        let cert = try pki.issueEndEntity(serial: 1)
        #expect(await platform(body, status: status).status(of: cert, issuer: pki.root, at: Fixture.queryTime).failureCode == code)
    }

    @Test("platform network failure is unavailable")
    func platformDown() async throws {
        let pki = try #require(Fixture.pki)
        let p = PlatformVerificationProvider(
            configuration: .init(name: "down", url: "http://127.0.0.1:9/", credential: Redacted("t"), timeout: 5),
            http: URLSessionHTTPClient(), clock: TestClock())
        #expect(await p.status(of: try pki.issueEndEntity(serial: 1), issuer: pki.root, at: Fixture.queryTime).failureCode == "ocsp_network")
    }
}
