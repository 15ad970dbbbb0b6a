import ArgumentParser
import Foundation
import HonninCore

/// Where settings come from, in order of precedence: command-line flag, environment variable
/// (`HONNIN_<NAME>`), configuration file (JSON object, key `<name>`), built-in default.
///
/// The configuration file is the one named by `--config` or `HONNIN_CONFIG`, else `honnin.json`
/// in the working directory if it exists. Every setting follows the same pattern: setting
/// `max_body_bytes` is `--max-body-bytes`, `HONNIN_MAX_BODY_BYTES`, `"max_body_bytes"`.
struct SettingSources {
    let environment: [String: String]
    let file: [String: Any]
    let filePath: String?

    init(configFlag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.environment = environment
        var path = configFlag ?? environment["HONNIN_CONFIG"]
        if path == nil, FileManager.default.fileExists(atPath: "honnin.json") { path = "honnin.json" }
        self.filePath = path
        guard let path else {
            self.file = [:]
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("configuration file \(path) cannot be read")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("configuration file \(path) is not a JSON object")
        }
        let unknown = Set(object.keys).subtracting(Setting.allNames)
        guard unknown.isEmpty else {
            throw ValidationError("configuration file \(path) has unknown settings: \(unknown.sorted().joined(separator: ", "))")
        }
        self.file = object
    }

    /// The raw value and where it came from.
    func raw(_ name: String, flag: String?) -> (value: String, origin: String)? {
        if let flag { return (flag, "--" + name.replacingOccurrences(of: "_", with: "-")) }
        let envName = "HONNIN_" + name.uppercased()
        if let v = environment[envName] { return (v, envName) }
        if let v = file[name] {
            let text = (v as? String) ?? (v as? NSNumber).map { "\($0)" } ?? "\(v)"
            return (text, "\(filePath ?? "config"): \(name)")
        }
        return nil
    }

    func value<T>(_ name: String, flag: String?, default def: T, parse: (String) -> T?) throws -> T {
        guard let (text, origin) = raw(name, flag: flag) else { return def }
        guard let v = parse(text) else { throw ValidationError("invalid value \"\(text)\" for \(name) (from \(origin))") }
        return v
    }
}

/// The names of every setting, for validating configuration files.
enum Setting {
    static let allNames: Set<String> = [
        "host", "port", "data_dir", "key_dir", "log_format", "log_level", "max_body_bytes", "audit_checkpoint_interval",
        "max_submission_bytes", "public_url", "flow_lifetime", "worker_interval", "review_sla_hours", "four_eyes",
        "webhook_retry_base", "webhook_max_attempts", "jpki_roots", "jpki_crl_dir", "jpki_ocsp_url", "jpki_platform_name", "jpki_platform_url",
        "jpki_platform_token", "jpki_status_cache_seconds",
    ]
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "Configuration file (JSON). Default: $HONNIN_CONFIG, else ./honnin.json if present.")
    var config: String?

    @Option(help: "Data directory holding the database (and keys unless --key-dir). Env HONNIN_DATA_DIR; default ./.honnin")
    var dataDir: String?

    @Option(help: "Directory of key files. Env HONNIN_KEY_DIR; default <data-dir>/keys")
    var keyDir: String?

    @Option(help: "Log format: text or json. Env HONNIN_LOG_FORMAT; default text")
    var logFormat: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Env HONNIN_LOG_LEVEL; default info")
    var logLevel: String?

    @Option(help: "Sign an audit checkpoint at least every N entries. Env HONNIN_AUDIT_CHECKPOINT_INTERVAL; default 1000")
    var auditCheckpointInterval: String?
}

/// Settings shared by every subcommand, resolved.
struct ResolvedCommon {
    let sources: SettingSources
    let dataDir: URL
    let keyDir: URL
    let logFormat: LogFormat
    let logLevel: String
    let checkpointInterval: Int64

    init(_ o: CommonOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let sources = try SettingSources(configFlag: o.config, environment: environment)
        self.sources = sources
        let dataDir = try sources.value("data_dir", flag: o.dataDir, default: "./.honnin") { $0.isEmpty ? nil : $0 }
        self.dataDir = URL(fileURLWithPath: dataDir).standardizedFileURL
        let keyDir = try sources.value("key_dir", flag: o.keyDir, default: "") { $0 }
        self.keyDir = keyDir.isEmpty ? self.dataDir.appendingPathComponent("keys") : URL(fileURLWithPath: keyDir).standardizedFileURL
        self.logFormat = try sources.value("log_format", flag: o.logFormat, default: .text) { LogFormat(rawValue: $0) }
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        self.logLevel = try sources.value("log_level", flag: o.logLevel, default: "info") { levels.contains($0) ? $0 : nil }
        self.checkpointInterval = try sources.value("audit_checkpoint_interval", flag: o.auditCheckpointInterval, default: 1000) {
            Int64($0).flatMap { (1...1_000_000).contains($0) ? $0 : nil }
        }
    }
}

extension CommonOptions {
    /// Resolves the shared settings, bootstraps logging and opens the data directory.
    func open(actor: String = "cli") async throws -> (ResolvedCommon, HonninEnvironment) {
        let resolved = try ResolvedCommon(self)
        let logger = LogSetup.bootstrap(format: resolved.logFormat, level: resolved.logLevel)
        return (resolved, try await HonninEnvironment.open(resolved, logger: logger, actor: actor))
    }
}
