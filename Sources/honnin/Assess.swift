import ArgumentParser
import Foundation
import HonninCore
import HonninPolicy

struct Assess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain the assurance levels and methods a service needs (民間事業者向けデジタル本人確認ガイドライン).")

    @Option(help: "A preset: \(Presets.ids.joined(separator: ", ")).") var preset: String?
    @Option(help: "A service profile file (JSON, the presets' format).") var profile: String?
    @Flag(help: "List the presets.") var listPresets = false
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Language of the explanation: ja or en.") var lang: String = "ja"

    func run() throws {
        guard let language = Language(rawValue: lang) else { throw ValidationError("--lang must be ja or en") }
        if listPresets {
            for id in Presets.ids { say("\(id)\t\(try Presets.profile(id).name.text(language))") }
            return
        }
        let service: ServiceProfile
        switch (preset, profile) {
        case (let id?, nil):
            do { service = try Presets.profile(id) } catch let e as Presets.LoadError { throw ValidationError(e.description) }
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            do { service = try Presets.load(data, name: path) } catch let e as Presets.LoadError { throw ValidationError(e.description) }
        default:
            throw ValidationError("give exactly one of --preset or --profile (or --list-presets)")
        }
        let engine = PolicyEngine(catalogue: try MethodCatalogue.bundled())
        let today = String(Timestamp.format(Date()).prefix(10))
        let result = engine.assess(service, today: today)
        if json {
            func rows(_ list: [Assessment.RankedMethod]) -> [[String: String]] {
                list.map { ["id": $0.id, "reason": $0.reason.text(language)] }
            }
            let object: [String: Any] = [
                "profile": result.profile, "date": result.date,
                "required": [
                    "ial": result.ial.level.rawValue, "aal": result.aal.level.rawValue,
                    "ial_rule": result.ial.rule, "aal_rule": result.aal.rule,
                    "ial_reason": result.ial.reason.text(language), "aal_reason": result.aal.reason.text(language),
                ],
                "methods": rows(result.proofing), "authentication_methods": rows(result.authentication), "excluded": rows(result.excluded),
            ]
            say(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]), as: UTF8.self))
            return
        }
        let ja = language == .ja
        say("\(service.name.text(language))  (\(result.date))")
        say(ja ? "必要な保証レベル" : "Required levels")
        say("  \(ja ? "身元確認" : "Identity proofing") IAL\(result.ial.level.rawValue) — \(result.ial.reason.text(language)) [\(result.ial.rule)]")
        say("  \(ja ? "当人認証" : "Authentication") AAL\(result.aal.level.rawValue) — \(result.aal.reason.text(language)) [\(result.aal.rule)]")
        say(ja ? "身元確認の手法（おすすめ順）" : "Proofing methods, best first")
        for (i, m) in result.proofing.enumerated() { say("  \(i + 1). \(m.id) — \(m.reason.text(language))") }
        say(ja ? "当人認証の手法（おすすめ順）" : "Authentication methods, best first")
        for (i, m) in result.authentication.enumerated() { say("  \(i + 1). \(m.id) — \(m.reason.text(language))") }
        say(ja ? "除外した手法" : "Excluded methods")
        for m in result.excluded { say("  - \(m.id) — \(m.reason.text(language))") }
    }
}
