import Foundation
import HTTPTypes
import HonninCore
import HonninPolicy
import Hummingbird

/// `GET /policy`: the policy designer. A business answers the questions (impact of a proofing
/// failure and of an authentication failure per category, legal duties, what its users can do)
/// and sees the required levels, the ranked methods and every reason; `GET /policy/profile.json`
/// downloads the answers as a profile file for `honnin assess --profile` or the API.
/// Rendered on the server from the query string: no script, no state, nothing stored.
struct PolicyDesignerPage {
    let engine: PolicyEngine
    let today: @Sendable () -> String

    static let categories: [(key: String, ja: String, en: String)] = [
        ("mission", "事業・サービス提供への支障", "Harm to the service's mission"),
        ("reputation", "信用・評判の毀損、利用者の不便・苦痛", "Damage to trust or reputation, inconvenience, distress"),
        ("sensitive_information", "機微な情報の漏えい", "Loss of sensitive information"),
        ("financial", "金銭的損失", "Financial loss"),
        ("safety", "生命・身体・健康への危害", "Harm to life, safety or health"),
        ("legal", "法令・契約違反", "Non-compliance with laws or contracts"),
    ]
    /// Checkbox parameters and the profile member each sets (parsing and the download link share it).
    static let flags: [(name: String, member: any WritableKeyPath<ServiceProfile, Bool> & Sendable)] = [
        ("needs_pi", \.needs_personal_information), ("self_asserted", \.self_asserted_acceptable),
        ("pi_online", \.personal_information_online), ("aml", \.obligations.aml), ("mobile", \.obligations.mobile_act),
        ("nfc", \.constraints.nfc), ("pin", \.constraints.pin), ("instant", \.constraints.instant_decision),
        ("review", \.constraints.human_review), ("reliance", \.constraints.reliance),
    ]
    static let impacts: [(Impact, String, String)] = [(.none, "なし", "none"), (.low, "低", "low"), (.moderate, "中", "moderate"), (.high, "高", "high")]

    func register(on router: Router<HonninRequestContext>) {
        router.get("policy") { request, _ in
            let language = Self.language(request)
            let (profile, submitted) = Self.profile(from: request.uri.queryParameters)
            let html = render(profile, submitted: submitted, language: language)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .contentLanguage: language.rawValue,
                    .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                ],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("policy/profile.json") { request, _ in
            let (profile, _) = Self.profile(from: request.uri.queryParameters)
            return try JSONBody.response(profile, headers: [.contentDisposition: "attachment; filename=\"honnin-profile.json\""])
        }
    }

    static func language(_ request: Request) -> Language {
        if let lang = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) { return lang }
        return Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
    }

    /// Builds a profile from the form's query string, starting from a preset if one is named.
    static func profile(from q: Parameters) -> (ServiceProfile, Bool) {
        let preset = q["preset"].map(String.init).flatMap { try? Presets.profile($0) }
        var p = preset ?? ServiceProfile(id: "custom", name: BilingualText(ja: "独自のサービス", en: "Custom service"))
        let submitted = q["submitted"] != nil
        guard submitted else { return (p, preset != nil) }
        if preset == nil || q["p_mission"] != nil {
            for c in categories {
                if let v = q["p_\(c.key)"].flatMap({ Impact(rawValue: String($0)) }) { set(&p.proofing_impact, c.key, v) }
                if let v = q["a_\(c.key)"].flatMap({ Impact(rawValue: String($0)) }) { set(&p.authentication_impact, c.key, v) }
            }
            for flag in flags { p[keyPath: flag.member] = q[flag.name[...]] != nil }
            p.obligations.minimum_age = q["min_age"].flatMap { Int(String($0)) }
            if let d = q["date"].map(String.init), d.count == 10, d.allSatisfy({ $0.isNumber || $0 == "-" }) { p.date = d }
        }
        return (p, true)
    }

    static func set(_ profile: inout ImpactProfile, _ key: String, _ value: Impact) {
        switch key {
        case "mission": profile.mission = value
        case "reputation": profile.reputation = value
        case "sensitive_information": profile.sensitive_information = value
        case "financial": profile.financial = value
        case "safety": profile.safety = value
        default: profile.legal = value
        }
    }

    func render(_ p: ServiceProfile, submitted: Bool, language l: Language) -> String {
        let ja = l == .ja
        func t(_ j: String, _ e: String) -> String { escape(ja ? j : e) }
        func impactSelect(_ name: String, _ value: Impact) -> String {
            "<select name=\"\(name)\">" + Self.impacts.map { imp, j, e in
                "<option value=\"\(imp.rawValue)\"\(imp == value ? " selected" : "")>\(t(j, e))</option>"
            }.joined() + "</select>"
        }
        func check(_ name: String, _ on: Bool, _ j: String, _ e: String) -> String {
            "<label class=\"check\"><input type=\"checkbox\" name=\"\(name)\"\(on ? " checked" : "")> \(t(j, e))</label>"
        }
        let rows = Self.categories.map { c in
            let pv = p.proofing_impact.all.first { $0.key == c.key }!.value
            let av = p.authentication_impact.all.first { $0.key == c.key }!.value
            return "<tr><th scope=\"row\">\(t(c.ja, c.en))</th><td>\(impactSelect("p_\(c.key)", pv))</td><td>\(impactSelect("a_\(c.key)", av))</td></tr>"
        }.joined()
        let presets = Presets.ids.compactMap { id -> String? in
            guard let pr = try? Presets.profile(id) else { return nil }
            return "<a href=\"/policy?preset=\(id)&amp;lang=\(l.rawValue)\">\(escape(pr.name.text(l)))</a>"
        }.joined(separator: " ")
        var result = ""
        if submitted {
            let a = engine.assess(p, today: today())
            func methodName(_ id: String) -> String {
                if let m = engine.catalogue.proofingMethod(id) { return escape(ja ? m.ja : m.en) }
                if let m = engine.catalogue.authenticationMethod(id) { return escape(ja ? m.ja : m.en) }
                return escape(id)
            }
            func list(_ items: [Assessment.RankedMethod], ordered: Bool) -> String {
                let tag = ordered ? "ol" : "ul"
                return "<\(tag)>" + items.map { "<li><strong>\(methodName($0.id))</strong> <code>\(escape($0.id))</code><br><span>\(escape($0.reason.text(l)))</span></li>" }.joined() + "</\(tag)>"
            }
            let query = queryString(p)
            result = """
                <section class="result" aria-live="polite">
                <h2>\(t("判定結果", "Result"))（\(escape(a.date))）</h2>
                <div class="levels">
                <div class="level"><span>\(t("身元確認", "Identity proofing"))</span><b>IAL\(a.ial.level.rawValue)</b><small>\(escape(a.ial.reason.text(l)))<br><code>\(escape(a.ial.rule))</code></small></div>
                <div class="level"><span>\(t("当人認証", "Authentication"))</span><b>AAL\(a.aal.level.rawValue)</b><small>\(escape(a.aal.reason.text(l)))<br><code>\(escape(a.aal.rule))</code></small></div>
                </div>
                <h3>\(t("身元確認の手法（おすすめ順）", "Proofing methods, best first"))</h3>\(list(a.proofing, ordered: true))
                <h3>\(t("当人認証の手法（おすすめ順）", "Authentication methods, best first"))</h3>\(list(a.authentication, ordered: true))
                <h3>\(t("除外した手法と理由", "Excluded methods and why"))</h3>\(list(a.excluded, ordered: false))
                <p><a class="button" href="/policy/profile.json?\(query)" download>\(t("プロファイルをダウンロード（JSON）", "Download the profile (JSON)"))</a></p>
                </section>
                """
        }
        let dateValue = p.date ?? ""
        return """
            <!doctype html>
            <html lang="\(l.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(t("本人確認ポリシー設計", "Identity verification policy designer")) — Honnin</title>
            <style>
            body{font-family:system-ui,"Noto Sans CJK JP",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9;line-height:1.5}
            main{max-width:960px;margin:0 auto;padding:16px}
            h1{font-size:1.4rem;margin:.2em 0} h2{font-size:1.2rem} h3{font-size:1rem;margin-top:1.2em}
            fieldset{background:#fff;border:1px solid #d0d5dc;border-radius:8px;margin:12px 0;padding:12px;min-width:0}
            legend{font-weight:600;padding:0 4px} table{border-collapse:collapse;width:100%;table-layout:fixed}
            th,td{padding:4px 6px;text-align:left;border-bottom:1px solid #eceff3} th[scope=row]{font-weight:normal}
            select,input[type=date]{font-size:1rem;padding:4px;max-width:100%} .check{display:block;margin:4px 0}
            button,.button{background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:10px 16px;font-size:1rem;text-decoration:none;display:inline-block}
            .levels{display:flex;gap:12px;flex-wrap:wrap} .level{background:#fff;border:2px solid #0b5cad;border-radius:8px;padding:10px;flex:1 1 240px}
            .level b{display:block;font-size:2rem;color:#0b5cad} .level span{font-weight:600}
            .result{background:#fff;border-radius:8px;padding:12px;margin-top:16px;border:1px solid #d0d5dc}
            li{margin:6px 0} li span{color:#444;font-size:.92rem} code{font-size:.85rem;color:#555}
            nav a{margin-right:8px;font-size:.92rem}
            </style></head>
            <body><main>
            <h1>\(t("本人確認ポリシー設計", "Identity verification policy designer"))</h1>
            <p>\(t("「民間事業者向けデジタル本人確認ガイドライン」に沿って、サービスのリスクから必要な保証レベルと手法を選びます。", "Choose the assurance levels and methods your service needs from its risk, following the Digital Identity Verification Guideline for Private Businesses."))
            <a href="/policy?lang=\(ja ? "en" : "ja")">\(ja ? "English" : "日本語")</a></p>
            <nav aria-label="\(t("プリセット", "Presets"))">\(t("プリセット：", "Presets: "))\(presets)</nav>
            <form method="get" action="/policy">
            <input type="hidden" name="submitted" value="1"><input type="hidden" name="lang" value="\(l.rawValue)">\(Presets.ids.contains(p.id) ? "<input type=\"hidden\" name=\"preset\" value=\"\(escape(p.id))\">" : "")
            <fieldset><legend>\(t("失敗したときの影響", "Impact of a failure"))</legend>
            <table><thead><tr><th>\(t("区分", "Category"))</th><th>\(t("身元確認の失敗", "Proofing failure"))</th><th>\(t("当人認証の失敗", "Authentication failure"))</th></tr></thead><tbody>\(rows)</tbody></table>
            </fieldset>
            <fieldset><legend>\(t("扱う情報と法令", "Information and law"))</legend>
            \(check("needs_pi", p.needs_personal_information, "利用者の個人情報が必要", "The service needs personal information"))
            \(check("self_asserted", p.self_asserted_acceptable, "自己申告の属性で足りる", "Self-declared attributes are enough"))
            \(check("pi_online", p.personal_information_online, "ログインすると個人情報が見られる", "Signing in shows personal information"))
            \(check("aml", p.obligations.aml, "犯収法の特定事業者である", "Obliged under the AML act (犯収法)"))
            \(check("mobile", p.obligations.mobile_act, "携帯電話不正利用防止法の対象である", "Bound by the mobile phone act"))
            <label class="check">\(t("確認する年齢", "Age to confirm")) <select name="min_age"><option value=""\(p.obligations.minimum_age == nil ? " selected" : "")>\(t("なし", "none"))</option><option value="18"\(p.obligations.minimum_age == 18 ? " selected" : "")>18</option><option value="20"\(p.obligations.minimum_age == 20 ? " selected" : "")>20</option></select></label>
            <label class="check">\(t("取引日", "Transaction date")) <input type="date" name="date" value="\(escape(dateValue))"></label>
            </fieldset>
            <fieldset><legend>\(t("利用者と体制", "Users and operations"))</legend>
            \(check("nfc", p.constraints.nfc, "アプリ・NFC対応スマートフォンを使ってもらえる", "Users can use an app or an NFC phone"))
            \(check("pin", p.constraints.pin, "カードの暗証番号を入力してもらえる", "Users can enter a card PIN"))
            \(check("instant", p.constraints.instant_decision, "その場で判定する必要がある", "The decision must be instant"))
            \(check("review", p.constraints.human_review, "書類を目視確認する担当者がいる", "Reviewers can check documents"))
            \(check("reliance", p.constraints.reliance, "他社の本人確認結果に依拠できる", "Another provider's result may be relied on"))
            </fieldset>
            <button type="submit">\(t("判定する", "Assess"))</button>
            </form>
            \(result)
            </main></body></html>
            """
    }

    func queryString(_ p: ServiceProfile) -> String {
        var items = ["submitted=1"] + (Presets.ids.contains(p.id) ? ["preset=\(p.id)"] : [])
        for c in Self.categories {
            items.append("p_\(c.key)=\(p.proofing_impact.all.first { $0.key == c.key }!.value.rawValue)")
            items.append("a_\(c.key)=\(p.authentication_impact.all.first { $0.key == c.key }!.value.rawValue)")
        }
        items += Self.flags.filter { p[keyPath: $0.member] }.map { "\($0.name)=on" }
        if let age = p.obligations.minimum_age { items.append("min_age=\(age)") }
        if let d = p.date { items.append("date=\(d)") }
        return items.joined(separator: "&amp;")
    }
}

/// Escapes text for HTML element content and attribute values.
func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}
