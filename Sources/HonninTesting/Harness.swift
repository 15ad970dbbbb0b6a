import Foundation
import GRDB
import HonninAuthn
import HonninCore
import HonninCredentials
import HonninPolicy
import HonninProofing
import HonninSQLite
import HonninStore
import HonninWebAuthn
import Synchronization

/// A SQLite store in a temporary directory with in-memory keys, a fixed clock and seeded
/// randomness, and the verification engine over it. Test support only.
public struct SQLiteHarness: Sendable {
    public let directory: TemporaryDirectory
    public let clock = FixedClock()
    public let random = SeededRandom()
    public let keys: InMemoryKeyMaterialStore
    public let store: SQLiteStore
    public let vault: Vault
    public let apiKeys: APIKeyService
    public let policy: PolicyEngine
    public let verifications: VerificationService
    public let reviews: ReviewService
    public let records: RecordService
    /// Accounts over the same store; the relying party is `localhost` with origin `http://localhost:8080`.
    public let authn: AuthnService

    public init(
        settings: VerificationSettings = VerificationSettings(publicURL: "https://verify.example.jp"), review: ReviewSettings = ReviewSettings(),
        checkpointInterval: Int64 = 16, jpki: JPKISignatureMethod? = nil, authnSettings: AuthnSettings = AuthnSettings()
    ) async throws {
        directory = try TemporaryDirectory("honnin-harness")
        keys = InMemoryKeyMaterialStore(random: random)
        store = try SQLiteStore(
            path: directory.url.appendingPathComponent("honnin.sqlite").path,
            appender: AuditAppender(signingKey: try keys.auditSigningKey(), interval: checkpointInterval))
        try store.migrate()
        vault = Vault(repository: store, keys: keys, clock: clock, random: random)
        try await vault.bootstrap(actor: "test")
        apiKeys = APIKeyService(repository: store, clock: clock, random: random)
        policy = PolicyEngine(catalogue: try MethodCatalogue.bundled())
        verifications = VerificationService(
            repository: store, registry: try ProofingRegistry.standard(catalogue: policy.catalogue, jpki: jpki), vault: vault, policy: policy,
            settings: settings, clock: clock, random: random)
        records = RecordService(records: store, verifications: verifications, clock: clock)
        // Cheap scrypt parameters: tests check behaviour, not cost.
        authn = try AuthnService(
            accounts: store.accounts, vault: vault,
            relyingParty: RelyingParty(id: "localhost", name: "Honnin", origins: ["http://localhost:8080"], clock: clock),
            lookupKey: try keys.lookupKey(), settings: authnSettings, clock: clock, random: random, passwordParameters: .init(logN: 10, r: 8, p: 1),
            recoveryParameters: .init(logN: 10, r: 8, p: 1))
        reviews = ReviewService(reviewers: store, verifications: verifications, settings: review, authn: authn, clock: clock, random: random)
    }

    public func remove() { directory.remove() }

    /// Every audit entry's body, as text, in order.
    public func auditText() async throws -> String {
        try await store.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT body FROM audit_entries ORDER BY seq").map { String(decoding: $0, as: UTF8.self) }
        }.joined(separator: "\n")
    }
}

/// A webhook receiver in memory: records each POST and answers with the statuses given, in
/// turn (then 200). Test support only.
public final class RecordingWebhookTransport: WebhookTransport {
    public struct Received: Sendable {
        public let url: String
        public let headers: [String: String]
        public let body: [UInt8]
    }
    private let state: Mutex<(received: [Received], statuses: [Int])>
    public init(statuses: [Int] = []) { state = Mutex(([], statuses)) }
    public var received: [Received] { state.withLock { $0.received } }

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeInterval) async throws -> Int {
        try state.withLock { s in
            s.received.append(Received(url: url, headers: Dictionary(headers, uniquingKeysWith: { a, _ in a }), body: body))
            let status = s.statuses.isEmpty ? 200 : s.statuses.removeFirst()
            if status == 0 { throw URLError(.timedOut) }
            return status
        }
    }
}
