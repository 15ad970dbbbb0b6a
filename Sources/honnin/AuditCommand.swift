import ArgumentParser
import Foundation
import HonninCore
import HonninSQLite
import HonninStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the tamper-evident audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the whole chain, check every hash and checkpoint signature; exit 1 at the first broken entry.")
        @OptionGroup var common: CommonOptions
        @Option(
            name: .customLong("public-key"),
            help: "Trust only this checkpoint public key file (ask_….pub); repeatable. Default: the keys in the key directory.")
        var publicKeys: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (resolved, env) = try await common.open()
            let keys: [AuditPublicKey] =
                publicKeys.isEmpty
                ? try env.keys.auditPublicKeys()
                : try publicKeys.map { path in
                    guard let data = FileManager.default.contents(atPath: path) else {
                        throw ValidationError("cannot read \(path)")
                    }
                    return try AuditPublicKey.parse([UInt8](data))
                }
            let report = try await env.store.verify(publicKeys: keys, defaultInterval: resolved.checkpointInterval)
            if json {
                var object: [String: Any] = [
                    "ok": report.ok, "entries": report.entries, "checkpoints": report.checkpoints, "unsigned_tail": report.unsignedTail,
                ]
                if let f = report.failure { object["failure"] = ["seq": f.seq, "problem": f.problem.rawValue] }
                say(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else if let f = report.failure {
                say("audit log BROKEN at entry #\(f.seq): \(f.problem.rawValue) (\(report.entries) entries read)")
            } else {
                say(
                    "audit log OK: \(report.entries) entries, \(report.checkpoints) signed checkpoints"
                        + (report.unsignedTail > 0 ? ", last \(report.unsignedTail) entries not yet under a checkpoint" : ""))
            }
            if !report.ok { throw ExitCode(1) }
        }
    }
}
