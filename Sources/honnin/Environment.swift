import Foundation
import HonninAuthn
import HonninCore
import HonninPolicy
import HonninProofing
import HonninSQLite
import HonninStore
import HonninWebAuthn
import Logging

/// The opened data directory: keys, database (migrated), vault and API key services. Every
/// subcommand opens it the same way, so they all work while the server runs.
struct HonninEnvironment {
    let common: ResolvedCommon
    let keys: FileKeyMaterialStore
    let store: SQLiteStore
    let vault: Vault
    let apiKeys: APIKeyService
    let clock: any WallClock = SystemClock()
    let random: any RandomSource = SystemRandom()

    static let databaseName = "honnin.sqlite"

    static func open(_ common: ResolvedCommon, logger: Logger, actor: String) async throws -> HonninEnvironment {
        let fm = FileManager.default
        let dbPath = common.dataDir.appendingPathComponent(databaseName).path
        let firstStart = !fm.fileExists(atPath: dbPath)
        if !fm.fileExists(atPath: common.dataDir.path) {
            try fm.createDirectory(at: common.dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let keys = try FileKeyMaterialStore(directory: common.keyDir)
        let signing = try keys.auditSigningKey()
        let store = try SQLiteStore(path: dbPath, appender: AuditAppender(signingKey: signing, interval: common.checkpointInterval))
        let applied = try store.migrate()
        let clock = SystemClock()
        let random = SystemRandom()
        let vault = Vault(repository: store, keys: keys, clock: clock, random: random)
        let (kek, created) = try await vault.bootstrap(actor: actor)
        if firstStart || created {
            logger.notice(
                "created data directory with a new database and key-encryption key",
                metadata: [
                    "data_dir": "\(common.dataDir.path)", "database": "\(dbPath)", "key_dir": "\(common.keyDir.path)",
                    "kek": "\(kek.rawValue)", "audit_signing_key": "\(signing.id.rawValue)",
                    "migrations": "\(applied.joined(separator: ","))",
                ])
        } else if !applied.isEmpty {
            logger.notice("applied schema migrations", metadata: ["migrations": "\(applied.joined(separator: ","))"])
        }
        return HonninEnvironment(
            common: common, keys: keys, store: store, vault: vault,
            apiKeys: APIKeyService(repository: store, clock: clock, random: random))
    }
}

extension HonninEnvironment {
    /// The flow engine, review and record services over this environment's store (serve and the
    /// subcommands build them the same way).
    /// Accounts over this environment's store. Subcommands that only create accounts need no
    /// relying party; `serve` passes the configured one.
    func authn(relyingParty: RelyingParty? = nil, settings: AuthnSettings = AuthnSettings()) throws -> AuthnService {
        try AuthnService(
            accounts: store.accounts, vault: vault,
            relyingParty: relyingParty ?? RelyingParty(id: "localhost", name: settings.totpIssuer, origins: [], clock: clock),
            lookupKey: try keys.lookupKey(), settings: settings, clock: clock, random: random)
    }

    func engines(
        settings: VerificationSettings = VerificationSettings(), review: ReviewSettings = ReviewSettings(), jpki: JPKISignatureMethod? = nil,
        authn: AuthnService? = nil
    ) throws -> (verifications: VerificationService, reviews: ReviewService, records: RecordService) {
        let policy = PolicyEngine(catalogue: try MethodCatalogue.bundled())
        let verifications = VerificationService(
            repository: store, registry: try ProofingRegistry.standard(catalogue: policy.catalogue, jpki: jpki), vault: vault, policy: policy,
            settings: settings, clock: clock, random: random)
        return (
            verifications,
            ReviewService(reviewers: store, verifications: verifications, settings: review, authn: try authn ?? self.authn(), clock: clock, random: random),
            RecordService(records: store, verifications: verifications, clock: clock)
        )
    }
}
