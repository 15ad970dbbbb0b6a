import Foundation
import HonninCore

/// How bad a failure would be in one category: none, low, moderate, high.
public enum Impact: String, Codable, Sendable, Comparable, CaseIterable {
    case none, low, moderate, high
    var rank: Int { Impact.allCases.firstIndex(of: self)! }
    public static func < (a: Impact, b: Impact) -> Bool { a.rank < b.rank }
}

/// Impact of a failure in each category of NIST SP 800-63-4's digital identity risk management
/// (the categories the Japanese revision DS-511 adopts). Missing categories count as `none`.
public struct ImpactProfile: Codable, Sendable, Equatable {
    /// Harm to the service's mission (800-63-4: degradation of mission delivery).
    public var mission: Impact
    /// Damage to trust or reputation, inconvenience or distress.
    public var reputation: Impact
    /// Loss of sensitive information.
    public var sensitive_information: Impact
    /// Financial loss.
    public var financial: Impact
    /// Harm to life, safety or health.
    public var safety: Impact
    /// Non-compliance with laws, regulations or contracts.
    public var legal: Impact

    public init(
        mission: Impact = .none, reputation: Impact = .none, sensitive_information: Impact = .none, financial: Impact = .none,
        safety: Impact = .none, legal: Impact = .none
    ) {
        self.mission = mission
        self.reputation = reputation
        self.sensitive_information = sensitive_information
        self.financial = financial
        self.safety = safety
        self.legal = legal
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mission = try c.decodeIfPresent(Impact.self, forKey: .mission) ?? .none
        reputation = try c.decodeIfPresent(Impact.self, forKey: .reputation) ?? .none
        sensitive_information = try c.decodeIfPresent(Impact.self, forKey: .sensitive_information) ?? .none
        financial = try c.decodeIfPresent(Impact.self, forKey: .financial) ?? .none
        safety = try c.decodeIfPresent(Impact.self, forKey: .safety) ?? .none
        legal = try c.decodeIfPresent(Impact.self, forKey: .legal) ?? .none
    }

    /// Every category with its value, for explanations and property tests.
    public var all: [(key: String, value: Impact)] {
        [("mission", mission), ("reputation", reputation), ("sensitive_information", sensitive_information),
         ("financial", financial), ("safety", safety), ("legal", legal)]
    }
}

/// How long a verification's records are kept, and from when (犯収法 第6条第2項: 7 years from
/// the day the business relationship ends; other services decide their own).
public struct Retention: Codable, Sendable, Equatable {
    public enum Basis: String, Codable, Sendable {
        /// Counted from the verification's completion.
        case verification
        /// Counted from the end of the business relationship, which the business reports
        /// (`POST /v1/records/{id}/relationship-end`); kept until then.
        case relationshipEnd = "relationship_end"
    }
    public var basis: Basis
    public var days: Int

    public init(basis: Basis, days: Int) {
        self.basis = basis
        self.days = days
    }

    /// One year from the verification: the default when a profile says nothing.
    public static let `default` = Retention(basis: .verification, days: 365)

    enum CodingKeys: String, CodingKey { case basis, days }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let days = try c.decode(Int.self, forKey: .days)
        guard (1...36_500).contains(days) else {
            throw DecodingError.dataCorruptedError(forKey: .days, in: c, debugDescription: "retention days must be 1 to 36500")
        }
        self.init(basis: try c.decode(Basis.self, forKey: .basis), days: days)
    }
}

/// A service as the policy engine sees it: what a failure would cost, what the law requires,
/// and what the users can do. Presets are files in this format; a business writes its own.
public struct ServiceProfile: Codable, Sendable {
    public struct Obligations: Codable, Sendable {
        /// The business is a 特定事業者 under the 犯罪収益移転防止法.
        public var aml: Bool
        /// The business is bound by the 携帯電話不正利用防止法 (mobile contracts).
        public var mobile_act: Bool
        /// Age the service must confirm (20 for alcohol and tobacco, 18 for dating services), if any.
        public var minimum_age: Int?

        public init(aml: Bool = false, mobile_act: Bool = false, minimum_age: Int? = nil) {
            self.aml = aml
            self.mobile_act = mobile_act
            self.minimum_age = minimum_age
        }
    }

    /// A floor set by a sector rule (e.g. the JFA guideline), with its source.
    public struct SectorRule: Codable, Sendable {
        public var id: String
        public var ial: IdentityAssuranceLevel?
        public var aal: AuthenticatorAssuranceLevel?
        public var source: String
        public var note: BilingualText?
    }

    public struct Constraints: Codable, Sendable {
        /// Documents the users can be expected to hold; nil means any.
        public var documents: [String]?
        /// An app or an NFC-capable phone is acceptable.
        public var nfc: Bool
        /// Users can be asked for a card PIN.
        public var pin: Bool
        /// The decision must be immediate (no human review queue).
        public var instant_decision: Bool
        /// The business has people to review evidence.
        public var human_review: Bool
        /// A trusted identity provider's result may be relied on.
        public var reliance: Bool

        public init(
            documents: [String]? = nil, nfc: Bool = true, pin: Bool = true, instant_decision: Bool = false, human_review: Bool = true,
            reliance: Bool = false
        ) {
            self.documents = documents
            self.nfc = nfc
            self.pin = pin
            self.instant_decision = instant_decision
            self.human_review = human_review
            self.reliance = reliance
        }
    }

    public var id: String
    public var name: BilingualText
    /// Impact of a proofing failure (a false identity accepted as true).
    public var proofing_impact: ImpactProfile
    /// Impact of an authentication failure (someone else gets into a valid account).
    public var authentication_impact: ImpactProfile
    /// The service needs personal information about the user at all.
    public var needs_personal_information: Bool
    /// Self-asserted attributes are enough (no validated attribute needed).
    public var self_asserted_acceptable: Bool
    /// Personal information is available to whoever signs in to the account.
    public var personal_information_online: Bool
    public var obligations: Obligations
    public var sector_rules: [SectorRule]
    public var constraints: Constraints
    /// The transaction date (`YYYY-MM-DD`); the law changes on 2027-04-01. Nil: today.
    public var date: String?
    /// Attributes the business asks for, e.g. `age_over_20`.
    public var attributes: [String]
    /// How long verification records (本人確認記録) are kept.
    public var retention: Retention

    public init(
        id: String, name: BilingualText, proofing_impact: ImpactProfile = .init(), authentication_impact: ImpactProfile = .init(),
        needs_personal_information: Bool = true, self_asserted_acceptable: Bool = false, personal_information_online: Bool = true,
        obligations: Obligations = .init(), sector_rules: [SectorRule] = [], constraints: Constraints = .init(), date: String? = nil,
        attributes: [String] = [], retention: Retention = .default
    ) {
        self.id = id
        self.name = name
        self.proofing_impact = proofing_impact
        self.authentication_impact = authentication_impact
        self.needs_personal_information = needs_personal_information
        self.self_asserted_acceptable = self_asserted_acceptable
        self.personal_information_online = personal_information_online
        self.obligations = obligations
        self.sector_rules = sector_rules
        self.constraints = constraints
        self.date = date
        self.attributes = attributes
        self.retention = retention
    }
}

// Profiles are written by people: every member but `id` and `name` has a default.
extension ServiceProfile {
    enum CodingKeys: String, CodingKey {
        case id, name, proofing_impact, authentication_impact, needs_personal_information, self_asserted_acceptable,
            personal_information_online, obligations, sector_rules, constraints, date, attributes, retention
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), name: try c.decode(BilingualText.self, forKey: .name),
            proofing_impact: try c.decodeIfPresent(ImpactProfile.self, forKey: .proofing_impact) ?? .init(),
            authentication_impact: try c.decodeIfPresent(ImpactProfile.self, forKey: .authentication_impact) ?? .init(),
            needs_personal_information: try c.decodeIfPresent(Bool.self, forKey: .needs_personal_information) ?? true,
            self_asserted_acceptable: try c.decodeIfPresent(Bool.self, forKey: .self_asserted_acceptable) ?? false,
            personal_information_online: try c.decodeIfPresent(Bool.self, forKey: .personal_information_online) ?? true,
            obligations: try c.decodeIfPresent(Obligations.self, forKey: .obligations) ?? .init(),
            sector_rules: try c.decodeIfPresent([SectorRule].self, forKey: .sector_rules) ?? [],
            constraints: try c.decodeIfPresent(Constraints.self, forKey: .constraints) ?? .init(),
            date: try c.decodeIfPresent(String.self, forKey: .date),
            attributes: try c.decodeIfPresent([String].self, forKey: .attributes) ?? [],
            retention: try c.decodeIfPresent(Retention.self, forKey: .retention) ?? .default)
    }
}

extension ServiceProfile.Obligations {
    enum CodingKeys: String, CodingKey { case aml, mobile_act, minimum_age }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            aml: try c.decodeIfPresent(Bool.self, forKey: .aml) ?? false,
            mobile_act: try c.decodeIfPresent(Bool.self, forKey: .mobile_act) ?? false,
            minimum_age: try c.decodeIfPresent(Int.self, forKey: .minimum_age))
    }
}

extension ServiceProfile.Constraints {
    enum CodingKeys: String, CodingKey { case documents, nfc, pin, instant_decision, human_review, reliance }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            documents: try c.decodeIfPresent([String].self, forKey: .documents),
            nfc: try c.decodeIfPresent(Bool.self, forKey: .nfc) ?? true,
            pin: try c.decodeIfPresent(Bool.self, forKey: .pin) ?? true,
            instant_decision: try c.decodeIfPresent(Bool.self, forKey: .instant_decision) ?? false,
            human_review: try c.decodeIfPresent(Bool.self, forKey: .human_review) ?? true,
            reliance: try c.decodeIfPresent(Bool.self, forKey: .reliance) ?? false)
    }
}
