import ArgumentParser
import Foundation
import HonninAuthn
import HonninCore
import HonninSQLite
import HonninStore
import HonninWebAuthn
import Logging
import SwiftASN1
import X509

/// Settings of accounts and sessions (当人認証): the WebAuthn relying party and FIDO metadata.
struct AuthnOptions: ParsableArguments {
    @Option(help: "WebAuthn relying party ID (a registrable domain). Env HONNIN_RP_ID; default the public URL's host") var rpId: String?
    @Option(help: "Allowed origins for WebAuthn and the account API, comma-separated. Env HONNIN_ORIGINS; default the public URL's origin")
    var origins: String?
    @Option(help: "Name shown by authenticators. Env HONNIN_RP_NAME; default Honnin") var rpName: String?
    @Option(help: "Anyone may sign up at /auth/signup (true/false). Env HONNIN_OPEN_SIGNUP; default true") var openSignup: String?

    /// The file `honnin mds import` writes into the data directory, and its roots.
    static let mdsFile = "fido-mds.jwt"
    static let mdsRootsFile = "fido-mds-roots.pem"

    func service(_ resolved: ResolvedCommon, env: HonninEnvironment, publicURL: String, logger: Logger) async throws -> AuthnService {
        let s = resolved.sources
        guard let url = URL(string: publicURL), let host = url.host, let scheme = url.scheme else {
            throw ValidationError("public_url \(publicURL) has no host")
        }
        let defaultOrigin = "\(scheme)://\(host)\(url.port.map { ":\($0)" } ?? "")"
        let rpID = try s.value("rp_id", flag: rpId, default: host) { text in
            let t = text.lowercased()
            return !t.isEmpty && !t.contains("/") && !t.contains(":") ? t : nil
        }
        let originList = try s.value("origins", flag: origins, default: [defaultOrigin]) { text in
            let list = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return list.allSatisfy({ URL(string: $0)?.host != nil && ($0.hasPrefix("https://") || $0.hasPrefix("http://localhost")) }) && !list.isEmpty ? list : nil
        }
        let name = try s.value("rp_name", flag: rpName, default: "Honnin") { $0.isEmpty ? nil : String($0.prefix(64)) }
        var trust: any AttestationTrustSource = NoAttestationMetadata()
        if let blob = try await Self.loadMetadata(dataDir: resolved.dataDir, clock: env.clock, logger: logger) {
            trust = MetadataTrustSource(blob: blob, clock: env.clock)
        }
        let rp = RelyingParty(
            id: rpID, name: name, origins: Set(originList), userVerification: .preferred, attestation: .permissive, trustSource: trust, clock: env.clock)
        var settings = AuthnSettings()
        settings.totpIssuer = name
        settings.openSignUp = try s.value("open_signup", flag: openSignup, default: true) { ["true": true, "false": false][$0.lowercased()] }
        return try env.authn(relyingParty: rp, settings: settings)
    }

    /// The imported MDS BLOB, verified again against its stored roots (stale is a warning).
    static func loadMetadata(dataDir: URL, clock: any WallClock, logger: Logger) async throws -> MetadataBLOB? {
        let file = dataDir.appendingPathComponent(mdsFile)
        guard let jwt = try? String(contentsOf: file, encoding: .utf8) else { return nil }
        let pem = try String(contentsOf: dataDir.appendingPathComponent(mdsRootsFile), encoding: .utf8)
        let roots = try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
        do {
            let blob = try await MetadataBLOB.verify(jwt: jwt.trimmingCharacters(in: .whitespacesAndNewlines), roots: roots, now: clock.now())
            if blob.isStale { logger.warning("the FIDO metadata BLOB is past its nextUpdate: import a fresh one (honnin mds import)") }
            logger.notice("loaded FIDO metadata", metadata: ["entries": "\(blob.entries.count)", "no": "\(blob.number)"])
            return blob
        } catch {
            logger.error("the stored FIDO metadata BLOB does not verify; security keys get no attestation trust", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
