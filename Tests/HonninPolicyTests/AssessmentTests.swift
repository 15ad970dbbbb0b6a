import Foundation
import HonninPolicy
import Testing

@Suite("Policy engine")
struct AssessmentTests {
    let engine = PolicyEngine(catalogue: try! MethodCatalogue.bundled())
    let today = "2026-11-29"

    func assess(_ id: String) throws -> Assessment { engine.assess(try Presets.profile(id), today: today) }

    @Test("every preset loads and gives its expected levels and first methods", arguments: [
        ("jfa-age", 2, 1, "jfa-2023", "jpki-signature"),
        ("hansyuho", 2, 2, "aml-obliged", "jpki-signature"),
        ("hansyuho-2027", 2, 2, "aml-obliged", "jpki-signature"),
        ("mobile-contract", 2, 2, "mobile-act", "jpki-signature"),
        ("c2c-payout", 2, 2, "nist-impact-table", "jpki-signature"),
        ("dating-age", 2, 2, "nist-impact-table", "jpki-signature"),
        ("low-risk", 1, 1, "no-personal-information", "self-declared"),
    ])
    func presets(_ id: String, _ ial: Int, _ aal: Int, _ rule: String, _ first: String) throws {
        let a = try assess(id)
        #expect(a.ial.level.rawValue == ial)
        #expect(a.aal.level.rawValue == aal)
        #expect(a.ial.rule == rule)
        #expect(a.proofing.first?.id == first)
    }

    @Test("犯収法: ホ方式 is acceptable until 2027-03-31 and excluded from 2027-04-01")
    func amlDates() throws {
        let before = try assess("hansyuho")
        #expect(Set(before.proofing.map(\.id)) == ["jpki-signature", "ic-chip", "photo-selfie"])
        let after = try assess("hansyuho-2027")
        #expect(Set(after.proofing.map(\.id)) == ["jpki-signature", "ic-chip"])
        let reason = try #require(after.excluded.first { $0.id == "photo-selfie" }?.reason)
        #expect(reason.ja.contains("2027年4月1日"))
        #expect(after.excluded.first { $0.id == "document-upload" }?.reason.en == "Not a verification method under the AML act")
    }

    @Test("rules: safety above low forces IAL3; personal information online forces AAL2; constraints exclude with reasons")
    func rules() throws {
        var p = try Presets.profile("c2c-payout")
        p.proofing_impact.safety = .moderate
        #expect(engine.assess(p, today: today).ial.level == .ial3)
        #expect(engine.assess(p, today: today).proofing.map(\.id) == ["jpki-signature"])
        p = try Presets.profile("low-risk")
        p.personal_information_online = true
        #expect(engine.assess(p, today: today).aal.rule == "personal-information-online")
        p = try Presets.profile("jfa-age")
        p.constraints.nfc = false
        p.constraints.instant_decision = true
        let a = engine.assess(p, today: today)
        #expect(a.proofing.map(\.id) == ["photo-selfie-auto"])
        #expect(a.excluded.first { $0.id == "ic-chip" }?.reason.en.contains("NFC") == true)
        p.constraints.reliance = true
        #expect(engine.assess(p, today: today).proofing.map(\.id).contains("reliance-oidc"))
    }

    /// Profiles drawn from a seeded generator: every impact, obligation, date and constraint.
    static func generated(_ count: Int) -> [ServiceProfile] {
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        func impact() -> Impact { Impact.allCases[Int(next() % 4)] }
        func profile() -> ImpactProfile {
            ImpactProfile(mission: impact(), reputation: impact(), sensitive_information: impact(), financial: impact(), safety: impact(), legal: impact())
        }
        func flag() -> Bool { next() % 2 == 0 }
        let documents = ["my-number-card", "drivers-license", "residence-card", "passport", "health-insurance-card"]
        return (0..<count).map { i in
            ServiceProfile(
                id: "gen-\(i)", name: BilingualText(ja: "生成", en: "generated"), proofing_impact: profile(), authentication_impact: profile(),
                needs_personal_information: next() % 5 != 0, self_asserted_acceptable: next() % 5 == 0, personal_information_online: flag(),
                obligations: .init(aml: next() % 3 == 0, mobile_act: next() % 7 == 0),
                constraints: .init(
                    documents: flag() ? nil : documents.filter { _ in flag() }, nfc: next() % 4 != 0, pin: next() % 4 != 0,
                    instant_decision: next() % 3 == 0, human_review: next() % 4 != 0, reliance: flag()),
                date: ["2026-06-01", "2027-03-31", "2027-04-01", "2030-01-01"][Int(next() % 4)])
        }
    }

    @Test("properties over 2,000 generated profiles")
    func properties() throws {
        let catalogue = try MethodCatalogue.bundled()
        let keys: [WritableKeyPath<ImpactProfile, Impact>] = [\.mission, \.reputation, \.sensitive_information, \.financial, \.safety, \.legal]
        for p in Self.generated(2000) {
            let a = engine.assess(p, today: today)
            // Every recommended method meets both required levels.
            for m in a.proofing {
                let method = try #require(catalogue.proofingMethod(m.id))
                if let reached = method.gov_ial { #expect(reached >= a.ial.level, "\(p.id) \(m.id)") }
                else { #expect(method.ial_from_source == true && p.constraints.reliance) }
            }
            for m in a.authentication { #expect(try #require(catalogue.authenticationMethod(m.id)).aal >= a.aal.level) }
            // No method invalid for obliged businesses after 2027-04-01 is recommended to one dated after it.
            if p.obligations.aml, a.date >= "2027-04-01" {
                for m in a.proofing { #expect(catalogue.proofingMethod(m.id)!.legal.aml_valid_from_2027_04_01, "\(p.id) \(m.id)") }
            }
            if p.obligations.mobile_act, a.date >= "2027-04-01" {
                for m in a.proofing { #expect(catalogue.proofingMethod(m.id)!.legal.mobile_act_valid_from_2027_04_01, "\(p.id) \(m.id)") }
            }
            // Every method is either recommended or excluded with a reason, never both or neither.
            let all = Set(catalogue.proofing.map(\.id) + catalogue.authentication.map(\.id))
            let seen = a.proofing.map(\.id) + a.authentication.map(\.id) + a.excluded.map(\.id)
            #expect(Set(seen) == all && seen.count == all.count)
            for e in a.excluded { #expect(!e.reason.ja.isEmpty && !e.reason.en.isEmpty) }
            // Raising any impact never lowers a required level.
            for key in keys {
                for raise in Impact.allCases where raise > p.proofing_impact[keyPath: key] {
                    var q = p
                    q.proofing_impact[keyPath: key] = raise
                    #expect(engine.assess(q, today: today).ial.level >= a.ial.level)
                }
                for raise in Impact.allCases where raise > p.authentication_impact[keyPath: key] {
                    var q = p
                    q.authentication_impact[keyPath: key] = raise
                    #expect(engine.assess(q, today: today).aal.level >= a.aal.level)
                }
            }
        }
    }

    @Test("malformed profile files are refused naming the member")
    func malformedProfiles() {
        #expect(throws: Presets.LoadError(file: "p", reason: "id is missing")) { try Presets.load(Data("{\"name\":{\"ja\":\"a\",\"en\":\"b\"}}".utf8), name: "p") }
        #expect(throws: Presets.LoadError.self) { try Presets.load(Data("{\"id\":\"x\",\"name\":{\"ja\":\"a\",\"en\":\"b\"},\"proofing_impact\":{\"safety\":\"extreme\"}}".utf8), name: "p") }
        #expect(throws: Presets.LoadError(file: "p", reason: "not JSON")) { try Presets.load(Data("{".utf8), name: "p") }
        #expect(throws: Presets.LoadError.self) { try Presets.profile("no-such-preset") }
    }
}
