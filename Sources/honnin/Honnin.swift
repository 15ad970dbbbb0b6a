import ArgumentParser
import Foundation
import HonninCore
import HonninHTTP
import HonninPolicy
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
        subcommands: [Serve.self, Migrate.self, APIKeyCommand.self, KeysCommand.self, AuditCommand.self, Assess.self],
        defaultSubcommand: nil)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP server (creates the data directory on first start).")

    @OptionGroup var common: CommonOptions
    @Option(help: "Address to listen on. Env HONNIN_HOST; default 127.0.0.1") var host: String?
    @Option(help: "Port to listen on (0 picks a free one). Env HONNIN_PORT; default 8080") var port: String?
    @Option(help: "Largest JSON request body in bytes. Env HONNIN_MAX_BODY_BYTES; default 1048576") var maxBodyBytes: String?

    func run() async throws {
        let resolved = try ResolvedCommon(common)
        let host = try resolved.sources.value("host", flag: host, default: "127.0.0.1") { $0.isEmpty ? nil : $0 }
        let port = try resolved.sources.value("port", flag: port, default: 8080) { Int($0).flatMap { (0...65535).contains($0) ? $0 : nil } }
        let maxBody = try resolved.sources.value("max_body_bytes", flag: maxBodyBytes, default: 1 << 20) {
            Int($0).flatMap { (1024...(64 << 20)).contains($0) ? $0 : nil }
        }
        let logger = LogSetup.bootstrap(format: resolved.logFormat, level: resolved.logLevel)
        let env = try await HonninEnvironment.open(resolved, logger: logger, actor: "system")

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        registry.makeGauge(name: "honnin_build_info", labels: [("version", HonninVersion.current)], help: "Honnin build").set(1.0 as Double)

        let store = env.store
        let services = HonninServices(
            apiKeys: env.apiKeys, vault: env.vault, readiness: { await store.isReachable() }, metrics: registry,
            policy: PolicyEngine(catalogue: try MethodCatalogue.bundled()), maxBodyBytes: maxBody)
        let app = buildApplication(services, host: host, port: port, logger: logger) { bound in
            logger.notice("listening", metadata: ["address": "http://\(host):\(bound)", "port": "\(bound)"])
        }
        let group = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.notice("stopped")
    }
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
