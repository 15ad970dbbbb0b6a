import Foundation
import GRDB
import HonninCore
import HonninTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Tests of the real `honnin` executable: a server process, subcommands beside it, signals.
/// Creates an API key with the CLI; returns its id and token.
func createKey(_ dataDir: String, name: String = "backend", extra: [String] = []) throws -> (id: String, token: String) {
    let r = try HonninBinary.run(["apikey", "create", "--data-dir", dataDir, "--name", name, "--json"] + extra)
    #expect(r.status == 0, "\(r.stderr)")
    let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String])
    return (try #require(o["id"]), try #require(o["token"]))
}

@Suite("honnin executable", .serialized)
struct ServerProcessTests {

    @Test("first start creates the database and a key-encryption key, says so in one log line, and stops on SIGTERM")
    func firstStartAndGracefulShutdown() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.url.appendingPathComponent("data").path
        let server = try ServerProcess(dataDir: data)
        let created = server.logLines.filter { ($0["msg"] as? String)?.contains("created data directory") == true }
        #expect(created.count == 1)
        #expect((created.first?["kek"] as? String)?.hasPrefix("kek_") == true)
        #expect(FileManager.default.fileExists(atPath: data + "/honnin.sqlite"))
        let keyFiles = try FileManager.default.contentsOfDirectory(atPath: data + "/keys")
        #expect(keyFiles.contains { $0.hasPrefix("kek_") && $0.hasSuffix(".key") })
        let perms = try FileManager.default.attributesOfItem(atPath: data + "/keys/" + keyFiles.first { $0.hasPrefix("kek_") }!)
        #expect((perms[.posixPermissions] as? Int) == 0o600)
        let client = HTTPTestClient(base: server.baseURL)
        #expect(try await client.request("GET", "healthz").status == 200)
        #expect(try await client.request("GET", "readyz").status == 200)
        server.kill(SIGTERM)
        #expect(server.wait() == 0)
        #expect(server.logLines.contains { ($0["msg"] as? String) == "stopped" })
        // A second start finds everything in place and creates nothing.
        let again = try ServerProcess(dataDir: data)
        #expect(!again.logLines.contains { ($0["msg"] as? String)?.contains("created") == true })
        again.kill(SIGINT)
        #expect(again.wait() == 0)
    }

    @Test("apikey create, list and revoke work while the server runs")
    func apiKeysBesideServer() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try ServerProcess(dataDir: dir.path)
        defer { server.kill(SIGKILL) }
        let (id, token) = try createKey(dir.path, name: "EC site")
        let client = HTTPTestClient(base: server.baseURL, token: token)
        let who = try await client.request("GET", "v1/whoami")
        #expect(who.status == 200)
        #expect(client.object(who.body)["id"] as? String == id)
        let list = try HonninBinary.run(["apikey", "list", "--data-dir", dir.path])
        #expect(list.stdout.contains(id) && list.stdout.contains("active") && !list.stdout.contains(token))
        let revoke = try HonninBinary.run(["apikey", "revoke", "--data-dir", dir.path, id])
        #expect(revoke.status == 0)
        #expect(try await client.request("GET", "v1/whoami").status == 401)
        let bad = try HonninBinary.run(["apikey", "revoke", "--data-dir", dir.path, "not-an-id"])
        #expect(bad.status != 0)
    }

    @Test("a server killed with SIGKILL while clients write keeps every acknowledged write")
    func sigkillKeepsAcknowledgedWrites() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try ServerProcess(dataDir: dir.path)
        let (_, token) = try createKey(dir.path)
        let client = HTTPTestClient(base: server.baseURL, token: token)
        let acknowledged = Acknowledged()
        let writers = (0..<4).map { writer in
            Task {
                var n = 0
                while !Task.isCancelled {
                    n += 1
                    let value = "利用者\(writer)-\(n) 東京都港区芝公園4-2-8"
                    guard let (status, body) = try? await client.request("POST", "v1/vault/records", json: ["fields": ["name": value]])
                    else { return }  // the server is gone
                    if status == 201, let id = client.object(body)["id"] as? String { await acknowledged.add(id, value) }
                }
            }
        }
        // Let writes flow, then kill the server in the middle of them.
        while await acknowledged.count < 150 { try await Task.sleep(for: .milliseconds(20)) }
        server.kill(SIGKILL)
        _ = server.wait()
        for w in writers { w.cancel() }
        for w in writers { await w.value }
        let written = await acknowledged.all
        #expect(written.count >= 150)

        let restarted = try ServerProcess(dataDir: dir.path)
        defer {
            restarted.kill(SIGTERM)
            restarted.wait()
        }
        let reader = HTTPTestClient(base: restarted.baseURL, token: token)
        var lost: [String] = []
        for (id, value) in written {
            let (status, body) = try await reader.request("GET", "v1/vault/records/\(id)")
            let fields = reader.object(body)["fields"] as? [String: String]
            if status != 200 || fields?["name"] != value { lost.append(id) }
        }
        #expect(lost.isEmpty, "\(lost.count) acknowledged writes lost of \(written.count)")
        let verify = try HonninBinary.run(["audit", "verify", "--data-dir", dir.path])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
    }

    @Test("keys rotate re-wraps under a running server, which keeps reading and writing")
    func rotateBesideServer() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try ServerProcess(dataDir: dir.path)
        defer { server.kill(SIGKILL) }
        let (_, token) = try createKey(dir.path)
        let client = HTTPTestClient(base: server.baseURL, token: token)
        var ids: [String] = []
        for i in 0..<30 {
            let r = try await client.request("POST", "v1/vault/records", json: ["fields": ["name": "氏名\(i)"]])
            ids.append(try #require(client.object(r.body)["id"] as? String))
        }
        let rotate = try HonninBinary.run(["keys", "rotate", "--data-dir", dir.path, "--batch-size", "10"])
        #expect(rotate.status == 0, "\(rotate.stderr)")
        #expect(rotate.stdout.contains("re-wrapped 10 data keys"))
        #expect(rotate.stdout.contains("30 data keys re-wrapped"))
        for (i, id) in ids.enumerated() {
            let r = try await client.request("GET", "v1/vault/records/\(id)")
            #expect((client.object(r.body)["fields"] as? [String: String])?["name"] == "氏名\(i)")
        }
        let after = try await client.request("POST", "v1/vault/records", json: ["fields": ["name": "新しい記録"]])
        #expect(after.status == 201)
        // The new record is wrapped by the new key: the server picked the rotation up.
        let db = try DatabaseQueue(path: dir.path + "/honnin.sqlite")
        let keks = try await db.read { db in try Int.fetchOne(db, sql: "SELECT count(DISTINCT kek_id) FROM vault_records") }
        #expect(keks == 1)
    }

    @Test("audit verify passes on an intact log and names the first altered entry otherwise")
    func auditVerifyCommand() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for i in 0..<12 { _ = try createKey(dir.path, name: "key \(i)", extra: ["--audit-checkpoint-interval", "5"]) }
        let ok = try HonninBinary.run(["audit", "verify", "--data-dir", dir.path, "--audit-checkpoint-interval", "5"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("audit log OK: 13 entries, 2 signed checkpoints"))
        let db = try DatabaseQueue(path: dir.path + "/honnin.sqlite")
        try await db.write { db in
            try db.execute(sql: "DROP TRIGGER audit_entries_append_only_u")
            try db.execute(sql: "UPDATE audit_entries SET body = CAST(replace(CAST(body AS TEXT), 'apikey', 'apikez') AS BLOB) WHERE seq = 7")
        }
        let broken = try HonninBinary.run(["audit", "verify", "--data-dir", dir.path, "--json", "--audit-checkpoint-interval", "5"])
        #expect(broken.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        #expect((report["failure"] as? [String: Any])?["seq"] as? Int == 7)
        // With the checkpoint key pinned by file (as an auditor would), the altered entry is still named.
        let keys = dir.url.appendingPathComponent("keys")
        let pub = try #require(try FileManager.default.contentsOfDirectory(atPath: keys.path).first { $0.hasSuffix(".pub") })
        let pinned = try HonninBinary.run([
            "audit", "verify", "--data-dir", dir.path, "--audit-checkpoint-interval", "5", "--public-key", keys.appendingPathComponent(pub).path,
        ])
        #expect(pinned.status == 1)
        #expect(pinned.stdout.contains("entry #7"))
    }

    @Test("settings come from flag, then environment, then config file, then default")
    func settingsPrecedence() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let config = dir.url.appendingPathComponent("honnin.json")
        let fileDir = dir.url.appendingPathComponent("from-file").path
        try Data("{\"data_dir\": \"\(fileDir)\", \"log_format\": \"json\"}".utf8).write(to: config)
        // Config file only: data directory from the file.
        var r = try HonninBinary.run(["migrate", "--config", config.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: fileDir + "/honnin.sqlite"))
        // Environment beats the file.
        let envDir = dir.url.appendingPathComponent("from-env").path
        r = try HonninBinary.run(["migrate", "--config", config.path], environment: ["HONNIN_DATA_DIR": envDir])
        #expect(FileManager.default.fileExists(atPath: envDir + "/honnin.sqlite"))
        // The flag beats both.
        let flagDir = dir.url.appendingPathComponent("from-flag").path
        r = try HonninBinary.run(["migrate", "--config", config.path, "--data-dir", flagDir], environment: ["HONNIN_DATA_DIR": envDir])
        #expect(FileManager.default.fileExists(atPath: flagDir + "/honnin.sqlite"))
        // ./honnin.json in the working directory is read when no --config is given, and the
        // default data directory is ./.honnin.
        r = try HonninBinary.run(["migrate"], cwd: dir.url)
        #expect(FileManager.default.fileExists(atPath: fileDir + "/honnin.sqlite"))
        try FileManager.default.removeItem(at: config)
        r = try HonninBinary.run(["migrate"], cwd: dir.url)
        #expect(FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(".honnin/honnin.sqlite").path))
        // Bad values are refused with the setting and its origin named.
        r = try HonninBinary.run(["serve", "--data-dir", fileDir], environment: ["HONNIN_PORT": "eighty"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("HONNIN_PORT"))
        try Data("{\"prot\": 1}".utf8).write(to: config)
        r = try HonninBinary.run(["migrate", "--config", config.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("prot"))
        // The port setting reaches the server: environment port is used.
        let port = Int.random(in: 20000...40000)
        let server = try ServerProcess(dataDir: fileDir, extra: ["--port", "\(port)"])
        #expect(server.port == port)
        server.kill(SIGTERM)
        server.wait()
    }
}

@Suite("honnin assess")
struct AssessCommandTests {
    @Test("explains a preset in Japanese by default, and as JSON with integer levels")
    func assess() throws {
        let text = try HonninBinary.run(["assess", "--preset", "jfa-age"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("必要な保証レベル"))
        #expect(text.stdout.contains("身元確認 IAL2"))
        #expect(text.stdout.contains("当人認証 AAL1"))
        #expect(text.stdout.contains("1. jpki-signature"))
        let json = try HonninBinary.run(["assess", "--preset", "hansyuho-2027", "--json", "--lang", "en"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let required = try #require(object["required"] as? [String: Any])
        #expect(required["ial"] as? Int == 2 && required["aal"] as? Int == 2)
        let methods = try #require(object["methods"] as? [[String: String]])
        #expect(methods.map { $0["id"]! } == ["jpki-signature", "ic-chip"])
        let excluded = try #require(object["excluded"] as? [[String: String]])
        #expect(excluded.allSatisfy { !($0["reason"] ?? "").isEmpty })
        let list = try HonninBinary.run(["assess", "--list-presets"])
        #expect(list.stdout.split(separator: "\n").count == 7)
        let bad = try HonninBinary.run(["assess", "--preset", "nope"])
        #expect(bad.status != 0 && bad.stderr.contains("no such preset"))
    }
}

actor Acknowledged {
    private var items: [(String, String)] = []
    func add(_ id: String, _ value: String) { items.append((id, value)) }
    var count: Int { items.count }
    var all: [(String, String)] { items }
}
