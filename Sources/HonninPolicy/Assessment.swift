import Foundation
import HonninCore

/// The outcome of assessing a service profile: required levels with the rule that decided
/// each, acceptable methods ranked with reasons, and excluded methods with the reason.
public struct Assessment: Sendable {
    public struct Decision<Level: Sendable>: Sendable {
        public let level: Level
        /// The rule that set the level (the highest of all rules that apply).
        public let rule: String
        public let reason: BilingualText
        public let source: String
    }

    public struct RankedMethod: Sendable, Encodable {
        public let id: String
        public let reason: BilingualText
    }

    public let profile: String
    public let date: String
    public let ial: Decision<IdentityAssuranceLevel>
    public let aal: Decision<AuthenticatorAssuranceLevel>
    public let proofing: [RankedMethod]
    public let authentication: [RankedMethod]
    public let excluded: [RankedMethod]
}

/// Risk → required levels → ranked methods, over a ``MethodCatalogue``.
///
/// Rules (each names its source; see the catalogue's `sources`):
/// - `nist-impact-table`: the lowest level whose impact profile covers every category's impact
///   (NIST SP 800-63-3 §6 Table 6-1, the model of DS-500; 800-63-4 DIRM keeps the categories).
/// - `no-personal-information` / `self-asserted`: IAL1 when no validated attribute is needed
///   (800-63-3 §6 Fig. 6-1 steps 1–2).
/// - `personal-information-online`: AAL2 or higher when signing in exposes personal information
///   (800-63-3 §6 Table 6-2).
/// - `aml-obliged` / `mobile-act`: IAL2 or higher and only the methods the law accepts, by
///   transaction date (the 2025 amendment leaves IC chip + face and JPKI from 2027-04-01).
/// - sector rules from the profile (e.g. the JFA guideline's IAL2+ / AAL1+).
public struct PolicyEngine: Sendable {
    public let catalogue: MethodCatalogue

    public init(catalogue: MethodCatalogue) { self.catalogue = catalogue }

    /// The date the 2025 amendment of the 犯収法 ordinance takes effect.
    public static let amlAmendmentDate = "2027-04-01"

    /// The level the NIST impact table gives: level 1 allows at most Low for reputation and
    /// financial loss and nothing elsewhere; level 2 allows at most Moderate, and Low for safety.
    static func tableLevel(_ p: ImpactProfile) -> Int {
        let level1 = p.reputation <= .low && p.financial <= .low && p.mission == .none && p.sensitive_information == .none
            && p.safety == .none && p.legal == .none
        if level1 { return 1 }
        let level2 = p.reputation <= .moderate && p.financial <= .moderate && p.mission <= .moderate
            && p.sensitive_information <= .moderate && p.safety <= .low && p.legal <= .moderate
        return level2 ? 2 : 3
    }

    static func worst(_ p: ImpactProfile) -> String {
        let top = p.all.max { $0.value < $1.value }!
        return "\(top.key)=\(top.value.rawValue)"
    }

    public func assess(_ profile: ServiceProfile, today: String) -> Assessment {
        let date = profile.date ?? today
        let afterAmendment = date >= Self.amlAmendmentDate

        // Identity assurance: the highest level any rule requires.
        var ialRules: [Requirement] = []
        if !profile.needs_personal_information || profile.self_asserted_acceptable {
            ialRules.append(
                Requirement(
                    1, profile.needs_personal_information ? "self-asserted" : "no-personal-information",
                    BilingualText(ja: "検証済みの属性を必要としないため身元確認はレベル1で足りる", en: "No validated attribute is needed, so IAL1 suffices"),
                    "nist-800-63-4"))
        } else {
            ialRules.append(
                Requirement(
                    max(Self.tableLevel(profile.proofing_impact), 2), "nist-impact-table",
                    BilingualText(
                        ja: "検証済みの属性が必要で、身元確認失敗の影響（最大 \(Self.worst(profile.proofing_impact))）から",
                        en: "Validated attributes are needed; from the impact of a proofing failure (worst \(Self.worst(profile.proofing_impact)))"),
                    "nist-800-63-4"))
        }
        if profile.obligations.aml {
            ialRules.append(
                Requirement(2, "aml-obliged", BilingualText(ja: "犯収法の取引時確認が必要", en: "Verification required by the AML act"), "aml-ordinance-2025"))
        }
        if profile.obligations.mobile_act {
            ialRules.append(
                Requirement(
                    2, "mobile-act", BilingualText(ja: "携帯電話不正利用防止法の本人確認が必要", en: "Verification required by the mobile phone act"),
                    "mobile-act"))
        }
        ialRules += profile.sector_rules.compactMap { rule in rule.ial.map { Requirement(sector: rule, level: $0.rawValue) } }
        let ial: Assessment.Decision<IdentityAssuranceLevel> = Self.decide(ialRules)

        // Authenticator assurance.
        var aalRules = [
            Requirement(
                Self.tableLevel(profile.authentication_impact), "nist-impact-table",
                BilingualText(
                    ja: "当人認証失敗の影響（最大 \(Self.worst(profile.authentication_impact))）から",
                    en: "From the impact of an authentication failure (worst \(Self.worst(profile.authentication_impact)))"),
                "nist-800-63-4")
        ]
        if profile.personal_information_online {
            aalRules.append(
                Requirement(
                    2, "personal-information-online",
                    BilingualText(ja: "ログインすると個人情報が見られるため2要素以上", en: "Signing in exposes personal information, so two factors or more"),
                    "nist-800-63-4"))
        }
        aalRules += profile.sector_rules.compactMap { rule in rule.aal.map { Requirement(sector: rule, level: $0.rawValue) } }
        let aal: Assessment.Decision<AuthenticatorAssuranceLevel> = Self.decide(aalRules)

        // Proofing methods: exclude, then rank what is left.
        var excluded: [Assessment.RankedMethod] = []
        var acceptable: [MethodCatalogue.ProofingMethod] = []
        for m in catalogue.proofing {
            if let reason = exclusion(m, profile: profile, ial: ial.level, afterAmendment: afterAmendment, date: date) {
                excluded.append(.init(id: m.id, reason: reason))
            } else {
                acceptable.append(m)
            }
        }
        let held = Set(profile.constraints.documents ?? catalogue.documents.map(\.id))
        func coverage(_ m: MethodCatalogue.ProofingMethod) -> Int {
            m.documents.filter(held.contains).compactMap { id in catalogue.documents.first { $0.id == id }?.issued }.max() ?? 0
        }
        func burden(_ m: MethodCatalogue.ProofingMethod) -> Int { (m.user_seconds ?? 0) + (m.pin_required ? 15 : 0) }
        let ranked = acceptable.sorted { a, b in
            if a.instant != b.instant { return a.instant }
            if burden(a) != burden(b) { return burden(a) < burden(b) }
            return coverage(a) > coverage(b)
        }
        let proofing = ranked.map { m in Assessment.RankedMethod(id: m.id, reason: proofingReason(m, coverage: coverage(m))) }

        var authentication: [Assessment.RankedMethod] = []
        let authRanked = catalogue.authentication.sorted { a, b in
            if a.phishing_resistant != b.phishing_resistant { return a.phishing_resistant }
            if a.credential_stuffing_resistant != b.credential_stuffing_resistant { return a.credential_stuffing_resistant }
            return a.aal < b.aal
        }
        for m in authRanked {
            if m.aal < aal.level {
                excluded.append(
                    .init(id: m.id, reason: BilingualText(ja: "当人認証レベル\(m.aal.rawValue)で、レベル\(aal.level.rawValue)に届かない", en: "Reaches AAL\(m.aal.rawValue); AAL\(aal.level.rawValue) is required")))
            } else {
                let phishing = m.phishing_resistant ? ("フィッシング耐性あり", "phishing-resistant") : ("フィッシングに弱い", "not phishing-resistant")
                authentication.append(
                    .init(id: m.id, reason: BilingualText(
                        ja: "当人認証レベル\(m.aal.rawValue)・\(phishing.0)・\(m.caveat.ja)",
                        en: "AAL\(m.aal.rawValue), \(phishing.1); \(m.caveat.en)")))
            }
        }
        return Assessment(
            profile: profile.id, date: date,
            ial: ial, aal: aal,
            proofing: proofing, authentication: authentication, excluded: excluded)
    }

    /// A level some rule asks for, with the rule's id, reason and source.
    struct Requirement {
        let level: Int
        let rule: String
        let reason: BilingualText
        let source: String

        init(_ level: Int, _ rule: String, _ reason: BilingualText, _ source: String) {
            self.level = level
            self.rule = rule
            self.reason = reason
            self.source = source
        }

        init(sector rule: ServiceProfile.SectorRule, level: Int) {
            self.init(level, rule.id, rule.note ?? BilingualText(ja: "業界ルール \(rule.id)", en: "Sector rule \(rule.id)"), rule.source)
        }
    }

    /// The highest requirement decides; on a tie the later, more specific rule (legal duty,
    /// sector rule) explains the level.
    static func decide<S>(_ rules: [Requirement]) -> Assessment.Decision<AssuranceLevel<S>> {
        let top = rules.dropFirst().reduce(rules[0]) { $1.level >= $0.level ? $1 : $0 }
        return .init(level: AssuranceLevel<S>(rawValue: top.level)!, rule: top.rule, reason: top.reason, source: top.source)
    }

    func exclusion(
        _ m: MethodCatalogue.ProofingMethod, profile: ServiceProfile, ial: IdentityAssuranceLevel, afterAmendment: Bool, date: String
    ) -> BilingualText? {
        if m.ial_from_source == true {
            if !profile.constraints.reliance {
                return BilingualText(ja: "依拠先の事業者が設定されていない", en: "No trusted provider to rely on is configured")
            }
        } else if let reached = m.gov_ial, reached < ial {
            return BilingualText(ja: "身元確認レベル\(reached.rawValue)で、レベル\(ial.rawValue)に届かない", en: "Reaches IAL\(reached.rawValue); IAL\(ial.rawValue) is required")
        }
        if profile.obligations.mobile_act {
            let valid = afterAmendment ? m.legal.mobile_act_valid_from_2027_04_01 : m.legal.mobile_act_valid_before_2027_04_01
            if !valid {
                return BilingualText(
                    ja: "携帯電話不正利用防止法の本人確認に使えない（\(date)、カタログの設定）",
                    en: "Not usable for the mobile phone act's verification (\(date), as the catalogue is set)")
            }
        }
        if profile.obligations.aml {
            let valid = afterAmendment ? m.legal.aml_valid_from_2027_04_01 : m.legal.aml_valid_before_2027_04_01
            if !valid {
                return m.legal.aml_method == nil
                    ? BilingualText(ja: "犯収法の取引時確認の方法ではない", en: "Not a verification method under the AML act")
                    : BilingualText(ja: "2027年4月1日以降、犯収法の特定事業者は使えない（\(date)）", en: "Not valid for AML-obliged businesses from 2027-04-01 (\(date))")
            }
        }
        let c = profile.constraints
        if !c.nfc && (m.id == "ic-chip" || m.id == "jpki-signature") {
            return BilingualText(ja: "NFC対応端末・アプリを使えない", en: "An NFC device or app is not acceptable")
        }
        if !c.pin && m.pin_required { return BilingualText(ja: "暗証番号の入力を求められない", en: "Users cannot be asked for a PIN") }
        if c.instant_decision && !m.instant { return BilingualText(ja: "即時の判定が必要だが目視確認を待つ", en: "An instant decision is needed; this waits for a human review") }
        if !c.human_review && m.review == "human" { return BilingualText(ja: "目視確認の体制がない", en: "No one is available to review evidence") }
        if let docs = c.documents, !m.documents.isEmpty, Set(m.documents).isDisjoint(with: docs) {
            return BilingualText(ja: "利用者が持つ書類に対応していない", en: "Accepts none of the documents the users hold")
        }
        return nil
    }

    func proofingReason(_ m: MethodCatalogue.ProofingMethod, coverage: Int) -> BilingualText {
        let level = m.gov_ial.map { "身元確認レベル\($0.rawValue)" } ?? "依拠先のレベル"
        let levelEn = m.gov_ial.map { "IAL\($0.rawValue)" } ?? "the provider's level"
        let seconds = m.user_seconds.map { ("利用者の所要時間 約\($0)秒", "about \($0) s for the user") } ?? ("", "")
        let pin = m.pin_required ? ("暗証番号が必要", "needs a PIN") : ("暗証番号不要", "no PIN")
        let docs = coverage > 0 ? ("対象書類の発行数 最大約\(coverage / 10_000)万", "documents issued up to about \(coverage / 1_000_000) M") : ("", "")
        let ja = [level, m.instant ? "即時判定" : "判定は\(m.review_time.ja)", seconds.0, pin.0, docs.0].filter { !$0.isEmpty }
        let en = [levelEn, m.instant ? "instant decision" : "decision in \(m.review_time.en)", seconds.1, pin.1, docs.1].filter { !$0.isEmpty }
        return BilingualText(ja: ja.joined(separator: "・"), en: en.joined(separator: ", "))
    }
}
