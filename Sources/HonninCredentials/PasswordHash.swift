import Crypto
import CryptoExtras
import Foundation
import HonninCore

/// Memory-hard password hashing with scrypt (RFC 7914), stored as PHC strings:
/// `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` (salt and hash in unpadded standard base64,
/// as the PHC string format specifies). Parameters live in the string, so they can be raised
/// later: ``needsRehash(_:)`` tells when a stored hash is weaker than the current parameters,
/// and the caller re-hashes after the next successful login.
public struct PasswordHasher: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// log2 of the CPU/memory cost N.
        public let logN: Int
        public let r: Int
        public let p: Int
        public init(logN: Int, r: Int, p: Int) {
            self.logN = logN
            self.r = r
            self.p = p
        }
        /// N = 2^15, r = 8, p = 1: 32 MiB and roughly 0.1 s per hash on one core (OWASP's
        /// scrypt minimum is N = 2^17 with r = 8, p = 1 *or* an equivalent memory/CPU trade;
        /// raise `logN` where logins are rare and the machine is large).
        public static let standard = Parameters(logN: 15, r: 8, p: 1)
    }

    public let parameters: Parameters
    let random: any RandomSource

    public init(parameters: Parameters = .standard, random: any RandomSource = SystemRandom()) {
        self.parameters = parameters
        self.random = random
    }

    static let outputBytes = 32

    static func derive(_ password: String, salt: [UInt8], _ p: Parameters) throws -> [UInt8] {
        // NIST SP 800-63B-4 §3.1.1.2: passwords are Unicode, normalised (NFC here) before
        // hashing; every byte is hashed (no truncation).
        let bytes = Array(password.precomposedStringWithCanonicalMapping.utf8)
        return try scrypt(bytes, salt: salt, logN: p.logN, r: p.r, p: p.p, outputBytes: outputBytes)
    }

    /// scrypt(P, S, N = 2^logN, r, p, dkLen) of RFC 7914 §6, through swift-crypto.
    static func scrypt(_ password: [UInt8], salt: [UInt8], logN: Int, r: Int, p: Int, outputBytes: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: password, salt: salt, outputByteCount: outputBytes, rounds: 1 << logN, blockSize: r, parallelism: p,
            maxMemory: 128 * r * (1 << logN) * 2 + 128 * r * p + (1 << 20))
        return key.withUnsafeBytes { Array($0) }
    }

    /// Hashes `password` with a fresh 16-byte salt.
    public func hash(_ password: Redacted<String>) throws -> String {
        let salt = random.bytes(16)
        let h = try Self.derive(password.revealed, salt: salt, parameters)
        return "$scrypt$ln=\(parameters.logN),r=\(parameters.r),p=\(parameters.p)$\(Self.b64(salt))$\(Self.b64(h))"
    }

    /// Checks `password` against a stored PHC string in constant time. A malformed string never
    /// matches.
    public static func verify(_ password: Redacted<String>, against stored: String) -> Bool {
        guard let (p, salt, expected) = parse(stored), let h = try? derive(password.revealed, salt: salt, p) else { return false }
        return Bytes.constantTimeEqual(h, expected)
    }

    /// True when `stored` uses weaker parameters than this hasher's (re-hash on next login).
    public func needsRehash(_ stored: String) -> Bool {
        guard let (p, _, _) = Self.parse(stored) else { return true }
        return p.logN < parameters.logN || p.r < parameters.r || p.p < parameters.p
    }

    static func parse(_ s: String) -> (Parameters, [UInt8], [UInt8])? {
        let parts = s.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "scrypt" else { return nil }
        var values: [String: Int] = [:]
        for kv in parts[2].split(separator: ",") {
            let pair = kv.split(separator: "=")
            guard pair.count == 2, let v = Int(pair[1]) else { return nil }
            values[String(pair[0])] = v
        }
        guard let ln = values["ln"], let r = values["r"], let p = values["p"], (10...22).contains(ln), (1...32).contains(r), (1...16).contains(p),
            let salt = unb64(parts[3]), salt.count >= 8, let h = unb64(parts[4]), h.count == outputBytes
        else { return nil }
        return (Parameters(logN: ln, r: r, p: p), salt, h)
    }

    static func b64(_ b: [UInt8]) -> String { Data(b).base64EncodedString().replacingOccurrences(of: "=", with: "") }
    static func unb64(_ s: Substring) -> [UInt8]? {
        var t = String(s)
        while t.count % 4 != 0 { t += "=" }
        return Data(base64Encoded: t).map(Array.init)
    }
}
