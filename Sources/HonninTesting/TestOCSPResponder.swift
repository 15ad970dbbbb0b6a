import Crypto
import CryptoExtras
import Foundation
import HonninPKI
import Synchronization
import SwiftASN1
import X509

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Answers OCSP requests (RFC 6960 §4.2) the way the negative tests need: any status per serial,
/// signed by the issuer or a delegated responder, with the nonce echoed, wrong or omitted, with any
/// thisUpdate/nextUpdate, a non-successful responseStatus, or a tampered signature. Test support only.
public struct TestOCSPResponder: Sendable {
    public enum Status: Sendable {
        case good
        case revoked(at: Date, reason: RevocationReason?)
        case unknown
    }

    public enum NonceMode: Sendable { case echo, wrong, omit }

    /// The CA whose certificates are answered for.
    public var issuer: Certificate
    /// Who signs: the issuer's key, or a delegated responder (its certificate goes in `certs`).
    public var signerCertificate: Certificate
    public var signingKey: TestSigningKey
    public var statuses: [Int: Status]
    /// Serials not in `statuses`.
    public var defaultStatus: Status = .unknown
    public var nonceMode: NonceMode = .echo
    public var responderIDByKey = false
    public var now: Date
    public var thisUpdateOffset: TimeInterval = -60
    public var nextUpdateOffset: TimeInterval? = 3_600
    /// A non-successful responseStatus (e.g. 3 = tryLater) answered instead of a response.
    public var responseStatus: Int = 0
    public var tamperSignature = false
    public var includeSignerCertificate = true

    public init(issuer: Certificate, signerCertificate: Certificate, signingKey: TestSigningKey, statuses: [Int: Status], now: Date) {
        self.issuer = issuer
        self.signerCertificate = signerCertificate
        self.signingKey = signingKey
        self.statuses = statuses
        self.now = now
    }

    /// The DER OCSPResponse answering `requestDER`.
    public func respond(to requestDER: [UInt8]) throws -> [UInt8] {
        guard responseStatus == 0 else {
            var coder = DER.Serializer()
            try coder.appendConstructedNode(identifier: .sequence) { c in
                try responseStatus.serialize(into: &c, withIdentifier: .enumerated)
            }
            return coder.serializedBytes
        }
        let request = try OCSPRequest(derEncoded: requestDER)
        var tbs = DER.Serializer()
        try tbs.appendConstructedNode(identifier: .sequence) { coder in
            // responderID
            if responderIDByKey {
                try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) { c in
                    try c.serialize(ASN1OctetString(contentBytes: Insecure.SHA1.hash(data: signerCertificate.publicKey.subjectPublicKeyInfoBytes).withUnsafeBytes { Array($0) }[...]))
                }
            } else {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { c in
                    try c.serialize(signerCertificate.subject)
                }
            }
            try coder.serialize(try testGeneralizedTime(now))
            try coder.appendConstructedNode(identifier: .sequence) { coder in
                for id in request.certIDs {
                    let serial = Self.intValue(id.serialNumber)
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try Self.serialize(id, into: &coder)
                        switch statuses[serial] ?? defaultStatus {
                        case .good:
                            coder.serializeRawBytes([0x80, 0x00])
                        case .unknown:
                            coder.serializeRawBytes([0x82, 0x00])
                        case .revoked(let at, let reason):
                            try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)) { c in
                                try c.serialize(try testGeneralizedTime(at))
                                if let reason {
                                    try c.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { c in
                                        try reason.rawValue.serialize(into: &c, withIdentifier: .enumerated)
                                    }
                                }
                            }
                        }
                        try coder.serialize(try testGeneralizedTime(now.addingTimeInterval(thisUpdateOffset)))
                        if let nextUpdateOffset {
                            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { c in
                                try c.serialize(try testGeneralizedTime(now.addingTimeInterval(nextUpdateOffset)))
                            }
                        }
                    }
                }
            }
            let nonce: [UInt8]?
            switch nonceMode {
            case .echo: nonce = request.nonce
            case .wrong: nonce = request.nonce.map { $0.map { $0 ^ 0xFF } } ?? [1, 2, 3]
            case .omit: nonce = nil
            }
            if let nonce {
                var inner = DER.Serializer()
                try inner.serialize(ASN1OctetString(contentBytes: nonce[...]))
                let ext = Certificate.Extension(oid: TestOID.ocspNonce, critical: false, value: inner.serializedBytes[...])
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { c in
                    try c.appendConstructedNode(identifier: .sequence) { c in try c.serialize(ext) }
                }
            }
        }
        let isIssuer = signerCertificate.subject == issuer.subject && signerCertificate.publicKey == issuer.publicKey
        let basic = try testSignedStructure(
            tbs: tbs.serializedBytes, key: signingKey, tamper: tamperSignature,
            certs: includeSignerCertificate && !isIssuer ? [signerCertificate] : [])
        return try Self.wrap(basic: basic)
    }

    /// `OCSPResponse { successful, [0] { id-pkix-ocsp-basic, OCTET STRING basic } }`.
    public static func wrap(basic: [UInt8]) throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.appendConstructedNode(identifier: .sequence) { c in
            try 0.serialize(into: &c, withIdentifier: .enumerated)
            try c.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { c in
                try c.appendConstructedNode(identifier: .sequence) { c in
                    try c.serialize(TestOID.ocspBasic)
                    try c.serialize(ASN1OctetString(contentBytes: basic[...]))
                }
            }
        }
        return coder.serializedBytes
    }

    static func serialize(_ id: OCSPCertID, into coder: inout DER.Serializer) throws {
        try coder.appendConstructedNode(identifier: .sequence) { c in
            try c.appendConstructedNode(identifier: .sequence) { c in
                try c.serialize(id.hashAlgorithm == .sha1 ? [1, 3, 14, 3, 2, 26] : [2, 16, 840, 1, 101, 3, 4, 2, 1] as ASN1ObjectIdentifier)
                try c.serialize(ASN1Null())
            }
            try c.serialize(ASN1OctetString(contentBytes: id.issuerNameHash[...]))
            try c.serialize(ASN1OctetString(contentBytes: id.issuerKeyHash[...]))
            try c.serialize(id.serialNumber[...])
        }
    }

    static func intValue(_ bytes: [UInt8]) -> Int {
        bytes.suffix(8).reduce(0) { $0 << 8 | Int($1) }
    }
}

/// A fake `RevocationHTTPClient` answering from a closure and counting calls. Test support only.
public final class TestRevocationHTTPClient: RevocationHTTPClient {
    public typealias Handler = @Sendable (String, [(String, String)], [UInt8]) async throws -> (
        status: Int, headers: [String: String], body: [UInt8]
    )
    private let handler: Handler
    private let calls = Mutex<[(url: String, headers: [String: String], body: [UInt8])]>([])

    public init(_ handler: @escaping Handler) { self.handler = handler }

    /// Answers every POST with `responder` (HTTP 200, `application/ocsp-response`).
    public convenience init(responder: TestOCSPResponder) {
        self.init { _, _, body in
            (200, ["content-type": "application/ocsp-response"], try responder.respond(to: body))
        }
    }

    public var callCount: Int { calls.withLock { $0.count } }
    public var lastRequest: (url: String, headers: [String: String], body: [UInt8])? { calls.withLock { $0.last } }

    public func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeInterval) async throws -> (
        status: Int, headers: [String: String], body: [UInt8]
    ) {
        calls.withLock {
            $0.append((url, Dictionary(headers.map { ($0.0.lowercased(), $0.1) }, uniquingKeysWith: { _, b in b }), body))
        }
        return try await handler(url, headers, body)
    }
}

/// `openssl ocsp` running as a real responder on a loopback port (RFC 6960 over HTTP), answering from
/// an `index.txt` in OpenSSL's CA database format. Test support only.
public final class TestOpenSSLOCSPResponder: @unchecked Sendable {
    public let process = Process()
    public private(set) var port = 0
    public let directory: URL
    private let out = Pipe()
    private let lock = NSLock()
    private var collected = Data()

    /// The openssl executable, or nil when none is on PATH.
    public static func opensslPath() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/openssl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// One line of OpenSSL's `index.txt`: `V|R`, expiry, revocation time[,reason], serial (hex), `unknown`, subject.
    public static func indexLine(serial: Int, expiry: Date, revoked: (Date, String?)? = nil, subject: String) -> String {
        func stamp(_ d: Date) -> String {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyMMddHHmmss'Z'"
            return f.string(from: d)
        }
        var hex = String(serial, radix: 16, uppercase: true)
        if hex.count % 2 == 1 { hex = "0" + hex }
        let revokedField = revoked.map { r in stamp(r.0) + (r.1.map { ",\($0)" } ?? "") } ?? ""
        return [revoked == nil ? "V" : "R", stamp(expiry), revokedField, hex, "unknown", subject].joined(separator: "\t")
    }

    /// Writes the CA certificate, responder certificate and key and `index` into a new temporary
    /// folder and starts `openssl ocsp -port 0`; waits (at most `timeout` s) for its ACCEPT line.
    public init(
        openssl: String, caPEM: String, responderPEM: String, responderKeyPEM: String, index: [String], timeout: TimeInterval = 15
    ) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("honnin-ocsp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try caPEM.write(to: directory.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        try responderPEM.write(to: directory.appendingPathComponent("rsigner.pem"), atomically: true, encoding: .utf8)
        try responderKeyPEM.write(to: directory.appendingPathComponent("rkey.pem"), atomically: true, encoding: .utf8)
        try (index.joined(separator: "\n") + "\n").write(to: directory.appendingPathComponent("index.txt"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: openssl)
        process.currentDirectoryURL = directory
        process.arguments = [
            "ocsp", "-index", "index.txt", "-port", "0", "-rsigner", "rsigner.pem", "-rkey", "rkey.pem", "-CA", "ca.pem",
            "-nmin", "60", "-ignore_err",
        ]
        process.standardOutput = out
        process.standardError = out
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.withLock { self.collected.append(d) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = lock.withLock { String(decoding: collected, as: UTF8.self) }
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT") }),
                let portText = line.split(separator: " ").dropFirst().first?.split(separator: ":").last,
                let p = Int(portText)
            {
                port = p
                return
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        stop()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "openssl ocsp did not start: \(output)"])
    }

    public var output: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    public var url: String { "http://127.0.0.1:\(port)/" }

    public func stop() {
        if process.isRunning {
            // SIGKILL: a child of Foundation's Process can inherit a signal mask that blocks SIGTERM,
            // and `openssl ocsp` then never exits.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        out.fileHandleForReading.readabilityHandler = nil
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
