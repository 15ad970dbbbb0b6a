import Foundation
import HonninCards
import HonninCore
import HonninHTTP
import HonninTesting
import Testing

@testable import honnin

/// Flow ids and names the server acknowledged.
actor Submitted {
    var items: [(id: String, name: String)] = []
    var failures: [String] = []
    func add(_ id: String, _ name: String) { items.append((id, name)) }
    func fail(_ why: String) { if failures.count < 5 { failures.append(why) } }
    var count: Int { items.count }
}

func selfDeclaredProfile() -> [String: Any] {
    ["id": "cli-self", "name": ["ja": "テスト", "en": "Test"], "self_asserted_acceptable": true, "personal_information_online": false]
}

/// Creates a flow and returns (id, flow token).
func createFlow(_ client: HTTPTestClient, _ extra: [String: Any] = [:]) async throws -> (String, String) {
    let (status, body) = try await client.request(
        "POST", "v1/verifications", json: ["profile": selfDeclaredProfile(), "requested_attributes": ["name"]].merging(extra) { _, b in b })
    let c = client.object(body)
    guard status == 201, let url = c["url"] as? String, let id = c["id"] as? String,
        let token = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "t" })?.value
    else { throw URLError(.badServerResponse, userInfo: ["status": status, "body": String(decoding: body, as: UTF8.self)]) }
    return (id, token)
}

/// A server trusting the test JPKI roots (`--jpki-roots`) with a current, empty CRL of the
/// signature hierarchy (`--jpki-crl-dir`) and, when `revokedUserAuthentication` is given, a CRL of
/// the user-authentication hierarchy listing those; returns it and its data directory.
func jpkiServer(_ dir: TemporaryDirectory, revokedUserAuthentication: [TestCRLIssuer.Revoked]? = nil) throws -> (ServerProcess, String) {
    let pki = TestJPKI.shared
    let roots = dir.url.appendingPathComponent("jpki-roots")
    let crls = dir.url.appendingPathComponent("jpki-crls")
    try FileManager.default.createDirectory(at: roots, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(at: crls, withIntermediateDirectories: true)
    try pki.rootPEM(pki.signature).write(to: roots.appendingPathComponent("test-sign.pem"), atomically: true, encoding: .utf8)
    try pki.rootPEM(pki.userAuthentication).write(to: roots.appendingPathComponent("test-auth.pem"), atomically: true, encoding: .utf8)
    let now = Date()
    try Data(try pki.crl(pki.signature, revoked: [], thisUpdate: now.addingTimeInterval(-3600), nextUpdate: now.addingTimeInterval(86_400)))
        .write(to: crls.appendingPathComponent("chiyoda.crl"))
    if let revoked = revokedUserAuthentication {
        try Data(try pki.crl(pki.userAuthentication, revoked: revoked, thisUpdate: now.addingTimeInterval(-3600), nextUpdate: now.addingTimeInterval(86_400)))
            .write(to: crls.appendingPathComponent("auth.crl"))
    }
    let data = dir.url.appendingPathComponent("data").path
    return (try ServerProcess(dataDir: data, extra: ["--jpki-roots", roots.path, "--jpki-crl-dir", crls.path]), data)
}

@Suite("Verification flows in a real server process", .serialized)
struct VerificationProcessTests {
    @Test("a SIGKILL during submissions loses no acknowledged evidence; undecided evidence is verified after restart")
    func sigkillDuringSubmission() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let server = try ServerProcess(dataDir: dir.path)
        let (_, token) = try createKey(dir.path)
        let business = HTTPTestClient(base: server.baseURL, token: token)
        let person = HTTPTestClient(base: server.baseURL)
        let submitted = Submitted()
        let workers = (0..<4).map { w in
            Task {
                var n = 0
                // Failures before the kill are recorded and skipped (never a silent stop); the
                // loop ends when the test cancels it after the kill.
                while !Task.isCancelled {
                    n += 1
                    do {
                        let (id, flowToken) = try await createFlow(business)
                        let auth = ["Authorization": "Bearer \(flowToken)"]
                        let (_, started) = try await person.request("POST", "v1/verifications/\(id)/methods/self-declared/start", headers: auth)
                        guard let attempt = person.object(started)["attempt"] as? String else {
                            await submitted.fail("start: \(String(decoding: started, as: UTF8.self))")
                            continue
                        }
                        let name = "山田 \(w)-\(n)"
                        let (status, body) = try await person.request(
                            "POST", "v1/verifications/\(id)/methods/self-declared/submit", json: ["attempt": attempt, "attributes": ["name": name]],
                            headers: auth.merging(["Idempotency-Key": "k-\(id)"]) { a, _ in a })
                        if status == 200 { await submitted.add(id, name) } else { await submitted.fail("submit \(status): \(String(decoding: body, as: UTF8.self))") }
                    } catch {
                        await submitted.fail("\(error)")
                        try? await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while await submitted.count < 40, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let failures = await submitted.failures
        #expect(await submitted.count >= 40, "submissions stalled: \(failures)")
        server.kill(SIGKILL)
        _ = server.wait()
        for w in workers { w.cancel() }
        for w in workers { await w.value }
        let acknowledged = await submitted.items

        let restarted = try ServerProcess(dataDir: dir.path, extra: ["--worker-interval", "0.1"])
        defer {
            restarted.kill(SIGTERM)
            restarted.wait()
        }
        let reader = HTTPTestClient(base: restarted.baseURL, token: token)
        var lost: [String] = []
        for (id, name) in acknowledged {
            let (status, body) = try await reader.request("GET", "v1/verifications/\(id)")
            let object = reader.object(body)
            if status != 200 || object["status"] as? String != "approved" || (object["attributes"] as? [String: Any])?["name"] as? String != name {
                lost.append(id)
            }
        }
        #expect(lost.isEmpty, "\(lost.count) of \(acknowledged.count) acknowledged submissions lost")
        // Nothing is left undecided after the restart's recovery pass.
        try await Task.sleep(for: .milliseconds(500))
        for state in ["evidence_submitted", "verifying"] {
            let (_, body) = try await reader.request("GET", "v1/verifications?status=\(state)")
            #expect((reader.object(body)["items"] as? [Any])?.isEmpty == true, "\(state)")
        }
        let verify = try HonninBinary.run(["audit", "verify", "--data-dir", dir.path])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(!restarted.logText.contains("山田"))
    }

    @Test("reviewer create reads the password from stdin; records verify checks an export offline; purge and webhooks secret")
    func subcommands() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let short = try HonninBinary.run(
            ["reviewer", "create", "--data-dir", dir.path, "--username", "hanako", "--display-name", "審査 花子"], input: "too short\n")
        #expect(short.status != 0 && short.stderr.contains("at least 15"))
        let created = try HonninBinary.run(
            ["reviewer", "create", "--data-dir", dir.path, "--username", "hanako", "--display-name", "審査 花子"], input: "a long enough passphrase\n")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("created reviewer rvr_"))
        let list = try HonninBinary.run(["reviewer", "list", "--data-dir", dir.path])
        #expect(list.stdout.contains("hanako") && list.stdout.contains("active") && !list.stdout.contains("passphrase"))

        let server = try ServerProcess(dataDir: dir.path)
        defer {
            server.kill(SIGTERM)
            server.wait()
        }
        let (_, token) = try createKey(dir.path)
        let business = HTTPTestClient(base: server.baseURL, token: token)
        let person = HTTPTestClient(base: server.baseURL)
        let (id, flowToken) = try await createFlow(business, ["reference": "cli-1"])
        let auth = ["Authorization": "Bearer \(flowToken)"]
        let (_, started) = try await person.request("POST", "v1/verifications/\(id)/methods/self-declared/start", headers: auth)
        let attempt = try #require(person.object(started)["attempt"] as? String)
        let (status, _) = try await person.request(
            "POST", "v1/verifications/\(id)/methods/self-declared/submit", json: ["attempt": attempt, "attributes": ["name": "佐藤 次郎"]], headers: auth)
        #expect(status == 200)
        let (_, got) = try await business.request("GET", "v1/verifications/\(id)")
        let recordID = try #require(business.object(got)["record_id"] as? String)
        let (exportStatus, exported) = try await business.request("GET", "v1/records/\(recordID)")
        #expect(exportStatus == 200)
        let file = dir.url.appendingPathComponent("record.json")
        try exported.write(to: file)

        let keyDir = dir.url.appendingPathComponent("keys").path
        let ok = try HonninBinary.run(["records", "verify", file.path, "--key-dir", keyDir])
        #expect(ok.status == 0 && ok.stdout.contains("ok: record \(recordID)"), "\(ok.stdout) \(ok.stderr)")
        let pub = try #require(try FileManager.default.contentsOfDirectory(atPath: keyDir).first { $0.hasSuffix(".pub") })
        let explicit = try HonninBinary.run(["records", "verify", file.path, "--public-key", "\(keyDir)/\(pub)", "--json"])
        #expect(explicit.status == 0 && explicit.stdout.contains("\"ok\":true"))
        // Change one character of the signed payload: the check fails with exit status 1.
        var object = try #require(try JSONSerialization.jsonObject(with: exported) as? [String: Any])
        var parts = (object["jws"] as! String).split(separator: ".").map(String.init)
        let payload = String(decoding: Bytes.fromBase64URL(parts[1])!, as: UTF8.self).replacingOccurrences(of: "cli-1", with: "cli-2")
        parts[1] = Bytes.base64URL(Array(payload.utf8))
        object["jws"] = parts.joined(separator: ".")
        try JSONSerialization.data(withJSONObject: object).write(to: file)
        let bad = try HonninBinary.run(["records", "verify", file.path, "--key-dir", keyDir])
        #expect(bad.status == 1 && bad.stderr.contains("FAILED"))
        // Another server's key does not vouch for it.
        let other = try TemporaryDirectory()
        defer { other.remove() }
        _ = try HonninBinary.run(["migrate", "--data-dir", other.path])
        let foreign = try HonninBinary.run(["records", "verify", file.path, "--key-dir", other.url.appendingPathComponent("keys").path])
        #expect(foreign.status == 1 && foreign.stderr.contains("not among the trusted"))

        let dry = try HonninBinary.run(["records", "purge", "--data-dir", dir.path, "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("0 record(s) past their retention"))
        let secret = try HonninBinary.run(["webhooks", "secret", "--data-dir", dir.path])
        #expect(secret.status == 0 && Bytes.fromBase64URL(secret.stdout.trimmingCharacters(in: .whitespacesAndNewlines))?.count == 32)
    }

    @Test("serve with --jpki-roots and --jpki-crl-dir offers 公的個人認証; a signed challenge is approved over HTTP with the CRL in the record")
    func jpkiThroughServe() async throws {
        let pki = TestJPKI.shared
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (server, data) = try jpkiServer(dir)
        defer {
            server.kill(SIGTERM)
            server.wait()
        }
        let (_, token) = try createKey(data)
        let business = HTTPTestClient(base: server.baseURL, token: token)
        let (status, body) = try await business.request("POST", "v1/verifications", json: ["preset": "hansyuho-2027", "reference": "aml-1"])
        #expect(status == 201)
        let created = business.object(body)
        #expect((created["allowed_methods"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["jpki-signature"])
        let id = try #require(created["id"] as? String)
        let url = try #require(created["url"] as? String)
        let flowToken = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "t" }?.value)
        let person = HTTPTestClient(base: server.baseURL)
        let auth = ["Authorization": "Bearer \(flowToken)"]
        let (_, started) = try await person.request("POST", "v1/verifications/\(id)/methods/jpki-signature/start", headers: auth)
        let plan = try #require(person.object(started)["plan"] as? [String: Any])
        let encoded = try #require(plan["challenge"] as? String)
        let challenge = try #require(Bytes.fromBase64URL(encoded))
        let attempt = try #require(person.object(started)["attempt"] as? String)
        let (submitted, result) = try await person.request(
            "POST", "v1/verifications/\(id)/methods/jpki-signature/submit",
            json: ["attempt": attempt, "certificate": Data(try pki.issue()).base64EncodedString(), "signature": Data(try pki.sign(challenge)).base64EncodedString()],
            headers: auth)
        #expect(submitted == 200 && person.object(result)["status"] as? String == "approved", "\(String(decoding: result, as: UTF8.self))")
        let (_, got) = try await business.request("GET", "v1/verifications/\(id)")
        let flow = business.object(got)
        #expect(flow["ial_reached"] as? Int == 3)
        #expect((flow["attributes"] as? [String: Any])?["name"] as? String == "山田 花子")
        let recordID = try #require(flow["record_id"] as? String)
        let (_, exported) = try await business.request("GET", "v1/records/\(recordID)")
        let record = try #require(business.object(exported)["record"] as? [String: Any])
        let details = try #require(record["method_details"] as? [String: String])
        #expect(details["revocation_provider"]?.contains("crl") == true && details["certificate_serial"] == "012345")
        #expect(!server.logText.contains("山田"))
    }

    @Test("card simulator → the CLI's card client → server → approved flow → signed record; a wrong PIN says how many tries are left")
    func cardThroughCLIClient() async throws {
        let pki = TestJPKI.shared
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (server, data) = try jpkiServer(dir)
        defer {
            server.kill(SIGTERM)
            server.wait()
        }
        let (_, token) = try createKey(data)
        let business = HTTPTestClient(base: server.baseURL, token: token)
        func hostedURL() async throws -> String {
            let (_, body) = try await business.request("POST", "v1/verifications", json: ["preset": "hansyuho-2027"])
            return try #require(business.object(body)["url"] as? String)
        }
        let card = JPKICard(transport: JPKICardSimulator.holding(pki, signatureCertificate: try pki.issue()))
        // A wrong PIN: the card's answer, with the tries left, in both languages.
        do {
            _ = try await JPKIFlowClient.verifyFlow(url: try await hostedURL(), card: card, pin: Redacted("WRONG1"), http: URLSessionHTTPClient())
            Issue.record("a wrong PIN was accepted")
        } catch {
            #expect("\(error)".contains("4"), "\(error)")
        }
        let result = try await JPKIFlowClient.verifyFlow(url: try await hostedURL(), card: card, pin: Redacted("abc123"), http: URLSessionHTTPClient())
        #expect(result.status == "approved", "\(result)")
        let (_, got) = try await business.request("GET", "v1/verifications/\(result.id)")
        let recordID = try #require(business.object(got)["record_id"] as? String)
        let (_, exported) = try await business.request("GET", "v1/records/\(recordID)")
        let file = dir.url.appendingPathComponent("record.json")
        try exported.write(to: file)
        let verify = try HonninBinary.run(["records", "verify", file.path, "--key-dir", URL(fileURLWithPath: data).appendingPathComponent("keys").path])
        #expect(verify.status == 0 && verify.stdout.contains("jpki-signature"), "\(verify.stdout) \(verify.stderr)")
    }
}
