/// The languages of user-facing text. Japanese comes first: it is the default whenever a
/// client expresses no preference this project can serve.
public enum Language: String, Sendable, CaseIterable, Codable {
    case ja
    case en

    /// Picks a language from an HTTP `Accept-Language` header (RFC 9110 §12.5.4): the served
    /// language with the highest quality value, ties broken by order; Japanese when none match.
    public static func negotiate(acceptLanguage header: String?) -> Language {
        guard let header, !header.isEmpty else { return .ja }
        var best: (Language, Double, Int)?
        for (index, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            var q = 1.0
            for p in pieces.dropFirst() where p.hasPrefix("q=") {
                q = Double(p.dropFirst(2)) ?? 0
            }
            guard q > 0 else { continue }
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            guard let lang = Language(rawValue: primary) else { continue }
            if best == nil || q > best!.1 || (q == best!.1 && index < best!.2) { best = (lang, q, index) }
        }
        return best?.0 ?? .ja
    }
}

/// A user-facing message with a stable identifier and its text in both languages.
public struct LocalizedMessage: Sendable, Hashable {
    /// Stable identifier; clients and translators key on this, never on the text.
    public let id: String
    public let ja: String
    public let en: String

    public init(id: String, ja: String, en: String) {
        self.id = id
        self.ja = ja
        self.en = en
    }

    public func text(_ language: Language) -> String { language == .ja ? ja : en }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
