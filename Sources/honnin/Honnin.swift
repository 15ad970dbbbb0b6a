import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HonninCore
import HonninHTTP
import HonninPKI
import HonninPolicy
import HonninProofing
import HonninSQLite
import HonninStore
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

@main
struct Honnin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "honnin",
        abstract: "Honnin (本人): digital identity verification server.",
        subcommands: [
            Serve.self, Migrate.self, APIKeyCommand.self, KeysCommand.self, AuditCommand.self, Assess.self, ReviewerCommand.self, RecordsCommand.self,
            WebhooksCommand.self, CardCommand.self, MDSCommand.self,
        ],
        defaultSubcommand: nil)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (creates the data directory on first start).")

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on. Env HONNIN_HOST; default 127.0.0.1") var host: String?
    @Option(help: "Port to listen on (0 picks a free one). Env HONNIN_PORT; default 8080") var port: String?
    @Option(help: "Largest JSON request body in bytes. Env HONNIN_MAX_BODY_BYTES; default 1048576") var maxBodyBytes: String?
    @Option(help: "Largest method submission (base64 images) in bytes. Env HONNIN_MAX_SUBMISSION_BYTES; default 41943040")
    var maxSubmissionBytes: String?
    @Option(help: "Public base URL of the hosted pages. Env HONNIN_PUBLIC_URL; default http://localhost:<port>") var publicURL: String?
    @Option(help: "Seconds a verification waits for the person. Env HONNIN_FLOW_LIFETIME; default 86400") var flowLifetime: String?
    @Option(help: "Seconds between background passes (expiry, recovery, webhooks). Env HONNIN_WORKER_INTERVAL; default 5")
    var workerInterval: String?
    @Option(help: "Seconds before the first webhook retry (doubling after). Env HONNIN_WEBHOOK_RETRY_BASE; default 30")
    var webhookRetryBase: String?
    @Option(help: "Webhook attempts before a delivery is marked failed. Env HONNIN_WEBHOOK_MAX_ATTEMPTS; default 12")
    var webhookMaxAttempts: String?
    @Option(help: "Hours a review case may wait before it is overdue. Env HONNIN_REVIEW_SLA_HOURS; default 24") var reviewSlaHours: String?
    @OptionGroup var jpki: JPKIOptions
    @OptionGroup var authnOptions: AuthnOptions
    @Option(help: "Approvals need a second reviewer (true/false). Env HONNIN_FOUR_EYES; default false") var fourEyes: String?

    func run() async throws {
        let resolved = try ResolvedCommon(common)
        let host = try resolved.sources.value("host", flag: host, default: "127.0.0.1") { $0.isEmpty ? nil : $0 }
        var port = try resolved.sources.value("port", flag: port, default: 8080) { Int($0).flatMap { (0...65535).contains($0) ? $0 : nil } }
        // Port 0 asks for a free port. It is chosen here, before the services are built, because
        // the hosted pages' URLs (and the JPKI challenge's audience) name the port.
        if port == 0 { port = try freePort(host: host) }
        let maxBody = try resolved.sources.value("max_body_bytes", flag: maxBodyBytes, default: 1 << 20) {
            Int($0).flatMap { (1024...(64 << 20)).contains($0) ? $0 : nil }
        }
        let maxSubmission = try resolved.sources.value("max_submission_bytes", flag: maxSubmissionBytes, default: 40 << 20) {
            Int($0).flatMap { (1 << 20...(256 << 20)).contains($0) ? $0 : nil }
        }
        let publicURL = try resolved.sources.value("public_url", flag: publicURL, default: "http://localhost:\(port)") { text in
            let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
            return (try? VerificationService.checkURL(trimmed, member: "public_url")).flatMap { $0 }
        }
        let lifetime = try resolved.sources.value("flow_lifetime", flag: flowLifetime, default: 86_400) {
            Int($0).flatMap { (60...(30 * 86_400)).contains($0) ? $0 : nil }
        }
        let interval = try resolved.sources.value("worker_interval", flag: workerInterval, default: 5) {
            Double($0).flatMap { (0.05...3600).contains($0) ? $0 : nil }
        }
        let sla = try resolved.sources.value("review_sla_hours", flag: reviewSlaHours, default: 24.0) {
            Double($0).flatMap { (0.1...(24.0 * 90)).contains($0) ? $0 : nil }
        }
        let retryBase = try resolved.sources.value("webhook_retry_base", flag: webhookRetryBase, default: 30.0) {
            Double($0).flatMap { (0.1...3600).contains($0) ? $0 : nil }
        }
        let maxAttempts = try resolved.sources.value("webhook_max_attempts", flag: webhookMaxAttempts, default: 12) {
            Int($0).flatMap { (1...50).contains($0) ? $0 : nil }
        }
        let fourEyes = try resolved.sources.value("four_eyes", flag: fourEyes, default: false) { ["true": true, "false": false][$0.lowercased()] }
        let logger = LogSetup.bootstrap(format: resolved.logFormat, level: resolved.logLevel)
        let env = try await HonninEnvironment.open(resolved, logger: logger, actor: "system")

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        registry.makeGauge(name: "honnin_build_info", labels: [("version", HonninVersion.current)], help: "Honnin build").set(1.0 as Double)

        let store = env.store
        let settings = VerificationSettings(
            flowLifetime: TimeInterval(lifetime), publicURL: publicURL, webhookRetryBase: retryBase, webhookMaxAttempts: maxAttempts)
        let http = URLSessionHTTPClient()
        let jpkiMethod = try await jpki.method(resolved, env: env, http: http, audience: publicURL, logger: logger)
        let authn = try await authnOptions.service(resolved, env: env, publicURL: publicURL, logger: logger)
        let (verifications, reviews, records) = try env.engines(
            settings: settings, review: ReviewSettings(sla: sla * 3600, fourEyes: fourEyes), jpki: jpkiMethod, authn: authn)
        var services = HonninServices(
            apiKeys: env.apiKeys, vault: env.vault, readiness: { await store.isReachable() }, metrics: registry,
            policy: verifications.policy, verifications: verifications, reviews: reviews, records: records, maxBodyBytes: maxBody,
            maxSubmissionBytes: maxSubmission)
        services.authn = authn
        services.jpkiVerifier = jpkiMethod?.verifier
        let worker = FlowWorker(
            verifications: verifications,
            webhooks: WebhookDispatcher(
                repository: store, transport: http, secret: try env.keys.webhookSecret(), clock: env.clock,
                settings: settings),
            interval: interval, logger: logger)
        let app = buildApplication(services, host: host, port: port, logger: logger) { bound in
            logger.notice("listening", metadata: ["address": "http://\(host):\(bound)", "port": "\(bound)"])
        }
        let group = ServiceGroup(
            configuration: .init(services: [app, worker], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }
}

/// Background passes: resumes evidence acknowledged but not decided (after a crash), expires
/// flows past their deadline, and delivers due webhooks. Every pass is idempotent; errors are
/// logged (without personal data) and retried on the next pass.
struct FlowWorker: Service {
    let verifications: VerificationService
    let webhooks: WebhookDispatcher
    let interval: Double
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var first = true
            while !Task.isCancelled {
                // At start nothing is in progress: resume every undecided flow. Later, only those
                // idle for a minute, so a request still verifying is not raced.
                await pass(staleAfter: first ? 0 : 60)
                first = false
                try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            }
        }
    }

    func pass(staleAfter: TimeInterval) async {
        do {
            let resumed = try await verifications.resumeUndecided(staleAfter: staleAfter)
            if resumed > 0 { logger.notice("resumed undecided verifications", metadata: ["count": "\(resumed)"]) }
            let expired = try await verifications.expireDue()
            if expired > 0 { logger.info("expired verifications", metadata: ["count": "\(expired)"]) }
            try await webhooks.deliverDue()
        } catch let error as HonninError {
            logger.error("background pass failed", metadata: ["error.code": "\(error.code)", "error.reason": "\(error.reason)"])
        } catch {
            logger.error("background pass failed", metadata: ["error.type": "\(type(of: error))"])
        }
    }
}

/// A port the kernel considers free on `host` now (bind to port 0, read it back, close).
func freePort(host: String) throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ValidationError("cannot open a socket to find a free port") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
    if address.sin_addr.s_addr == INADDR_NONE { address.sin_addr.s_addr = INADDR_ANY }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw ValidationError("cannot find a free port on \(host)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

enum HonninVersion {
    static let current = "0.1.0"
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations (serve does this at start too).")
    @OptionGroup var common: CommonOptions

    func run() async throws {
        // Opening the environment applies pending migrations (and logs which).
        let (_, env) = try await common.open()
        let pending = try env.store.pendingMigrations()
        say(pending.isEmpty ? "schema is up to date (\(SchemaMigrations.all.count) migrations)" : "pending: \(pending.joined(separator: ", "))")
    }
}

/// Prints to standard output without buffering surprises (command output, not logs).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
