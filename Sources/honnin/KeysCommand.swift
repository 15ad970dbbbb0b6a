import ArgumentParser
import Foundation
import HonninCore
import HonninSQLite
import HonninStore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage the key-encryption key of the personal-data vault.", subcommands: [Rotate.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new key-encryption key and re-wrap every data key under it (data is not re-encrypted).")
        @OptionGroup var common: CommonOptions
        @Option(help: "Data keys re-wrapped per transaction.") var batchSize = 500

        func run() async throws {
            let (_, env) = try await common.open()
            guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be 1…10000") }
            let old = try await env.store.activeKEK()
            let (kek, total) = try await env.vault.rotate(actor: "cli", batchSize: batchSize) { p in
                say("re-wrapped \(p.rewrapped) data keys, \(p.remaining) to go")
            }
            say("new key-encryption key \(kek.rawValue) is active; \(total) data keys re-wrapped")
            if let old {
                say("the previous key \(old.rawValue) wraps nothing now; keep its file until no backup you may restore needs it")
            }
        }
    }
}
