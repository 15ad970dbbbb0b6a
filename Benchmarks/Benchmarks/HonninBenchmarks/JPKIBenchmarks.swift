import Benchmark
import Crypto
import CryptoExtras
import Foundation
import HonninCore
import HonninPKI
import HonninTesting
import X509

// Issue 5's figure: full server-side JPKI checks per second — parse, algorithm, chain to the
// root (one RSA-2048 verify), validity, key usage, the SAN attributes, the signature over the
// challenge (a second RSA-2048 verify) and a cached revocation answer — against OpenSSL's
// RSA-2048 verify rate measured in the same run. Two verifies per check, so the ceiling is
// half of OpenSSL's rate; the goal is at least 60 % of that ceiling.

/// `openssl speed -seconds 3 -mr rsa2048` on one core: (sign/s, verify/s).
func opensslRSA2048() throws -> (sign: Double, verify: Double) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["openssl", "speed", "-seconds", "3", "-mr", "rsa2048"]
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    // OpenSSL 3: "+F2:<index>:<bits>:<sign/s>:<verify/s>".
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("+F2:") {
        let f = line.split(separator: ":")
        if f.count == 5, f[2] == "2048", let s = Double(f[3]), let v = Double(f[4]) { return (s, v) }
    }
    throw CocoaError(.fileReadCorruptFile)
}

struct JPKIFixture {
    let verifier: JPKIVerifier
    let certificate: [UInt8]
    let challenge: [UInt8]
    let signature: [UInt8]
    let dir: URL

    init() async throws {
        let pki = TestJPKI.shared
        certificate = try pki.issue()
        challenge = Array("honnin.jpki.challenge.v1\u{0}flw_bench\u{0}https://honnin.example\u{0}nonce\u{0}1798761600000".utf8)
        signature = try pki.sign(challenge)
        // A real CRL store (with a CRL listing other serials) behind the status cache, as `serve`
        // wires it with --jpki-crl-dir and --jpki-status-cache-seconds.
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("honnin-bench-crl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let now = Date()
        let revoked = (1...200).map { TestCRLIssuer.Revoked(serial: 0x7F00 + $0, date: now.addingTimeInterval(-86_400), reason: .superseded) }
        let crl = try pki.crl(pki.signature, revoked: revoked, thisUpdate: now.addingTimeInterval(-3600), nextUpdate: now.addingTimeInterval(86_400))
        try Data(crl).write(to: dir.appendingPathComponent("sign.crl"))
        let store = CRLStore(directory: dir.path, issuers: pki.trustStore.roots.map(\.certificate), clock: SystemClock())
        let cached = CachingRevocationProvider(wrapping: store, ttl: 300, clock: SystemClock())
        verifier = JPKIVerifier(trust: pki.trustStore, revocation: cached)
        _ = try await check()  // fills the cache
    }

    func check() async throws -> JPKIVerifiedCertificate {
        try await verifier.verifyResponse(certificate: certificate, signature: signature, challenge: challenge, kind: .signature, at: Date())
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

let jpkiBenchmarks: @Sendable () -> Void = {
    Benchmark(
        "JPKI full server-side check (chain + attributes + signature + cached revocation) vs openssl speed rsa2048",
        configuration: .init(
            metrics: [
                .throughput,
                .custom("checks_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("openssl_rsa2048_verify_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("swift_crypto_rsa2048_verify_per_s", polarity: .prefersLarger, useScalingFactor: false),
                .custom("pct_of_openssl_verify_rate_div2", polarity: .prefersLarger, useScalingFactor: false),
            ],
            maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let f = try await JPKIFixture()
        defer { f.remove() }
        let cert = try Certificate(derEncoded: f.certificate)
        let key = try require_(_RSA.Signing.PublicKey(cert.publicKey))
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let n = 3000
            let ours = try await clock.measure {
                for _ in 0..<n { blackHole(try await f.check()) }
            }
            // The same RSA verify through swift-crypto alone: the limit inside our own process.
            let sig = _RSA.Signing.RSASignature(rawRepresentation: f.signature)
            let digest = SHA256.hash(data: f.challenge)
            let raw = clock.measure {
                for _ in 0..<n { blackHole(key.isValidSignature(sig, for: digest, padding: .insecurePKCS1v1_5)) }
            }
            let openssl = try opensslRSA2048()
            let rate = Double(n) / seconds(ours)
            benchmark.measurement(.custom("checks_per_s"), Int(rate))
            benchmark.measurement(.custom("swift_crypto_rsa2048_verify_per_s"), Int(Double(n) / seconds(raw)))
            benchmark.measurement(.custom("openssl_rsa2048_verify_per_s"), Int(openssl.verify))
            benchmark.measurement(.custom("pct_of_openssl_verify_rate_div2"), Int(100 * rate / (openssl.verify / 2)))
        }
    }
}

/// Unwraps or throws (the benchmark closure throws; there is no #require outside tests).
func require_<T>(_ value: T?) throws -> T {
    guard let value else { throw CocoaError(.coderValueNotFound) }
    return value
}
