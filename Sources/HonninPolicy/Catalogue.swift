import Foundation
import HonninCore

/// Text in both languages, as the catalogue writes it: `{"ja": …, "en": …}`.
public struct BilingualText: Codable, Sendable, Hashable {
    public let ja: String
    public let en: String
    public init(ja: String, en: String) {
        self.ja = ja
        self.en = en
    }
    public func text(_ language: Language) -> String { language == .ja ? ja : en }
}

/// How sure we are of a fact: read in the primary source, seen in one secondary source, or not
/// confirmed (such facts stay switchable and are flagged in explanations).
public enum Confidence: String, Codable, Sendable {
    case confirmed
    case single
    case unconfirmed
}

/// The method catalogue: every proofing and authentication method of the guideline with every
/// column of its tables, the legal facts, and the source of each row. Loaded from a versioned
/// data file (`Resources/catalogue.json` by default) and validated at start.
public struct MethodCatalogue: Codable, Sendable {
    public struct Source: Codable, Sendable {
        public let title: String
        public let url: String
        public let confidence: Confidence
    }

    public struct LevelDefinition: Codable, Sendable {
        public let level: Int
        public let ja: String
        public let en: String
        public let source: String
    }

    public struct Levels: Codable, Sendable {
        public let ial: [LevelDefinition]
        public let aal: [LevelDefinition]
    }

    /// A mapping of the Japanese levels onto another scale (NIST 800-63-4, OIDC4IDA strings).
    public struct Mapping: Codable, Sendable {
        public let id: String
        public let ja: String
        public let en: String
        public let ial: [String: String]
        public let aal: [String: String]?
        /// How federation assurance relates, where the scale has FALs (DS-500 has none).
        public let fal: BilingualText?
        public let source: String
        public let confidence: Confidence
    }

    public struct Document: Codable, Sendable {
        public let id: String
        public let ja: String
        public let en: String
        public let photo: Bool
        public let ic_chip: Bool
        /// Documents issued, as the guideline counts them (its coverage figures).
        public let issued: Int?
        public let issued_as_of: String?
        /// The OIDC4IDA document type this maps to.
        public let oidc4ida_type: String
        public let source: String
    }

    /// The 犯収法 facts of a method, keyed by what the method does (the ordinance's letters are
    /// being renumbered by the 2025 amendment).
    public struct Legal: Codable, Sendable {
        /// `image-and-face` (ホ), `ic-chip-and-face` (へ), `jpki-signature` (ワ), or nil when the
        /// method is none of the ordinance's.
        public let aml_method: String?
        /// Valid for a business obliged by the 犯収法 before 2027-04-01.
        public let aml_valid_before_2027_04_01: Bool
        /// Valid for an obliged business from 2027-04-01 (the 2025 amendment).
        public let aml_valid_from_2027_04_01: Bool
        public let source: String
        public let confidence: Confidence?
        /// Valid for a mobile-contract verification under the 携帯電話不正利用防止法, before and from
        /// 2027-04-01. Unconfirmed facts (defaults mirror the 犯収法): edit the catalogue to change them.
        public let mobile_act_valid_before_2027_04_01: Bool
        public let mobile_act_valid_from_2027_04_01: Bool
        public let mobile_act_confidence: Confidence
    }

    public struct ChipVariant: Codable, Sendable {
        public let document: String
        public let access: BilingualText
    }

    public struct ProofingMethod: Codable, Sendable {
        public let id: String
        public let ja: String
        public let en: String
        public let description: BilingualText
        /// Government IAL (DS-500) the method reaches; nil only where the level comes from the
        /// relied-upon source (`ial_from_source`).
        public let gov_ial: IdentityAssuranceLevel?
        /// The DADC IAL the guideline's table gives (0–4); nil where it gives none.
        public let dadc_ial: Int?
        public let ial_from_source: Bool?
        public let documents: [String]
        public let pin_required: Bool
        public let user_seconds: Int?
        /// `none`, `human` or `automated`.
        public let review: String
        public let review_time: BilingualText
        public let instant: Bool
        public let typical_use: BilingualText
        public let caveats: [BilingualText]
        public let variants: [ChipVariant]?
        public let legal: Legal
        public let sources: [String]
    }

    public struct AuthenticationMethod: Codable, Sendable {
        public let id: String
        public let ja: String
        public let en: String
        public let aal: AuthenticatorAssuranceLevel
        public let factors: [String]
        public let replay_resistant: Bool
        public let credential_stuffing_resistant: Bool
        public let phishing_resistant: Bool
        public let hardware_bound: Bool
        public let caveat: BilingualText
        public let example: BilingualText
        public let sources: [String]
    }

    public let format: String
    public let version: String
    public let sources: [String: Source]
    public let levels: Levels
    public let mappings: [Mapping]
    public let documents: [Document]
    public let proofing: [ProofingMethod]
    public let authentication: [AuthenticationMethod]

    /// The method ids used everywhere (API, records, docs). The catalogue must define each.
    public static let proofingIDs = [
        "self-declared", "document-upload", "photo-selfie", "photo-selfie-auto", "ic-chip", "jpki-signature", "reliance-oidc",
    ]
    public static let authenticationIDs = ["password", "password-totp", "passkey", "security-key", "jpki-user-cert"]

    /// Why a catalogue file was refused; `row` names the offending entry.
    public struct ValidationError: Error, Sendable, Equatable, CustomStringConvertible {
        public let row: String
        public let reason: String
        public init(row: String, reason: String) {
            self.row = row
            self.reason = reason
        }
        public var description: String { "catalogue row \(row): \(reason)" }
    }

    /// The catalogue shipped with Honnin.
    public static func bundled() throws -> MethodCatalogue {
        guard let url = Bundle.module.url(forResource: "catalogue", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            throw ValidationError(row: "(file)", reason: "catalogue.json missing from the HonninPolicy bundle")
        }
        return try load(data)
    }

    /// Decodes and validates a catalogue file. Every failure names the row.
    public static func load(_ data: Data) throws -> MethodCatalogue {
        let catalogue: MethodCatalogue
        let raw = try? JSONSerialization.jsonObject(with: data)
        do {
            catalogue = try JSONDecoder().decode(MethodCatalogue.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ValidationError(row: rowName(context.codingPath, raw), reason: "\(key.stringValue) is missing")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ValidationError(
                row: rowName(context.codingPath, raw), reason: "\(context.codingPath.last?.stringValue ?? "a value") is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ValidationError(
                row: rowName(context.codingPath, raw), reason: "\(context.codingPath.last?.stringValue ?? "a value") has the wrong type")
        } catch let DecodingError.dataCorrupted(context) {
            throw ValidationError(row: rowName(context.codingPath, raw), reason: context.debugDescription)
        } catch {
            throw ValidationError(row: "(file)", reason: "\(error)")
        }
        try catalogue.validate()
        return catalogue
    }

    /// Names the row a decoding path points into: `proofing photo-selfie` when the row has an
    /// id, else `proofing[2]`; `(file)` for the top level.
    static func rowName(_ path: [any CodingKey], _ raw: Any?) -> String {
        guard let section = path.first?.stringValue else { return "(file)" }
        guard path.count > 1, let index = path[1].intValue else { return section }
        let rows = (raw as? [String: Any])?[section] as? [[String: Any]]
        if let rows, index < rows.count, let id = rows[index]["id"] as? String { return "\(section) \(id)" }
        return "\(section)[\(index)]"
    }

    func validate() throws {
        guard format == "honnin.method-catalogue" else { throw ValidationError(row: "(file)", reason: "not a method catalogue (format \(format))") }
        func checkSources(_ row: String, _ ids: [String]) throws {
            guard !ids.isEmpty else { throw ValidationError(row: row, reason: "no source") }
            for id in ids where sources[id] == nil { throw ValidationError(row: row, reason: "unknown source \(id)") }
        }
        for (kind, defs) in [("ial", levels.ial), ("aal", levels.aal)] {
            guard defs.map(\.level).sorted() == [1, 2, 3] else { throw ValidationError(row: "levels.\(kind)", reason: "levels 1, 2 and 3 must each be defined once") }
            for d in defs { try checkSources("levels.\(kind)[\(d.level)]", [d.source]) }
        }
        for m in mappings {
            guard Set(m.ial.keys) == ["1", "2", "3"] else { throw ValidationError(row: "mapping \(m.id)", reason: "ial must map 1, 2 and 3") }
            if let aal = m.aal, Set(aal.keys) != ["1", "2", "3"] { throw ValidationError(row: "mapping \(m.id)", reason: "aal must map 1, 2 and 3") }
            try checkSources("mapping \(m.id)", [m.source])
        }
        let documentIDs = Set(documents.map(\.id))
        guard documentIDs.count == documents.count else { throw ValidationError(row: "documents", reason: "duplicate document id") }
        for d in documents { try checkSources("document \(d.id)", [d.source]) }

        var seen = Set<String>()
        for m in proofing {
            let row = "proofing \(m.id)"
            guard seen.insert(m.id).inserted else { throw ValidationError(row: row, reason: "duplicate id") }
            guard Self.proofingIDs.contains(m.id) else { throw ValidationError(row: row, reason: "unknown proofing method id") }
            if m.gov_ial == nil && m.ial_from_source != true { throw ValidationError(row: row, reason: "gov_ial is missing") }
            if let d = m.dadc_ial, !(0...4).contains(d) { throw ValidationError(row: row, reason: "dadc_ial must be 0–4") }
            guard ["none", "human", "automated"].contains(m.review) else { throw ValidationError(row: row, reason: "review must be none, human or automated") }
            for d in m.documents + (m.variants ?? []).map(\.document) where !documentIDs.contains(d) {
                throw ValidationError(row: row, reason: "unknown document \(d)")
            }
            if (m.legal.aml_valid_before_2027_04_01 || m.legal.aml_valid_from_2027_04_01) && m.legal.aml_method == nil {
                throw ValidationError(row: row, reason: "a method valid under the AML act names its aml_method")
            }
            if (m.legal.mobile_act_valid_before_2027_04_01 || m.legal.mobile_act_valid_from_2027_04_01) && m.legal.aml_method == nil {
                throw ValidationError(row: row, reason: "a method valid under the mobile phone act names its aml_method")
            }
            if m.legal.aml_method == "image-and-face" && m.legal.aml_valid_from_2027_04_01 {
                throw ValidationError(row: row, reason: "the 2025 amendment abolishes image-based methods from 2027-04-01")
            }
            try checkSources(row, m.sources)
            try checkSources(row + " legal", [m.legal.source])
        }
        if let missing = Self.proofingIDs.first(where: { !seen.contains($0) }) {
            throw ValidationError(row: "proofing \(missing)", reason: "required method is not in the catalogue")
        }
        seen = []
        for m in authentication {
            let row = "authentication \(m.id)"
            guard seen.insert(m.id).inserted else { throw ValidationError(row: row, reason: "duplicate id") }
            guard Self.authenticationIDs.contains(m.id) else { throw ValidationError(row: row, reason: "unknown authentication method id") }
            guard !m.factors.isEmpty else { throw ValidationError(row: row, reason: "factors are missing") }
            try checkSources(row, m.sources)
        }
        if let missing = Self.authenticationIDs.first(where: { !seen.contains($0) }) {
            throw ValidationError(row: "authentication \(missing)", reason: "required method is not in the catalogue")
        }
    }

    public func proofingMethod(_ id: String) -> ProofingMethod? { proofing.first { $0.id == id } }
    public func authenticationMethod(_ id: String) -> AuthenticationMethod? { authentication.first { $0.id == id } }
}
