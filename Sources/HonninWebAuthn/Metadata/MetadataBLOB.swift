import Crypto
import Foundation
import HonninCore
import SwiftASN1
@_spi(FixedExpiryValidationTime) import X509

/// A verified FIDO Metadata Service BLOB (FIDO Metadata Service v3.0 §3.1.6–§3.1.7): the
/// signed list of authenticator models with their attestation roots and status reports, keyed
/// by AAGUID for WebAuthn authenticators.
///
/// The production service's URL and signing root are configuration, not constants here: the
/// caller fetches the BLOB and passes the roots it trusts (research notes name
/// `https://mds3.fidoalliance.org/` and GlobalSign Root R3, unconfirmed).
public struct MetadataBLOB: Sendable {
    /// `legalHeader`: the terms under which the BLOB may be used.
    public let legalHeader: String
    /// `no`: the serial number of this BLOB. A relying party keeps the highest number it has
    /// loaded and refuses an older one (§3.2 step "no").
    public let number: Int
    /// `nextUpdate` (a date, taken as 00:00 UTC): when a newer BLOB is due.
    public let nextUpdate: Date
    /// True when `nextUpdate` had arrived at the `now` given to ``verify(jwt:roots:now:)``: the
    /// BLOB still loads, but the caller should fetch a new one and may distrust this one.
    public let isStale: Bool
    /// The entries that parsed, in BLOB order.
    public let entries: [Entry]
    /// How many entries were skipped because a field of theirs did not parse, or because they
    /// repeated an AAGUID already seen. A malformed entry never fails the whole BLOB.
    public let skippedEntries: Int
    /// The certificate chain that signed the BLOB, as validated (leaf first, root last).
    public let signingChain: [Certificate]

    private let byAAGUID: [[UInt8]: Int]
    private let byKeyIdentifier: [String: Int]

    /// The entry for a 16-byte AAGUID as it appears in authenticator data, or nil.
    public func entry(aaguid: [UInt8]) -> Entry? {
        byAAGUID[aaguid].map { entries[$0] }
    }

    /// The entry for an AAGUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, or nil.
    public func entry(aaguid: String) -> Entry? {
        MetadataText.aaguid(aaguid).flatMap { entry(aaguid: $0) }
    }

    /// The entry listing an attestation certificate key identifier (hex SHA-1 of the value of the
    /// certificate's `subjectPublicKey` BIT STRING, RFC 5280 §4.2.1.2 method 1: how U2F
    /// authenticators are identified; see ``AttestationKeyIdentifier``), or nil.
    public func entry(attestationCertificateKeyIdentifier identifier: String) -> Entry? {
        byKeyIdentifier[identifier.lowercased()].map { entries[$0] }
    }

    /// The longest BLOB accepted, in characters (the production BLOB is a few megabytes).
    public static let maximumLength = 32 * 1024 * 1024

    /// Verifies and loads a Metadata BLOB (FIDO Metadata Service v3.0 §3.2 "Metadata BLOB
    /// object processing rules"):
    ///
    /// 1. Split the compact JWS (RFC 7515 §7.1) into header, payload and signature, each
    ///    base64url without padding.
    /// 2. The header names `alg` RS256 or ES256 and carries the signing chain in `x5c` (base64
    ///    DER, leaf first). `x5u` alone, any other algorithm and a `crit` header are refused.
    /// 3. The signature over `header.payload` verifies with the `x5c` leaf's key.
    /// 4. The `x5c` chain validates to one of `roots` at `now` (swift-certificates `Verifier`
    ///    with the RFC 5280 policy: validity periods, basic constraints, name constraints,
    ///    critical extensions). Revocation of the signing chain (its CRLs) is not checked here.
    /// 5. Only now is the payload trusted: it must be a JSON object with `legalHeader`, `no`,
    ///    `nextUpdate` (YYYY-MM-DD) and `entries`; any of those malformed fails the BLOB.
    /// 6. Each entry is parsed on its own; one whose fields do not parse (an AAGUID not in
    ///    8-4-4-4-12 form, a date not YYYY-MM-DD, an attestation root that is not base64 DER,
    ///    missing status reports, …) is skipped and counted in ``skippedEntries``.
    /// 7. `isStale` records whether `nextUpdate` has arrived.
    ///
    /// Throws `malformed` when the JWS, header or payload do not parse, `badSignature` when
    /// the signature does not verify, and `attestationUntrusted` when the chain does not
    /// validate to `roots` at `now`.
    public static func verify(jwt: String, roots: [Certificate], now: Date) async throws(WebAuthnError) -> MetadataBLOB {
        // Step 1: the three parts.
        guard jwt.utf8.count <= maximumLength else { throw WebAuthnError(.malformed, "MDS: the BLOB exceeds \(maximumLength) bytes") }
        let text = jwt.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw WebAuthnError(.malformed, "MDS: the BLOB is not a compact JWS of three parts") }
        guard let headerBytes = Bytes.fromBase64URL(parts[0]), let payloadBytes = Bytes.fromBase64URL(parts[1]),
            let signature = Bytes.fromBase64URL(parts[2]), !signature.isEmpty
        else { throw WebAuthnError(.malformed, "MDS: a JWS part is not unpadded base64url") }

        // Step 2: the header.
        let header = try MetadataJOSEHeader(parsing: headerBytes)

        // Step 3: the signature.
        let signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        guard header.verify(signature: signature, over: signingInput) else {
            throw WebAuthnError(.badSignature, "MDS: the JWS signature does not verify with the x5c leaf")
        }

        // Step 4: the chain to a configured root.
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(fixedExpiryValidationTime: now)
        }
        let validated: [Certificate]
        switch await verifier.validate(leaf: header.chain[0], intermediates: CertificateStore(header.chain.dropFirst())) {
        case .validCertificate(let chain):
            validated = Array(chain)
        case .couldNotValidate(let failures):
            let reason = failures.first.map { String(describing: $0.policyFailureReason) } ?? "no path to a configured root"
            throw WebAuthnError(.attestationUntrusted, "MDS: the signing chain does not validate: \(reason)")
        }

        // Step 5: the payload, now trusted.
        let payload: MetadataPayloadJSON
        do {
            payload = try JSONDecoder().decode(MetadataPayloadJSON.self, from: Data(payloadBytes))
        } catch {
            throw WebAuthnError(.malformed, "MDS: the payload is not a Metadata BLOB payload object")
        }
        guard let nextUpdate = MetadataText.date(payload.nextUpdate) else {
            throw WebAuthnError(.malformed, "MDS: nextUpdate \"\(payload.nextUpdate)\" is not YYYY-MM-DD")
        }

        // Step 6: the entries, each on its own.
        var entries: [Entry] = []
        var byAAGUID: [[UInt8]: Int] = [:]
        var byKeyIdentifier: [String: Int] = [:]
        var skipped = 0
        for raw in payload.entries {
            guard let json = raw.value, let entry = Entry(json) else {
                skipped += 1
                continue
            }
            if let aaguid = entry.aaguid {
                guard byAAGUID[aaguid] == nil else {
                    skipped += 1
                    continue
                }
                byAAGUID[aaguid] = entries.count
            }
            for identifier in entry.attestationCertificateKeyIdentifiers where byKeyIdentifier[identifier] == nil {
                byKeyIdentifier[identifier] = entries.count
            }
            entries.append(entry)
        }

        // Step 7.
        return MetadataBLOB(
            legalHeader: payload.legalHeader, number: payload.no, nextUpdate: nextUpdate, isStale: now >= nextUpdate,
            entries: entries, skippedEntries: skipped, signingChain: validated, byAAGUID: byAAGUID,
            byKeyIdentifier: byKeyIdentifier)
    }
}

// MARK: - JOSE header

/// The protected header of the BLOB's JWS (RFC 7515 §4.1): `alg` and `x5c`.
private struct MetadataJOSEHeader {
    enum Algorithm: String {
        case rs256 = "RS256"
        case es256 = "ES256"
    }

    let algorithm: Algorithm
    /// Leaf first; never empty.
    let chain: [Certificate]

    private struct JSON: Decodable {
        let alg: String
        let x5c: [String]?
        let x5u: String?
        let crit: [String]?
    }

    init(parsing bytes: [UInt8]) throws(WebAuthnError) {
        let json: JSON
        do {
            json = try JSONDecoder().decode(JSON.self, from: Data(bytes))
        } catch {
            throw WebAuthnError(.malformed, "MDS: the JWS header is not a JSON object with alg")
        }
        guard json.crit == nil else { throw WebAuthnError(.malformed, "MDS: the JWS header has crit parameters") }
        guard let algorithm = Algorithm(rawValue: json.alg) else {
            throw WebAuthnError(.malformed, "MDS: JWS alg \"\(json.alg)\" is neither RS256 nor ES256")
        }
        guard let x5c = json.x5c, !x5c.isEmpty else {
            throw WebAuthnError(.malformed, json.x5u == nil ? "MDS: the JWS header has no x5c" : "MDS: x5u without x5c is not supported")
        }
        // RFC 7515 §4.1.6: each x5c element is base64 (not base64url) DER.
        var der: [[UInt8]] = []
        for element in x5c {
            guard let data = Data(base64Encoded: element) else {
                throw WebAuthnError(.malformed, "MDS: an x5c element is not base64")
            }
            der.append(Array(data))
        }
        self.algorithm = algorithm
        self.chain = try AttestationCertificates.parse(der, format: "MDS")
    }

    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256. ES256: ECDSA P-256 with SHA-256, the signature
    /// being R ‖ S of 32 bytes each (RFC 7518 §3.4), re-encoded as DER for verification.
    func verify(signature: [UInt8], over input: [UInt8]) -> Bool {
        let leafKey = chain[0].publicKey
        switch algorithm {
        case .rs256:
            return COSEAlgorithm.rs256.verify(signature, over: input, with: leafKey)
        case .es256:
            guard signature.count == 64, let raw = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return COSEAlgorithm.es256.verify(Array(raw.derRepresentation), over: input, with: leafKey)
        }
    }
}

// MARK: - Payload JSON

/// The Metadata BLOB payload dictionary (§3.1.6). Entries are decoded one by one so that a
/// malformed entry is skipped rather than failing the whole payload.
private struct MetadataPayloadJSON: Decodable {
    let legalHeader: String
    let no: Int
    let nextUpdate: String
    let entries: [LossyEntry]

    struct LossyEntry: Decodable {
        let value: MetadataEntryJSON?
        init(from decoder: any Decoder) throws {
            value = try? MetadataEntryJSON(from: decoder)
        }
    }
}

/// A metadata BLOB payload entry (§3.1.1) as JSON.
struct MetadataEntryJSON: Decodable {
    let aaid: String?
    let aaguid: String?
    let attestationCertificateKeyIdentifiers: [String]?
    let metadataStatement: MetadataStatementJSON?
    let statusReports: [MetadataStatusReportJSON]
    let timeOfLastStatusChange: String
}

/// The fields of a Metadata Statement (FIDO Metadata Statement v3.0 §4) that Honnin reads.
struct MetadataStatementJSON: Decodable {
    let description: String
    let aaguid: String?
    let authenticatorVersion: Int?
    let protocolFamily: String?
    let attestationTypes: [String]?
    let keyProtection: [String]
    let isKeyRestricted: Bool?
    let attachmentHint: [String]?
    let attestationRootCertificates: [String]
}

/// A status report (§3.1.3) as JSON.
struct MetadataStatusReportJSON: Decodable {
    let status: String
    let effectiveDate: String?
    let authenticatorVersion: Int?
    let certificateNumber: String?
    let url: String?
}

// MARK: - Text forms

/// The textual forms the BLOB uses: AAGUIDs, dates and hex key identifiers.
enum MetadataText {
    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (RFC 9562 string form, either case) → 16 bytes.
    static func aaguid(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        for dash in [8, 13, 18, 23] where utf8[dash] != UInt8(ascii: "-") { return nil }
        let hex = String(decoding: utf8.filter { $0 != UInt8(ascii: "-") }, as: UTF8.self)
        guard hex.utf8.count == 32, let bytes = Bytes.fromHex(hex) else { return nil }
        return bytes
    }

    /// `YYYY-MM-DD` (ISO 8601 full-date) → that day at 00:00 UTC; nil for anything else,
    /// including impossible days such as 2021-02-30.
    static func date(_ text: String) -> Date? {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for c in utf8[range] {
                guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(c - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let utc = TimeZone(identifier: "UTC") else { return nil }
        calendar.timeZone = utc
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        let back = calendar.dateComponents([.year, .month, .day], from: date)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        return date
    }

    /// Lower-case hex of even length, or nil.
    static func hexIdentifier(_ text: String) -> String? {
        guard !text.isEmpty, Bytes.fromHex(text) != nil else { return nil }
        return text.lowercased()
    }
}
