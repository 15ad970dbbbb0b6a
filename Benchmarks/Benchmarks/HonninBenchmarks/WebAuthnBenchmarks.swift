import Benchmark
import Crypto
import Foundation
import HonninCore
import HonninCredentials
import HonninWebAuthn

// The passkey sign-in figure: full WebAuthn L3 §7.2 assertion verification with an ES256
// credential (`RelyingParty.authenticate`: client data JSON, rpIdHash, flags, backup flags, the
// stored key rebuilt from its SubjectPublicKeyInfo, the P-256 signature, the sign count) per
// CPU-second on one core, against, in the same run,
//  - OpenSSL's P-256 ECDSA verify rate (`openssl speed -mr ecdsap256`): the crypto limit, since
//    one assertion is one ECDSA verify (goal: at least 70 %), and
//  - py_webauthn's `verify_authentication_response` on the very same inputs
//    (`Benchmarks/peer/pywebauthn_rate.py`; goal: at least twice its rate).
// Also the scrypt cost a password sign-in and a recovery code pay, in milliseconds per hash.
// Both sides are timed in CPU seconds (`cpuSeconds`; `openssl speed` and the Python peer count
// CPU time too), so other work on the machine does not skew the ratios.

/// A software authenticator for this benchmark only — never an authenticator of the product:
/// one deterministic P-256 credential that registers with `none` attestation and signs
/// assertions as an authenticator does (authenticator data ‖ SHA-256(clientDataJSON), §6.3.3).
struct BenchmarkSoftAuthenticator {
    let key: P256.Signing.PrivateKey
    let credentialID: [UInt8]
    let rpID: String
    let origin: String

    init(rpID: String, origin: String) throws {
        key = try P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array("honnin benchmark authenticator".utf8))))
        credentialID = Array(SHA256.hash(data: Array("honnin benchmark credential".utf8)))
        self.rpID = rpID
        self.origin = origin
    }

    /// The credential public key as a COSE_Key (RFC 9053 §7.1.1: kty EC2, alg ES256, crv P-256, x, y).
    var coseKey: [UInt8] {
        let point = Array(key.publicKey.x963Representation)  // 04 ‖ x ‖ y
        return CBOREncoder.encode(
            .map([
                CBORMapEntry(.int(1), .int(2)), CBORMapEntry(.int(3), .int(COSEAlgorithm.es256.rawValue)), CBORMapEntry(.int(-1), .int(1)),
                CBORMapEntry(.int(-2), .bytes(Array(point[1...32]))), CBORMapEntry(.int(-3), .bytes(Array(point[33...64]))),
            ]))
    }

    var rpIDHash: [UInt8] { Array(SHA256.hash(data: Array(rpID.utf8))) }

    /// `clientDataJSON` as a browser serialises it (§5.8.1.1).
    func clientData(_ type: String, challenge: [UInt8]) -> [UInt8] {
        Array("{\"type\":\"\(type)\",\"challenge\":\"\(Bytes.base64URL(challenge))\",\"origin\":\"\(origin)\",\"crossOrigin\":false}".utf8)
    }

    /// A registration response with `none` attestation (§8.7), UP and UV set.
    func registration(challenge: [UInt8]) -> RegistrationResponseJSON {
        let authData = AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: [.userPresent, .userVerified], signCount: 0,
            attested: (aaguid: Array(repeating: 0, count: 16), credentialID: credentialID, credentialPublicKey: coseKey))
        let attestation = CBOREncoder.encode(
            .map([CBORMapEntry(.text("fmt"), .text("none")), CBORMapEntry(.text("attStmt"), .map([])), CBORMapEntry(.text("authData"), .bytes(authData))]))
        return RegistrationResponseJSON(
            id: Bytes.base64URL(credentialID), rawId: Base64URLBytes(credentialID),
            response: AuthenticatorAttestationResponseJSON(
                clientDataJSON: Base64URLBytes(clientData("webauthn.create", challenge: challenge)), attestationObject: Base64URLBytes(attestation),
                transports: ["internal"]))
    }

    /// An assertion with UP and UV set and the given counter, signed with the credential key.
    func assertion(challenge: [UInt8], signCount: UInt32, userHandle: [UInt8]) throws -> AuthenticationResponseJSON {
        let cData = clientData("webauthn.get", challenge: challenge)
        let authData = AuthenticatorData.assemble(rpIDHash: rpIDHash, flags: [.userPresent, .userVerified], signCount: signCount)
        let signature = try key.signature(for: authData + Array(SHA256.hash(data: cData))).derRepresentation
        return AuthenticationResponseJSON(
            id: Bytes.base64URL(credentialID), rawId: Base64URLBytes(credentialID),
            response: AuthenticatorAssertionResponseJSON(
                clientDataJSON: Base64URLBytes(cData), authenticatorData: Base64URLBytes(authData), signature: Base64URLBytes(Array(signature)),
                userHandle: Base64URLBytes(userHandle)))
    }
}

/// One registered ES256 credential (stored signCount 0) and one assertion of it (signCount 1),
/// so every verification succeeds and none updates anything.
struct WebAuthnFixture {
    let rp: RelyingParty
    let authenticator: BenchmarkSoftAuthenticator
    let record: CredentialRecord
    let response: AuthenticationResponseJSON
    /// The response as the browser posts it (JSON bytes).
    let responseJSON: [UInt8]
    let challenge: [UInt8]
    let userHandle: [UInt8] = Array(repeating: 0x48, count: 16)

    init() async throws {
        rp = RelyingParty(
            id: "id.honnin.example", name: "Honnin benchmark", origins: ["https://id.honnin.example"], userVerification: .required, clock: SystemClock())
        authenticator = try BenchmarkSoftAuthenticator(rpID: rp.id, origin: "https://id.honnin.example")
        let registrationChallenge = Array(SHA256.hash(data: Array("registration".utf8)))
        record = try await rp.register(
            response: authenticator.registration(challenge: registrationChallenge), expectedChallenge: registrationChallenge,
            isCredentialIDRegistered: { _ in false })
        challenge = Array(SHA256.hash(data: Array("authentication".utf8)))
        response = try authenticator.assertion(challenge: challenge, signCount: 1, userHandle: userHandle)
        responseJSON = Array(try JSONEncoder().encode(response))
        guard record.signCount == 0, try verify().signCount == 1 else { throw CocoaError(.coderInvalidValue) }
    }

    /// §7.2 on the decoded response (what the HTTP layer hands over).
    func verify() throws(WebAuthnError) -> AuthenticationResult {
        try rp.authenticate(response: response, expectedChallenge: challenge, credential: record, user: .identified(userHandle: userHandle))
    }

    /// §7.2 including the JSON decoding of the posted body.
    func verifyJSON() throws(WebAuthnError) -> AuthenticationResult {
        try rp.authenticate(
            response: try AuthenticationResponseJSON.parse(responseJSON), expectedChallenge: challenge, credential: record,
            user: .identified(userHandle: userHandle))
    }

    /// The inputs of the py_webauthn peer, as JSON.
    func peerInputs() throws -> Data {
        let response = try JSONSerialization.jsonObject(with: Data(responseJSON))
        return try JSONSerialization.data(
            withJSONObject: [
                "credential_public_key": Bytes.base64URL(authenticator.coseKey), "response": response, "challenge": Bytes.base64URL(challenge),
                "origin": authenticator.origin, "rp_id": rp.id, "sign_count": 0, "require_user_verification": true,
            ] as [String: Any])
    }
}

/// The py_webauthn peer (`Benchmarks/peer/pywebauthn_rate.py`), kept running for the whole
/// iteration so its slices can alternate with ours: each `measure` has it verify for the given
/// CPU seconds and answer with what it did.
final class PyWebAuthnPeer {
    /// `/work/main/.venv/bin/python`, found from this file's place in the repository
    /// (`$HONNIN_PYTHON` overrides).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var python: String {
        ProcessInfo.processInfo.environment["HONNIN_PYTHON"] ?? repository.appendingPathComponent(".venv/bin/python").path
    }
    static var script: String { repository.appendingPathComponent("Benchmarks/peer/pywebauthn_rate.py").path }

    private let child: Child
    private let inputFile: URL
    private var pending: [UInt8] = []
    /// py_webauthn's version, as the peer reported it.
    private(set) var version = "?"

    /// Starts the peer on the fixture's inputs, or tells why it cannot run.
    static func start(_ fixture: WebAuthnFixture) throws -> Result<PyWebAuthnPeer, Skipped> {
        guard FileManager.default.isExecutableFile(atPath: python) else { return .failure(Skipped(reason: "no Python at \(python) (create the venv)")) }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("honnin-pywebauthn-\(UUID().uuidString).json")
        try fixture.peerInputs().write(to: input)
        let peer = PyWebAuthnPeer(child: try Child([python, script, input.path], input: true), inputFile: input)
        guard let hello = peer.readObject() else {
            peer.close()
            return .failure(Skipped(reason: "the peer printed nothing usable"))
        }
        if let reason = hello["skipped"] as? String {
            peer.close()
            return .failure(Skipped(reason: reason))
        }
        peer.version = hello["webauthn_version"] as? String ?? "?"
        return .success(peer)
    }

    private init(child: Child, inputFile: URL) {
        self.child = child
        self.inputFile = inputFile
    }

    /// `mode` is `parsed` (the credential decoded beforehand) or `json` (the posted text).
    func measure(_ mode: String, seconds: Double) throws -> Rate {
        try child.input?.write(contentsOf: Data("\(mode) \(seconds)\n".utf8))
        guard let answer = readObject(), let calls = answer["calls"] as? Double, let spent = answer["seconds"] as? Double else {
            throw Skipped(reason: "the peer stopped answering")
        }
        var r = Rate()
        r.calls = calls
        r.seconds = spent
        return r
    }

    /// One JSON object line from the peer, or nil at its end.
    private func readObject() -> [String: Any]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0a) {
                let line = Data(pending[..<newline])
                pending.removeSubrange(...newline)
                return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
            }
            let chunk = child.output.availableData
            if chunk.isEmpty { return nil }
            pending += chunk
        }
    }

    /// Ends the peer (end of its input) and removes its input file.
    func close() {
        try? child.input?.close()
        child.wait()
        try? FileManager.default.removeItem(at: inputFile)
    }

    struct Skipped: Error, CustomStringConvertible {
        let reason: String
        var description: String { "py_webauthn comparison skipped: \(reason)" }
    }
}

let webAuthnBenchmarks: @Sendable () -> Void = {
    Benchmark(
        "WebAuthn ES256 assertion verification (§7.2) vs openssl speed ecdsap256 and py_webauthn",
        configuration: .init(
            metrics: [
                .custom("assertions_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("assertions_with_json_parse_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("openssl_p256_verify_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("swift_crypto_p256_verify_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("pct_of_openssl_p256_verify", polarity: .prefersLarger, useScalingFactor: false),
                .custom("pywebauthn_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("ratio_to_pywebauthn_x100", polarity: .prefersLarger, useScalingFactor: false),
                .custom("ratio_to_pywebauthn_with_json_x100", polarity: .prefersLarger, useScalingFactor: false),
                // The most any verifier in this process could reach: swift-crypto's bare P-256
                // verify rate over py_webauthn's (every assertion needs one verify).
                .custom("ceiling_ratio_to_pywebauthn_x100", polarity: .prefersLarger, useScalingFactor: false),
            ],
            maxDuration: .seconds(300), maxIterations: 3)
    ) { benchmark in
        let f = try await WebAuthnFixture()
        // The same signature checked by swift-crypto alone: the limit inside our own process.
        let key = f.authenticator.key.publicKey
        let signature = try P256.Signing.ECDSASignature(derRepresentation: f.response.response.signature.bytes)
        let signed = f.response.response.authenticatorData.bytes + Array(SHA256.hash(data: f.response.response.clientDataJSON.bytes))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // The machine's speed drifts over seconds here (other guests), so the sides alternate
            // and each ratio sums rounds in which both sides ran in the same stretches. OpenSSL:
            // three rounds of one CPU-second of ours against `openssl speed -seconds 3`.
            var besideOpenSSL = Rate(), openssl = Rate()
            for _ in 0..<3 {
                besideOpenSSL += try await Rate.measure { blackHole(try f.verify()) }
                openssl += try opensslVerifyRate("ecdsap256", marker: "F4", bits: "256")
            }
            benchmark.measurement(.custom("openssl_p256_verify_per_s"), Int(openssl.perSecond))
            benchmark.measurement(.custom("pct_of_openssl_p256_verify"), Int(100 * besideOpenSSL.perSecond / openssl.perSecond))
            // py_webauthn: its process stays up, and slices of 0.2 CPU-second alternate with ours
            // (15 rounds: 3 s a side), the bare verify included.
            var ours = Rate(), oursJSON = Rate(), raw = Rate(), peer = Rate(), peerJSON = Rate()
            let py: PyWebAuthnPeer?
            switch try PyWebAuthnPeer.start(f) {
            case .success(let started): py = started
            case .failure(let skipped):
                print(skipped)
                py = nil
            }
            defer { py?.close() }
            for _ in 0..<15 {
                ours += try await Rate.measure(seconds: 0.2) { blackHole(try f.verify()) }
                if let py { peer += try py.measure("parsed", seconds: 0.2) }
                oursJSON += try await Rate.measure(seconds: 0.2) { blackHole(try f.verifyJSON()) }
                if let py { peerJSON += try py.measure("json", seconds: 0.2) }
                raw += await Rate.measure(seconds: 0.2) { blackHole(key.isValidSignature(signature, for: signed)) }
            }
            if let py {
                print("py_webauthn \(py.version)")
                benchmark.measurement(.custom("pywebauthn_per_s"), Int(peer.perSecond))
                benchmark.measurement(.custom("ratio_to_pywebauthn_x100"), Int(100 * ours.perSecond / peer.perSecond))
                benchmark.measurement(.custom("ratio_to_pywebauthn_with_json_x100"), Int(100 * oursJSON.perSecond / peerJSON.perSecond))
                benchmark.measurement(.custom("ceiling_ratio_to_pywebauthn_x100"), Int(100 * raw.perSecond / peer.perSecond))
            }
            benchmark.measurement(.custom("swift_crypto_p256_verify_per_s"), Int(raw.perSecond))
            benchmark.measurement(.custom("assertions_per_s"), Int(ours.perSecond))
            benchmark.measurement(.custom("assertions_with_json_parse_per_s"), Int(oursJSON.perSecond))
        }
    }

    // Where an assertion's time goes (each step alone, same run, nanoseconds per call).
    Benchmark(
        "WebAuthn assertion components",
        configuration: .init(
            metrics: [
                .custom("assertion_ns", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("p256_verify_with_sha256_ns", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("response_json_parse_ns", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("client_data_parse_ns", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("authenticator_data_parse_ns", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("signature_der_read_ns", polarity: .prefersSmaller, useScalingFactor: false),
            ],
            maxDuration: .seconds(60), maxIterations: 1)
    ) { benchmark in
        let f = try await WebAuthnFixture()
        let r = f.response.response
        let key = f.authenticator.key.publicKey
        let signature = try P256.Signing.ECDSASignature(derRepresentation: r.signature.bytes)
        let signed = r.authenticatorData.bytes + Array(SHA256.hash(data: r.clientDataJSON.bytes))
        func ns(_ body: () throws -> Void) async throws -> Int {
            let n = 20_000
            return Int(1e9 * (try await cpuSeconds { for _ in 0..<n { try body() } }) / Double(n))
        }
        benchmark.startMeasurement()
        benchmark.measurement(.custom("assertion_ns"), try await ns { blackHole(try f.verify()) })
        benchmark.measurement(.custom("p256_verify_with_sha256_ns"), try await ns { blackHole(key.isValidSignature(signature, for: signed)) })
        benchmark.measurement(.custom("response_json_parse_ns"), try await ns { blackHole(try AuthenticationResponseJSON.parse(f.responseJSON)) })
        benchmark.measurement(.custom("client_data_parse_ns"), try await ns { blackHole(try CollectedClientData(bytes: r.clientDataJSON.bytes)) })
        benchmark.measurement(.custom("authenticator_data_parse_ns"), try await ns { blackHole(try AuthenticatorData(bytes: r.authenticatorData.bytes)) })
        benchmark.measurement(.custom("signature_der_read_ns"), try await ns { blackHole(ECDSASignatureDER.raw(r.signature.bytes, scalarSize: 32)) })
    }

    Benchmark(
        "WebAuthn companion: scrypt ms per hash at the server's password and recovery-code parameters",
        configuration: .init(
            metrics: [
                .custom("scrypt_ms_per_hash", polarity: .prefersSmaller, useScalingFactor: false),
                .custom("recovery_code_scrypt_ms_per_hash", polarity: .prefersSmaller, useScalingFactor: false),
            ],
            maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let password = Redacted("maple-lantern-river-4921-kite")
        func msPerHash(_ parameters: PasswordHasher.Parameters, _ n: Int) async throws -> Int {
            let hasher = PasswordHasher(parameters: parameters)
            let seconds = try await cpuSeconds { for _ in 0..<n { blackHole(try hasher.hash(password)) } }
            return Int((1000 * seconds / Double(n)).rounded())
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            benchmark.measurement(.custom("scrypt_ms_per_hash"), try await msPerHash(.standard, 10))
            benchmark.measurement(.custom("recovery_code_scrypt_ms_per_hash"), try await msPerHash(RecoveryCodes.standardParameters, 80))
        }
    }
}
