import ArgumentParser
import Foundation
import HonninCore
import HonninStore

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey", abstract: "Manage API keys of business back-ends.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print its secret once.")
        @OptionGroup var common: CommonOptions
        @Option(help: "A name to recognise the key by (1–100 characters).") var name: String
        @Flag(help: "Print JSON: {id, name, token}.") var json = false

        func run() async throws {
            let (_, env) = try await common.open()
            let (key, token) = try await env.apiKeys.create(name: name, actor: "cli")
            if json {
                let object = ["id": key.id.rawValue, "name": key.name, "token": token.revealed]
                say(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                say("created API key \(key.id.rawValue) (\(key.name))")
                say("secret — shown only now; store it in your back-end's secret store / このシークレットは今回のみ表示されます:")
                say(token.revealed)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var common: CommonOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (_, env) = try await common.open()
            let keys = try await env.apiKeys.repository.list()
            if json {
                let rows: [[String: Any]] = keys.map {
                    var r: [String: Any] = ["id": $0.id.rawValue, "name": $0.name, "created_at": Timestamp.format($0.createdAt)]
                    r["revoked_at"] = $0.revokedAt.map(Timestamp.format) ?? NSNull()
                    return r
                }
                say(String(decoding: try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            if keys.isEmpty { say("no API keys; create one with `honnin apikey create --name NAME`") }
            for k in keys {
                let status = k.revokedAt.map { "revoked \(Timestamp.format($0))" } ?? "active"
                say("\(k.id.rawValue)  \(Timestamp.format(k.createdAt))  \(status)  \(k.name)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; requests with it fail from now on.")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The key id (key_…).") var id: String

        func run() async throws {
            let (_, env) = try await common.open()
            guard let keyID = HonninID(parsing: id, kind: .apiKey) else { throw ValidationError("\(id) is not an API key id (key_…)") }
            if try await env.apiKeys.revoke(keyID, actor: "cli") {
                say("revoked \(keyID.rawValue)")
            } else {
                throw CleanExit.message("no active API key \(keyID.rawValue)")
            }
        }
    }
}
