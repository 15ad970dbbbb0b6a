import ArgumentParser
import Foundation
import HonninCore
import HonninSQLite
import HonninStore
import HonninWebAuthn
import SwiftASN1
import X509

/// `honnin mds import FILE --root ROOT.pem`: loads a FIDO Metadata Service (MDS3) BLOB so that
/// attested security keys can count for AAL3 (docs/authentication.md).
struct MDSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mds", abstract: "FIDO Metadata Service BLOBs (security-key attestation trust).", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a FIDO MDS3 BLOB (JWT) against a root certificate and store it for `serve` (restart to load).")
        @OptionGroup var common: CommonOptions
        @Argument(help: "The BLOB file (a JWT, as downloaded from the metadata service).") var file: String
        @Option(help: "PEM file of the root(s) the BLOB's x5c chain must end in (the FIDO Alliance's MDS root; not built in).")
        var root: String

        func run() async throws {
            let (resolved, env) = try await common.open()
            guard let jwt = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
            guard let pem = try? String(contentsOfFile: root, encoding: .utf8),
                let roots = try? PEMDocument.parseMultiple(pemString: pem).map({ try Certificate(pemDocument: $0) }), !roots.isEmpty
            else { throw ValidationError("\(root) holds no PEM certificate") }
            let blob: MetadataBLOB
            do {
                blob = try await MetadataBLOB.verify(jwt: jwt.trimmingCharacters(in: .whitespacesAndNewlines), roots: roots, now: env.clock.now())
            } catch {
                throw ValidationError("the BLOB does not verify: \(error)")
            }
            let revoked = blob.entries.filter { $0.isRevoked(at: env.clock.now()) }.count
            try DurableFile.write(Array(jwt.utf8), to: resolved.dataDir.appendingPathComponent(AuthnOptions.mdsFile), mode: 0o644)
            try DurableFile.write(Array(pem.utf8), to: resolved.dataDir.appendingPathComponent(AuthnOptions.mdsRootsFile), mode: 0o644)
            _ = try await env.store.append(
                AuditEvent(action: "mds.imported", actor: "cli", subject: "fido-mds", details: ["no": "\(blob.number)", "entries": "\(blob.entries.count)"], at: env.clock.now()))
            say("imported FIDO metadata BLOB no. \(blob.number): \(blob.entries.count) entries (\(blob.skippedEntries) skipped as malformed, \(revoked) revoked)")
            if blob.isStale { say("warning: the BLOB is past its nextUpdate; fetch a fresh one") }
            say("restart `honnin serve` to use it")
        }
    }
}
