import Foundation

/// The attributes a business can ask a verification for. Names follow OpenID Connect Core
/// §5.1 where one exists (`name`, `address`, `birthdate`, `gender`); `name_kana` is the reading
/// used on Japanese documents; the age flags are derived from the birth date, never declared.
public enum PersonAttribute: String, CaseIterable, Codable, Sendable, Comparable {
    case name
    case nameKana = "name_kana"
    case address
    case birthdate
    case gender
    case ageOver18 = "age_over_18"
    case ageOver20 = "age_over_20"

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    /// The attribute a person supplies (or a document shows) to answer this one.
    public var source: PersonAttribute {
        switch self {
        case .ageOver18, .ageOver20: .birthdate
        default: self
        }
    }

    /// The age an `age_over_N` flag tests, if this is one.
    public var minimumAge: Int? {
        switch self {
        case .ageOver18: 18
        case .ageOver20: 20
        default: nil
        }
    }

    public var label: LocalizedMessage {
        switch self {
        case .name: LocalizedMessage(id: "attribute.name", ja: "氏名", en: "Name")
        case .nameKana: LocalizedMessage(id: "attribute.name_kana", ja: "氏名（フリガナ）", en: "Name (kana reading)")
        case .address: LocalizedMessage(id: "attribute.address", ja: "住所", en: "Address")
        case .birthdate: LocalizedMessage(id: "attribute.birthdate", ja: "生年月日", en: "Date of birth")
        case .gender: LocalizedMessage(id: "attribute.gender", ja: "性別", en: "Gender")
        case .ageOver18: LocalizedMessage(id: "attribute.age_over_18", ja: "18歳以上", en: "Aged 18 or over")
        case .ageOver20: LocalizedMessage(id: "attribute.age_over_20", ja: "20歳以上", en: "Aged 20 or over")
        }
    }
}

/// A calendar date without time or zone (`YYYY-MM-DD`, ISO 8601 calendar date, proleptic
/// Gregorian), as birth dates are printed on Japanese documents once converted from the era.
public struct CalendarDate: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A valid date between years 1 and 9999, or nil.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.days(inMonth: month, year: year)).contains(day) else {
            return nil
        }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` (ASCII digits) and checks the date exists.
    public init?(parsing text: some StringProtocol) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-") else { return nil }
        func number(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard (48...57).contains(b[i]) else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The date in Japan (UTC+9, no daylight saving) at `instant`: ages are decided on the
    /// Japanese calendar day, whatever the server's zone.
    public init(inJapanAt instant: Date) {
        let c = Self.japan.dateComponents([.year, .month, .day], from: instant)
        self.year = c.year!
        self.month = c.month!
        self.day = c.day!
    }

    /// The Gregorian calendar in Japan Standard Time (UTC+9; Japan has no daylight saving).
    public static let japan: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 9 * 3600)!
        return calendar
    }()

    /// The instant this day begins in Japan.
    public var startInJapan: Date { Self.japan.date(from: DateComponents(year: year, month: month, day: day))! }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }

    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Age in whole years on `date`, by 年齢計算ニ関スル法律 and 民法 第143条: a person
    /// gains a year at the end of the day before the birthday; someone born on 29 February gains
    /// it at the end of 28 February in common years. Counted on whole days, this means the new
    /// age holds from the birthday (from 1 March for a 29 February birthday in a common year) —
    /// the conservative reading for age checks, never a day early.
    public func age(on date: CalendarDate) -> Int {
        var years = date.year - year
        let anniversary: (Int, Int) = (month == 2 && day == 29 && !Self.isLeap(date.year)) ? (3, 1) : (month, day)
        if (date.month, date.day) < anniversary { years -= 1 }
        return years
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let d = CalendarDate(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Gender as OpenID Connect Core §5.1 spells it; documents and JPKI certificates carry
/// male, female or (rarely) neither.
public enum Gender: String, Codable, Sendable, CaseIterable {
    case female, male, other
}

/// Personal attributes of one person. Values are personal data: keep them inside ``Redacted``
/// when they travel, and store them only through the vault.
public struct PersonAttributes: Sendable, Equatable, Codable {
    public var name: String?
    public var nameKana: String?
    public var address: String?
    public var birthdate: CalendarDate?
    public var gender: Gender?

    public init(name: String? = nil, nameKana: String? = nil, address: String? = nil, birthdate: CalendarDate? = nil, gender: Gender? = nil) {
        self.name = name
        self.nameKana = nameKana
        self.address = address
        self.birthdate = birthdate
        self.gender = gender
    }

    enum CodingKeys: String, CodingKey {
        case name, nameKana = "name_kana", address, birthdate, gender
    }

    /// Whether a value for `attribute` (or the attribute it derives from) is present.
    public func has(_ attribute: PersonAttribute) -> Bool {
        switch attribute.source {
        case .name: name != nil
        case .nameKana: nameKana != nil
        case .address: address != nil
        case .birthdate: birthdate != nil
        case .gender: gender != nil
        case .ageOver18, .ageOver20: false
        }
    }

    /// A disclosed value: text, or a boolean for the age flags.
    public enum Value: Sendable, Equatable, Encodable {
        case text(String)
        case flag(Bool)
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .text(let s): try c.encode(s)
            case .flag(let b): try c.encode(b)
            }
        }
    }

    /// Only the `requested` attributes, the age flags computed on `today` (the birth date
    /// itself is withheld unless requested). Absent attributes are left out.
    public func disclosed(_ requested: some Sequence<PersonAttribute>, today: CalendarDate) -> [String: Value] {
        var out: [String: Value] = [:]
        for attribute in requested {
            switch attribute {
            case .name: if let v = name { out[attribute.rawValue] = .text(v) }
            case .nameKana: if let v = nameKana { out[attribute.rawValue] = .text(v) }
            case .address: if let v = address { out[attribute.rawValue] = .text(v) }
            case .birthdate: if let v = birthdate { out[attribute.rawValue] = .text(v.description) }
            case .gender: if let v = gender { out[attribute.rawValue] = .text(v.rawValue) }
            case .ageOver18, .ageOver20:
                if let b = birthdate, let min = attribute.minimumAge { out[attribute.rawValue] = .flag(b.age(on: today) >= min) }
            }
        }
        return out
    }
}

/// Why an attribute value was refused: a stable code and bilingual text naming the attribute.
public struct AttributeError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case missing, empty, tooLong = "too_long", invalidCharacters = "invalid_characters", invalidDate = "invalid_date"
        case futureDate = "future_date", implausibleDate = "implausible_date", notKana = "not_kana", unknownValue = "unknown_value"
    }
    public let attribute: PersonAttribute
    public let code: Code
    public let message: LocalizedMessage
}

/// Checks and normalises attribute values typed by a person. Deliberately not over-strict:
/// names may contain any letters (JIS X 0213 kanji, Latin names of foreign residents, ・ and
/// spaces); addresses are free text (building names, 丁目 numbers in any digit form). What is
/// refused is what cannot be a value at all: control characters, empty values, absurd lengths,
/// non-kana readings, impossible or future dates.
public enum AttributeValidator {
    public static let maxNameLength = 100
    public static let maxAddressLength = 200
    /// Birth dates before this are refused as implausible.
    public static let earliestBirthdate = CalendarDate(year: 1900, month: 1, day: 1)!

    /// NFC, surrounding whitespace trimmed, runs of spaces (ASCII or ideographic) made one.
    public static func normalizeText(_ s: String) -> String {
        let nfc = s.precomposedStringWithCanonicalMapping
        var out = ""
        var lastSpace = false
        for ch in nfc.trimmingCharacters(in: .whitespacesAndNewlines) {
            if ch == " " || ch == "\u{3000}" || ch == "\t" {
                if !lastSpace { out.append(" ") }
                lastSpace = true
            } else {
                out.append(ch)
                lastSpace = false
            }
        }
        return out
    }

    static func hasForbiddenScalars(_ s: String) -> Bool {
        s.unicodeScalars.contains { u in
            switch u.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: true
            case .format: u.value != 0x200D  // ZWJ may appear in names; other format characters hide text
            default: false
            }
        }
    }

    static func fail(_ a: PersonAttribute, _ code: AttributeError.Code, ja: String, en: String) -> AttributeError {
        AttributeError(attribute: a, code: code, message: LocalizedMessage(id: "attribute.\(code.rawValue)", ja: ja, en: en))
    }

    static func text(_ raw: String, _ a: PersonAttribute, max: Int) throws(AttributeError) -> String {
        let label = a.label
        let v = normalizeText(raw)
        if v.isEmpty { throw fail(a, .empty, ja: "\(label.ja)が空です。", en: "\(label.en) is empty.") }
        if v.count > max {
            throw fail(a, .tooLong, ja: "\(label.ja)は\(max)文字以内にしてください。", en: "\(label.en) must be at most \(max) characters.")
        }
        if hasForbiddenScalars(v) {
            throw fail(a, .invalidCharacters, ja: "\(label.ja)に使えない文字が含まれています。", en: "\(label.en) contains characters that cannot be used.")
        }
        return v
    }

    public static func name(_ raw: String) throws(AttributeError) -> String { try text(raw, .name, max: maxNameLength) }

    public static func address(_ raw: String) throws(AttributeError) -> String {
        let v = try text(raw, .address, max: maxAddressLength)
        // An address has at least one letter (kana, kanji or Latin): digits alone are not one.
        guard v.unicodeScalars.contains(where: { $0.properties.isAlphabetic }) else {
            throw fail(.address, .invalidCharacters, ja: "住所の形式が正しくありません。", en: "The address is not in a usable form.")
        }
        return v
    }

    /// Katakana reading. Hiragana is accepted and converted to katakana, half-width katakana
    /// (JIS X 0201) to full width (NFKC); allowed: katakana, ー, ・, ヽヾ, spaces.
    public static func kana(_ raw: String) throws(AttributeError) -> String {
        // NFKC only matters for half-width katakana; apply it to the whole value, then check.
        let widened = raw.precomposedStringWithCompatibilityMapping
        var converted = String.UnicodeScalarView()
        for u in widened.unicodeScalars {
            if (0x3041...0x3096).contains(u.value) || (0x309D...0x309E).contains(u.value), let k = Unicode.Scalar(u.value + 0x60) {
                converted.append(k)
            } else {
                converted.append(u)
            }
        }
        let v = try text(String(converted), .nameKana, max: maxNameLength)
        let ok = v.unicodeScalars.allSatisfy { u in
            (0x30A1...0x30FA).contains(u.value) || u.value == 0x30FC || u.value == 0x30FB || u.value == 0x30FD || u.value == 0x30FE
                || u.value == 0x20
        }
        guard ok else {
            throw fail(.nameKana, .notKana, ja: "フリガナはカタカナで入力してください。", en: "The kana reading must be written in katakana.")
        }
        return v
    }

    public static func birthdate(_ raw: String, today: CalendarDate) throws(AttributeError) -> CalendarDate {
        guard let d = CalendarDate(parsing: raw.trimmingCharacters(in: .whitespaces)) else {
            throw fail(.birthdate, .invalidDate, ja: "生年月日は YYYY-MM-DD 形式の実在する日付で入力してください。", en: "The date of birth must be an existing date written YYYY-MM-DD.")
        }
        if d > today { throw fail(.birthdate, .futureDate, ja: "生年月日が未来の日付です。", en: "The date of birth is in the future.") }
        if d < earliestBirthdate {
            throw fail(.birthdate, .implausibleDate, ja: "生年月日が古すぎます。", en: "The date of birth is implausibly early.")
        }
        return d
    }

    public static func gender(_ raw: String) throws(AttributeError) -> Gender {
        guard let g = Gender(rawValue: raw.trimmingCharacters(in: .whitespaces).lowercased()) else {
            throw fail(.gender, .unknownValue, ja: "性別は female, male, other のいずれかです。", en: "Gender is one of female, male, other.")
        }
        return g
    }

    /// Validates the raw values given for `required` (which must all be present; values not
    /// required are ignored and dropped, so nothing unasked is stored).
    public static func attributes(_ raw: [String: String], required: Set<PersonAttribute>, today: CalendarDate) throws(AttributeError)
        -> PersonAttributes
    {
        var out = PersonAttributes()
        for attribute in Set(required.map(\.source)).sorted() {
            guard let value = raw[attribute.rawValue] else {
                throw fail(attribute, .missing, ja: "\(attribute.label.ja)を入力してください。", en: "\(attribute.label.en) is required.")
            }
            switch attribute {
            case .name: out.name = try name(value)
            case .nameKana: out.nameKana = try kana(value)
            case .address: out.address = try address(value)
            case .birthdate: out.birthdate = try birthdate(value, today: today)
            case .gender: out.gender = try gender(value)
            case .ageOver18, .ageOver20: break
            }
        }
        return out
    }
}
