import Foundation
import HonninCore
import SwiftASN1
import X509

/// A `RevocationProvider` that asks a プラットフォーム事業者 (a JPKI platform operator that holds the
/// J-LIS revocation feed on behalf of businesses; ic-chip-protocols.md §1.8) over HTTPS.
///
/// **No platform's real API is public, so this mapping is ours: configure/adapt per operator;
/// unconfirmed.** It is documented in `docs/jpki-revocation.md`.
///
/// Request: `POST <url>` with `Authorization: Bearer <credential>`, `Content-Type: application/json`:
/// ```json
/// {"certificate": "<base64 DER of the certificate>", "issuer": "<base64 DER of the issuer>"}
/// ```
/// Response (HTTP 200, JSON):
/// ```json
/// {"status": "good" | "revoked" | "unknown",
///  "reason": "<RFC 5280 §5.3.1 reason name, e.g. keyCompromise>",   // revoked only, optional
///  "revoked_at": "<RFC 3339>",                                      // revoked only, required
///  "checked_at": "<RFC 3339>",                                      // required
///  "source": "<what the platform consulted, e.g. a CRL number>"}    // required
/// ```
/// Mapping: `good` → `.good`; `revoked` → `.revoked(reason ?? unspecified, revoked_at)`; `unknown`,
/// any other status, an unknown reason name, a missing field, a `checked_at` in the future (beyond
/// `clockSkew`) or older than `maximumAge`, a non-200 status, a network error or a body that is not
/// this JSON → `.unavailable`. Evidence: provider `platform:<name>`, source `<url> (<source>)`,
/// checkedAt = the platform's `checked_at`.
public struct PlatformVerificationProvider: RevocationProvider {
    public struct Configuration: Sendable {
        /// A short operator name, recorded as `platform:<name>`.
        public var name: String
        public var url: String
        /// The bearer token; never printed.
        public var credential: Redacted<String>
        public var timeout: TimeInterval
        public var clockSkew: TimeInterval
        /// The oldest `checked_at` accepted (seconds before now).
        public var maximumAge: TimeInterval

        public init(
            name: String, url: String, credential: Redacted<String>, timeout: TimeInterval = 10, clockSkew: TimeInterval = 300,
            maximumAge: TimeInterval = 86_400
        ) {
            self.name = name
            self.url = url
            self.credential = credential
            self.timeout = timeout
            self.clockSkew = clockSkew
            self.maximumAge = maximumAge
        }
    }

    struct Request: Encodable {
        let certificate: String
        let issuer: String
    }

    struct Response: Decodable {
        let status: String
        let reason: String?
        let revoked_at: String?
        let checked_at: String
        let source: String
    }

    public let configuration: Configuration
    private let http: any RevocationHTTPClient
    private let clock: any WallClock

    public init(configuration: Configuration, http: any RevocationHTTPClient, clock: any WallClock) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
    }

    public func status(of certificate: Certificate, issuer: Certificate, at time: Date) async -> RevocationStatus {
        let c = configuration
        let serial = certificate.serialNumber.hex
        // 1. The request body.
        let body: [UInt8]
        do {
            func der(_ cert: Certificate) throws -> String {
                var coder = DER.Serializer()
                try coder.serialize(cert)
                return Data(coder.serializedBytes).base64EncodedString()
            }
            body = Array(try JSONEncoder().encode(Request(certificate: try der(certificate), issuer: try der(issuer))))
        } catch {
            return .unavailable(.unsupported, "serial \(serial): certificate could not be encoded")
        }
        // 2. POST with the bearer credential.
        let reply: (status: Int, headers: [String: String], body: [UInt8])
        do {
            reply = try await http.post(
                url: c.url,
                headers: [
                    ("Content-Type", "application/json"), ("Accept", "application/json"),
                    ("Authorization", "Bearer \(c.credential.revealed)"),
                ],
                body: body, timeout: c.timeout)
        } catch {
            return .unavailable(.network, "\(c.url): \(type(of: error))")
        }
        guard reply.status == 200 else {
            return .unavailable(.httpStatus, "\(c.url) answered HTTP \(reply.status) for serial \(serial)")
        }
        // 3. Parse the JSON strictly.
        guard let response = try? JSONDecoder().decode(Response.self, from: Data(reply.body)) else {
            return .unavailable(.malformedResponse, "\(c.url): body is not the expected JSON")
        }
        guard let checkedAt = Self.parseRFC3339(response.checked_at) else {
            return .unavailable(.malformedResponse, "\(c.url): checked_at is not RFC 3339")
        }
        // 4. Timeliness of the platform's check.
        let now = clock.now()
        if checkedAt > now.addingTimeInterval(c.clockSkew) {
            return .unavailable(.responseNotYetValid, "\(c.url): checked_at is in the future")
        }
        if now.timeIntervalSince(checkedAt) > c.maximumAge {
            return .unavailable(.staleResponse, "\(c.url): checked_at \(Timestamp.format(checkedAt)) is too old")
        }
        let evidence = RevocationEvidence(
            provider: "platform:\(c.name)", source: "\(c.url) (\(response.source.prefix(200)))", checkedAt: checkedAt,
            thisUpdate: nil, nextUpdate: nil)
        // 5. Map the status.
        switch response.status {
        case "good":
            return .good(evidence)
        case "revoked":
            var reason = RevocationReason.unspecified
            if let name = response.reason {
                guard let known = RevocationReason(name: name) else {
                    return .unavailable(.malformedResponse, "\(c.url): unknown reason name")
                }
                reason = known
            }
            guard let text = response.revoked_at, let at = Self.parseRFC3339(text) else {
                return .unavailable(.malformedResponse, "\(c.url): revoked without a valid revoked_at")
            }
            return .revoked(reason: reason, at: at, evidence)
        case "unknown":
            return .unavailable(.unknownStatus, "\(c.url): platform does not know serial \(serial)")
        default:
            return .unavailable(.platformError, "\(c.url): status \(response.status.prefix(40))")
        }
    }

    /// RFC 3339 §5.6 `date-time`, with or without fractional seconds, `Z` or a numeric offset.
    static func parseRFC3339(_ text: String) -> Date? {
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
