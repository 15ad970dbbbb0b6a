import Crypto
import Foundation
import HonninCore
import HonninStore

/// Webhook signatures. Each delivery carries three headers:
///
/// - `Honnin-Webhook-Id`: the delivery id (`whd_…`), the same on every retry — deduplicate on it;
/// - `Honnin-Webhook-Timestamp`: Unix seconds when this attempt was signed;
/// - `Honnin-Webhook-Signature`: `v1=` and the lower-case hex HMAC-SHA256 (RFC 2104, FIPS 198-1)
///   under the webhook secret of `timestamp ‖ "." ‖ body` (the exact bytes received).
///
/// A receiver recomputes the HMAC, compares in constant time, and refuses timestamps further
/// than ``defaultTolerance`` from its clock (the replay window).
public enum WebhookSignature {
    public static let idHeader = "Honnin-Webhook-Id"
    public static let timestampHeader = "Honnin-Webhook-Timestamp"
    public static let signatureHeader = "Honnin-Webhook-Signature"
    /// Five minutes either way.
    public static let defaultTolerance: TimeInterval = 300

    static func mac(secret: [UInt8], timestamp: Int64, body: some Sequence<UInt8>) -> [UInt8] {
        var message = Array(String(timestamp).utf8)
        message.append(UInt8(ascii: "."))
        message.append(contentsOf: body)
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
    }

    /// The `Honnin-Webhook-Signature` value for `body` at `timestamp`.
    public static func sign(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        "v1=" + Bytes.hex(mac(secret: secret, timestamp: timestamp, body: body))
    }

    public enum Failure: Error, Sendable, Equatable { case malformed, stale, mismatch }

    /// Checks a received webhook (for Swift receivers; the docs show the same in other
    /// languages). Several `v1=` values separated by commas are accepted (secret rotation).
    public static func verify(secret: [UInt8], body: [UInt8], timestamp: String, signature: String, now: Date,
        tolerance: TimeInterval = defaultTolerance) throws(Failure)
    {
        guard let ts = Int64(timestamp) else { throw .malformed }
        guard abs(now.timeIntervalSince1970 - TimeInterval(ts)) <= tolerance else { throw .stale }
        let expected = mac(secret: secret, timestamp: ts, body: body)
        let candidates = signature.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("v1=") }
        guard !candidates.isEmpty else { throw .malformed }
        var ok = false
        for c in candidates {
            if let given = Bytes.fromHex(c.dropFirst(3)), Bytes.constantTimeEqual(given, expected) { ok = true }
        }
        guard ok else { throw .mismatch }
    }
}

/// Sends one HTTP POST; implemented by the server over its HTTP client, by tests in memory.
public protocol WebhookTransport: Sendable {
    /// Returns the response status, or throws on a network failure or timeout.
    func post(url: String, headers: [(String, String)], body: [UInt8], timeout: TimeInterval) async throws -> Int
}

/// Delivers due webhooks from the outbox: a 2xx answer marks the delivery done; anything else
/// schedules a retry after `base × 2^(attempts−1)` (capped at six hours) until `maxAttempts`,
/// then marks it failed. The schedule is in the database, so retries survive a restart.
public struct WebhookDispatcher: Sendable {
    public let repository: any VerificationRepository
    public let transport: any WebhookTransport
    let secret: [UInt8]
    let clock: any WallClock
    let settings: VerificationSettings
    public var timeout: TimeInterval = 10

    public init(
        repository: any VerificationRepository, transport: any WebhookTransport, secret: Redacted<[UInt8]>, clock: any WallClock,
        settings: VerificationSettings
    ) {
        self.repository = repository
        self.transport = transport
        self.secret = secret.revealed
        self.clock = clock
        self.settings = settings
    }

    /// The delay before retry number `attempts` (1-based).
    public func backoff(afterAttempts attempts: Int) -> TimeInterval {
        min(settings.webhookRetryBase * pow(2, Double(max(0, attempts - 1))), 6 * 3600)
    }

    /// Sends every delivery due now (up to `limit`); returns how many were attempted.
    @discardableResult
    public func deliverDue(limit: Int = 50) async throws -> Int {
        let due = try await repository.pendingWebhooks(dueAt: clock.now(), limit: limit)
        for delivery in due { try await attempt(delivery) }
        return due.count
    }

    func attempt(_ original: WebhookDelivery) async throws {
        var d = original
        let now = clock.now()
        let timestamp = Int64(now.timeIntervalSince1970)
        let headers = [
            ("Content-Type", "application/json"), ("User-Agent", "Honnin-Webhook/1"), (WebhookSignature.idHeader, d.id.rawValue),
            (WebhookSignature.timestampHeader, String(timestamp)),
            (WebhookSignature.signatureHeader, WebhookSignature.sign(secret: secret, timestamp: timestamp, body: d.payload)),
        ]
        d.attempts += 1
        d.lastAttemptAt = now
        do {
            let status = try await transport.post(url: d.url, headers: headers, body: d.payload, timeout: timeout)
            d.responseStatus = status
            d.lastError = (200..<300).contains(status) ? nil : "http \(status)"
            if (200..<300).contains(status) { d.status = .delivered }
        } catch {
            d.responseStatus = nil
            d.lastError = "network: \(String(describing: type(of: error)))"
        }
        var audit: AuditEvent?
        if d.status != .delivered {
            if d.attempts >= settings.webhookMaxAttempts {
                d.status = .failed
                audit = AuditEvent(
                    action: "webhook.failed", actor: "system", subject: d.id.rawValue,
                    details: ["verification": d.verification.rawValue, "event": d.event, "attempts": String(d.attempts)], at: now)
            } else {
                d.nextAttemptAt = now.addingTimeInterval(backoff(afterAttempts: d.attempts))
            }
        } else {
            audit = AuditEvent(
                action: "webhook.delivered", actor: "system", subject: d.id.rawValue,
                details: ["verification": d.verification.rawValue, "event": d.event, "attempts": String(d.attempts)], at: now)
        }
        try await repository.updateWebhook(d, audit: audit)
    }
}
