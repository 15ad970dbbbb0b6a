import ArgumentParser
import Foundation
import HonninCore
import HonninPKI
import HonninProofing
import Logging

/// Settings of 公的個人認証 (JPKI). The J-LIS roots are built in; revocation data is given only to
/// registered verifiers and platform operators, so it is configured here — and without any
/// revocation source the `jpki-signature` method is not offered at all (it could only fail).
struct JPKIOptions: ParsableArguments {
    @Option(help: "Directory of extra JPKI root certificates (PEM/DER). Env HONNIN_JPKI_ROOTS") var jpkiRoots: String?
    @Option(help: "Directory of JPKI CRLs (DER/PEM), reloaded when files change. Env HONNIN_JPKI_CRL_DIR") var jpkiCrlDir: String?
    @Option(help: "OCSP responder URL for JPKI certificates. Env HONNIN_JPKI_OCSP_URL") var jpkiOcspUrl: String?
    @Option(help: "Platform operator's verification API URL. Env HONNIN_JPKI_PLATFORM_URL") var jpkiPlatformUrl: String?
    @Option(help: "Platform operator's name (recorded as platform:<name>). Env HONNIN_JPKI_PLATFORM_NAME") var jpkiPlatformName: String?
    @Option(help: "Seconds a good or revoked answer is cached. Env HONNIN_JPKI_STATUS_CACHE_SECONDS; default 300")
    var jpkiStatusCacheSeconds: String?

    /// The configured method, or nil (with a log line saying why) when no revocation source is set.
    func method(_ resolved: ResolvedCommon, env: HonninEnvironment, http: any RevocationHTTPClient, audience: String, logger: Logger) async throws
        -> JPKISignatureMethod?
    {
        let s = resolved.sources
        var trust = try JPKITrustStore.bundled()
        if let dir = try s.value("jpki_roots", flag: jpkiRoots, default: String?.none, parse: { $0 }) {
            trust = try trust.adding(directory: URL(fileURLWithPath: dir))
            logger.notice("added JPKI roots", metadata: ["roots": "\(trust.roots.filter { !$0.builtIn }.map(\.fingerprint).joined(separator: ","))"])
        }
        var providers: [any RevocationProvider] = []
        if let dir = try s.value("jpki_crl_dir", flag: jpkiCrlDir, default: String?.none, parse: { $0 }) {
            let crlLog = logger
            providers.append(
                CRLStore(directory: dir, issuers: trust.roots.map(\.certificate), clock: env.clock, log: { line in crlLog.warning("JPKI CRL", metadata: ["problem": "\(line)"]) }))
        }
        if let url = try s.value("jpki_ocsp_url", flag: jpkiOcspUrl, default: String?.none, parse: { $0 }) {
            providers.append(OCSPProvider(configuration: .init(responderURL: url), http: http, clock: env.clock, random: env.random))
        }
        if let url = try s.value("jpki_platform_url", flag: jpkiPlatformUrl, default: String?.none, parse: { $0 }) {
            // The credential comes from the environment or the config file only, never a flag (it would show in `ps`).
            guard let token = try s.value("jpki_platform_token", flag: nil, default: String?.none, parse: { $0 }) else {
                throw ValidationError("jpki_platform_url needs HONNIN_JPKI_PLATFORM_TOKEN (or jpki_platform_token in the config file)")
            }
            let name = try s.value("jpki_platform_name", flag: jpkiPlatformName, default: "platform", parse: { $0 })
            providers.append(PlatformVerificationProvider(configuration: .init(name: name, url: url, credential: Redacted(token)), http: http, clock: env.clock))
        }
        guard !providers.isEmpty else {
            logger.notice("jpki-signature is not offered: no revocation source is configured (--jpki-crl-dir, --jpki-ocsp-url or --jpki-platform-url)")
            return nil
        }
        let ttl = try s.value("jpki_status_cache_seconds", flag: jpkiStatusCacheSeconds, default: 300.0) { Double($0).flatMap { (0...86_400).contains($0) ? $0 : nil } }
        let first: any RevocationProvider = providers.count == 1 ? providers[0] : FirstAnswerRevocationProvider(providers)
        let revocation: any RevocationProvider = ttl > 0 ? CachingRevocationProvider(wrapping: first, ttl: ttl, clock: env.clock) : first
        return JPKISignatureMethod(verifier: JPKIVerifier(trust: trust, revocation: revocation), audience: audience)
    }
}
