import Foundation
import HonninCore
import SwiftASN1
import X509

extension MetadataBLOB {
    /// One authenticator model in the BLOB (FIDO Metadata Service v3.0 §3.1.1 "Metadata BLOB
    /// Payload Entry").
    public struct Entry: Sendable {
        /// The AAGUID of a FIDO2 authenticator, 16 bytes as in authenticator data.
        public let aaguid: [UInt8]?
        /// The AAID of a UAF authenticator.
        public let aaid: String?
        /// Lower-case hex SHA-1 identifiers of the attestation keys of a U2F authenticator.
        public let attestationCertificateKeyIdentifiers: [String]
        /// The metadata statement, when the entry has one.
        public let statement: Statement?
        /// The status history, in BLOB order (the latest last, §3.1.1 `statusReports`).
        public let statusReports: [StatusReport]
        public let timeOfLastStatusChange: Date

        /// The attestation trust anchors for this model (the statement's
        /// `attestationRootCertificates`); empty without a statement.
        public var attestationRootCertificates: [Certificate] { statement?.attestationRootCertificates ?? [] }

        /// The reports in effect at `now`: those without an `effectiveDate` or whose
        /// `effectiveDate` has arrived.
        public func statusReports(inEffectAt now: Date) -> [StatusReport] {
            statusReports.filter { report in report.effectiveDate.map { $0 <= now } ?? true }
        }

        /// The current status: the last report in effect at `now`.
        public func latestStatus(at now: Date) -> Status? {
            statusReports(inEffectAt: now).last?.status
        }

        /// True when any report in effect at `now` revokes the model or says a key is
        /// compromised (``Status/isRevocation``). Any such report counts, not only the latest:
        /// a later UPDATE_AVAILABLE or recertification does not undo a key compromise for the
        /// devices already made.
        public func isRevoked(at now: Date) -> Bool {
            statusReports(inEffectAt: now).contains { $0.status.isRevocation }
        }

        /// ``isRevoked(at:)`` or a USER_VERIFICATION_BYPASS report in effect at `now`.
        public func hasIncreasedRisk(at now: Date) -> Bool {
            statusReports(inEffectAt: now).contains { $0.status.indicatesIncreasedRisk }
        }

        /// True when the statement says the keys are kept in hardware (see
        /// ``Statement/hasHardwareKeyProtection``); false without a statement.
        public var hasHardwareKeyProtection: Bool { statement?.hasHardwareKeyProtection ?? false }

        /// Builds an entry from its JSON; nil when any field does not parse.
        init?(_ json: MetadataEntryJSON) {
            if let text = json.aaguid {
                guard let bytes = MetadataText.aaguid(text) else { return nil }
                aaguid = bytes
            } else {
                aaguid = nil
            }
            aaid = json.aaid
            var identifiers: [String] = []
            for text in json.attestationCertificateKeyIdentifiers ?? [] {
                guard let identifier = MetadataText.hexIdentifier(text) else { return nil }
                identifiers.append(identifier)
            }
            attestationCertificateKeyIdentifiers = identifiers
            // §3.1.1: an entry identifies its model by AAID, AAGUID or key identifiers.
            guard aaguid != nil || aaid != nil || !identifiers.isEmpty else { return nil }
            if let statementJSON = json.metadataStatement {
                guard let parsed = Statement(statementJSON) else { return nil }
                // A statement that names another AAGUID than its entry is inconsistent.
                if let inner = parsed.aaguid, inner != aaguid { return nil }
                statement = parsed
            } else {
                statement = nil
            }
            var reports: [StatusReport] = []
            for reportJSON in json.statusReports {
                guard let report = StatusReport(reportJSON) else { return nil }
                reports.append(report)
            }
            guard !reports.isEmpty else { return nil }
            statusReports = reports
            guard let changed = MetadataText.date(json.timeOfLastStatusChange) else { return nil }
            timeOfLastStatusChange = changed
        }
    }

    /// The parts of a Metadata Statement (FIDO Metadata Statement v3.0 §4) a relying party
    /// acts on.
    public struct Statement: Sendable {
        public let description: String
        public let aaguid: [UInt8]?
        public let authenticatorVersion: Int?
        /// "fido2", "u2f" or "uaf".
        public let protocolFamily: String?
        /// E.g. "basic_full", "attca", "anonca", "none".
        public let attestationTypes: [String]
        /// Key protection types (FIDO Registry of Predefined Values §3.2): "software",
        /// "hardware", "tee", "secure_element", "remote_handle".
        public let keyProtection: [String]
        public let isKeyRestricted: Bool?
        /// Attachment hints (Registry §3.4), e.g. "internal", "external", "wired", "nfc".
        public let attachmentHint: [String]
        public let attestationRootCertificates: [Certificate]

        /// True when the keys are protected by hardware: at least one of "hardware", "tee"
        /// or "secure_element", and not "software" (the Registry makes software exclusive
        /// with the other three). What NIST SP 800-63B AAL3 asks of a non-exportable key is
        /// then the caller's policy on top of this.
        public var hasHardwareKeyProtection: Bool {
            !keyProtection.contains("software") && keyProtection.contains { ["hardware", "tee", "secure_element"].contains($0) }
        }

        init?(_ json: MetadataStatementJSON) {
            description = json.description
            if let text = json.aaguid {
                guard let bytes = MetadataText.aaguid(text) else { return nil }
                aaguid = bytes
            } else {
                aaguid = nil
            }
            authenticatorVersion = json.authenticatorVersion
            protocolFamily = json.protocolFamily
            attestationTypes = json.attestationTypes ?? []
            keyProtection = json.keyProtection
            isKeyRestricted = json.isKeyRestricted
            attachmentHint = json.attachmentHint ?? []
            var roots: [Certificate] = []
            // Metadata Statement §4: attestationRootCertificates are base64 (not base64url) DER.
            for text in json.attestationRootCertificates {
                guard let data = Data(base64Encoded: text), let certificate = try? Certificate(derEncoded: Array(data)) else { return nil }
                roots.append(certificate)
            }
            attestationRootCertificates = roots
        }
    }

    /// A status report (FIDO Metadata Service v3.0 §3.1.3).
    public struct StatusReport: Sendable {
        public let status: Status
        /// When the status took effect (00:00 UTC of the date), if stated.
        public let effectiveDate: Date?
        public let authenticatorVersion: Int?
        public let certificateNumber: String?
        public let url: String?

        init?(_ json: MetadataStatusReportJSON) {
            guard !json.status.isEmpty else { return nil }
            status = Status(rawValue: json.status)
            if let text = json.effectiveDate {
                guard let date = MetadataText.date(text) else { return nil }
                effectiveDate = date
            } else {
                effectiveDate = nil
            }
            authenticatorVersion = json.authenticatorVersion
            certificateNumber = json.certificateNumber
            url = json.url
        }
    }

    /// An `AuthenticatorStatus` (FIDO Metadata Service v3.0 §3.1.4). An open set: a status the
    /// BLOB introduces later is kept as its string and is neither a revocation nor a risk.
    public struct Status: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notFIDOCertified = Status(rawValue: "NOT_FIDO_CERTIFIED")
        public static let fidoCertified = Status(rawValue: "FIDO_CERTIFIED")
        public static let userVerificationBypass = Status(rawValue: "USER_VERIFICATION_BYPASS")
        public static let attestationKeyCompromise = Status(rawValue: "ATTESTATION_KEY_COMPROMISE")
        public static let userKeyRemoteCompromise = Status(rawValue: "USER_KEY_REMOTE_COMPROMISE")
        public static let userKeyPhysicalCompromise = Status(rawValue: "USER_KEY_PHYSICAL_COMPROMISE")
        public static let updateAvailable = Status(rawValue: "UPDATE_AVAILABLE")
        public static let revoked = Status(rawValue: "REVOKED")
        public static let selfAssertionSubmitted = Status(rawValue: "SELF_ASSERTION_SUBMITTED")
        public static let fidoCertifiedL1 = Status(rawValue: "FIDO_CERTIFIED_L1")
        public static let fidoCertifiedL1Plus = Status(rawValue: "FIDO_CERTIFIED_L1plus")
        public static let fidoCertifiedL2 = Status(rawValue: "FIDO_CERTIFIED_L2")
        public static let fidoCertifiedL2Plus = Status(rawValue: "FIDO_CERTIFIED_L2plus")
        public static let fidoCertifiedL3 = Status(rawValue: "FIDO_CERTIFIED_L3")
        public static let fidoCertifiedL3Plus = Status(rawValue: "FIDO_CERTIFIED_L3plus")

        /// REVOKED (the FIDO Alliance says the model should not be trusted) and the three key
        /// compromise statuses: ATTESTATION_KEY_COMPROMISE, USER_KEY_REMOTE_COMPROMISE,
        /// USER_KEY_PHYSICAL_COMPROMISE.
        public var isRevocation: Bool {
            [Self.revoked, .attestationKeyCompromise, .userKeyRemoteCompromise, .userKeyPhysicalCompromise].contains(self)
        }

        /// ``isRevocation`` or USER_VERIFICATION_BYPASS (malware can bypass user verification):
        /// the five statuses of §3.1.4 that signal increased risk.
        public var indicatesIncreasedRisk: Bool {
            isRevocation || self == .userVerificationBypass
        }
    }
}
