import ArgumentParser
import Foundation
import HonninCore
import HonninProofing
import HonninSQLite
import HonninStore

#if canImport(Glibc)
import Glibc
#endif

/// Reads one line from standard input; on a terminal, prompts and turns echo off meanwhile.
func readSecret(prompt: String) -> String? {
    let tty = isatty(STDIN_FILENO) == 1
    var saved = termios()
    if tty {
        FileHandle.standardError.write(Data(prompt.utf8))
        tcgetattr(STDIN_FILENO, &saved)
        var quiet = saved
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
    }
    defer {
        if tty {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }
    return readLine(strippingNewline: true)
}

func printJSON(_ object: Any) throws {
    say(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self))
}

struct ReviewerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reviewer", abstract: "Manage reviewers of the console (/console).", subcommands: [Create.self, List.self, Disable.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a reviewer. The password (at least 15 characters) is read from standard input, without echo on a terminal.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Sign-in name: 3–64 of a-z, 0-9, '.', '_', '-'.") var username: String
        @Option(help: "Name shown in the console and the audit trail.") var displayName: String

        func run() async throws {
            let (_, env) = try await common.open()
            guard let password = readSecret(prompt: "password (15+ characters) / パスワード（15文字以上）: ") else {
                throw ValidationError("no password on standard input")
            }
            let reviewer = try await env.engines().reviews.createReviewer(
                username: username, displayName: displayName, password: Redacted(password), actor: "cli")
            say("created reviewer \(reviewer.id.rawValue) (\(reviewer.username)) and its account; sign in at /account/login and add a second factor (the console needs AAL2)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List reviewers.")
        @OptionGroup var common: CommonOptions
        func run() async throws {
            let (_, env) = try await common.open()
            for r in try await env.store.reviewers() {
                say("\(r.id.rawValue)  \(r.username)  \(r.disabledAt.map { "disabled \(Timestamp.format($0))" } ?? "active")  \(r.displayName)")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a reviewer and end their sessions.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The username.") var username: String
        func run() async throws {
            let (_, env) = try await common.open()
            guard var r = try await env.store.reviewer(username: username) else { throw ValidationError("no reviewer \(username)") }
            r.disabledAt = env.clock.now()
            try await env.store.updateReviewer(r, audit: AuditEvent(action: "reviewer.disabled", actor: "cli", subject: r.id.rawValue, at: env.clock.now()))
            say("disabled \(username)")
        }
    }
}

struct RecordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "records", abstract: "Verification records (本人確認記録): export, verify offline, purge expired ones.",
        subcommands: [Verify.self, Export.self, Purge.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an exported record's signature offline (the JSON of GET /v1/records/{id}, or the compact JWS). Exit 1 if it fails.")
        @Argument(help: "The exported file ('-' for standard input).") var file: String
        @Option(help: "Public key file(s) ask_….pub to trust. Default: every one in --key-dir.") var publicKey: [String] = []
        @Option(help: "Key directory holding ask_….pub (default ./.honnin/keys).") var keyDir: String = ".honnin/keys"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
            var jws = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if jws.hasPrefix("{") {
                guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let inner = object["jws"] as? String else {
                    throw ValidationError("\(file): no \"jws\" member")
                }
                jws = inner
            }
            let paths =
                publicKey.isEmpty
                ? ((try? FileManager.default.contentsOfDirectory(atPath: keyDir)) ?? []).filter { $0.hasSuffix(".pub") }.map { "\(keyDir)/\($0)" }
                : publicKey
            let keys = try paths.map { try AuditPublicKey.parse(Array(try Data(contentsOf: URL(fileURLWithPath: $0)))) }
            let verified: (VerificationRecord, keyID: String)
            do throws(RecordSignature.Failure) {
                verified = try RecordSignature.verify(jws, keys: keys)
            } catch {
                let reason: String =
                    switch error {
                    case .badSignature: "the signature does not match (the record was altered or signed by another key)"
                    case .unknownKey(let kid): "signed by \(kid), which is not among the trusted public keys"
                    case .malformed(let why): "malformed: \(why)"
                    }
                if json { try? printJSON(["ok": false, "error": reason]) } else { FileHandle.standardError.write(Data("FAILED: \(reason)\n".utf8)) }
                throw ExitCode(1)
            }
            let (record, kid) = verified
            if json {
                try printJSON(["ok": true, "record_id": record.record_id, "verification_id": record.verification_id, "key_id": kid, "outcome": record.outcome])
            } else {
                say("ok: record \(record.record_id) of \(record.verification_id) (\(record.outcome), \(record.method ?? "-")) signed by \(kid)")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a record with its signature as JSON (a data-subject access request).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The record id (rec_…).") var id: String
        func run() async throws {
            let (_, env) = try await common.open()
            guard let rid = HonninID(parsing: id, kind: .record) else { throw ValidationError("not a record id: \(id)") }
            let (entry, record, jws) = try await env.engines().records.export(rid, actor: "cli")
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let recordJSON = try JSONSerialization.jsonObject(with: try encoder.encode(record))
            try printJSON(["id": entry.id.rawValue, "verification_id": entry.verification.rawValue, "record": recordJSON, "jws": jws])
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Crypto-shred every record whose retention has ended (with its evidence and attributes), with progress.")
        @OptionGroup var common: CommonOptions
        @Flag(help: "Only count what would be purged.") var dryRun = false
        func run() async throws {
            let (_, env) = try await common.open()
            let records = try env.engines().records
            let due = try await env.store.countExpiredRecords(at: env.clock.now())
            if dryRun {
                say("\(due) record(s) past their retention")
                return
            }
            let done = try await records.purgeExpired(actor: "cli") { done, total in
                FileHandle.standardError.write(Data("\rpurged \(done)/\(total)".utf8))
            }
            if done > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
            await env.store.checkpointWAL()
            say("purged \(done) record(s)")
        }
    }
}

struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Webhook signing.", subcommands: [Secret.self])

    struct Secret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the webhook HMAC secret (base64url) for your receiver's configuration.")
        @OptionGroup var common: CommonOptions
        func run() async throws {
            let (_, env) = try await common.open()
            say(Bytes.base64URL(try env.keys.webhookSecret().revealed))
        }
    }
}
