import Foundation
import HonninCore

/// Password rules of NIST SP 800-63B-4 §3.1.1.2 ("Password Verifiers"):
/// - at least 15 characters for a password used alone, at least 8 for one used only within
///   multi-factor authentication; up to 256 accepted (the guideline asks for at least 64);
/// - each Unicode code point counts as one character, after NFC normalisation;
/// - no composition rules (no "one digit, one symbol"), no truncation (the whole NFC UTF-8 is
///   hashed by ``PasswordHasher``);
/// - new and changed passwords are compared with a blocklist of commonly used, expected or
///   compromised values: the bundled list (``PasswordBlocklist/bundled``), context words the
///   caller knows (user name, service name), repetitive and sequential strings.
public enum PasswordPolicy {
    /// A password used as a single factor (§3.1.1.2: SHALL be at least 15).
    public static let minimumAlone = 15
    /// A password used only within multi-factor authentication (§3.1.1.2: at least 8).
    public static let minimumWithinMultiFactor = 8
    public static let maximum = 256

    /// Why a password is refused. ``code`` is stable; ``message`` is the text for the person.
    public enum Failure: Error, Sendable, Equatable {
        case tooShort(minimum: Int)
        case tooLong(maximum: Int)
        /// The password (case-insensitively, after NFC) is on the blocklist.
        case blocklisted
        /// The password is a context word (user name, service name…), or little more than
        /// context words plus a run of repeated or sequential characters.
        case contextWord
        /// The password repeats a shorter string (`aaaa…`, `abcabc…`, `passwordpassword`),
        /// uses fewer than three distinct characters, or is one run of consecutive code points
        /// (`12345678…`, `abcdef…`, `987654…`).
        case repetitive

        public var code: String {
            switch self {
            case .tooShort: "too_short"
            case .tooLong: "too_long"
            case .blocklisted: "blocklisted"
            case .contextWord: "context_word"
            case .repetitive: "repetitive"
            }
        }

        /// User-facing text, Japanese first, with a stable id `password.<code>`.
        public var message: LocalizedMessage {
            switch self {
            case .tooShort(let n):
                LocalizedMessage(id: "password.too_short", ja: "パスワードは\(n)文字以上にしてください。", en: "Use at least \(n) characters.")
            case .tooLong(let n):
                LocalizedMessage(id: "password.too_long", ja: "パスワードは\(n)文字以内にしてください。", en: "Use at most \(n) characters.")
            case .blocklisted:
                LocalizedMessage(
                    id: "password.blocklisted", ja: "このパスワードはよく使われているか、過去に流出したものです。別のパスワードにしてください。",
                    en: "This password is commonly used or has appeared in a data breach. Choose another one.")
            case .contextWord:
                LocalizedMessage(
                    id: "password.context_word", ja: "ユーザー名やサービス名をもとにしたパスワードは使えません。",
                    en: "Do not base the password on your user name or the name of this service.")
            case .repetitive:
                LocalizedMessage(
                    id: "password.repetitive", ja: "同じ文字の繰り返しや、連続した文字（aaaa、1234 など）だけのパスワードは使えません。",
                    en: "A password cannot be only repeated or sequential characters (such as aaaa or 1234).")
            }
        }
    }

    /// The length the rules count: Unicode code points after NFC (§3.1.1.2).
    public static func length(_ password: String) -> Int {
        password.precomposedStringWithCanonicalMapping.unicodeScalars.count
    }

    /// Checks a new or changed password:
    /// 1. refuse more than 4 × ``maximum`` UTF-8 bytes before any work (too long);
    /// 2. normalise to NFC and count code points: below `minimum` is too short, above
    ///    ``maximum`` too long;
    /// 3. lower-case the NFC form; if it is on `blocklist`, or is a blocklisted string
    ///    repeated (`passwordpassword`), refuse;
    /// 4. for the context words (NFC, lower-cased, empty ones ignored): refuse if the password
    ///    equals one, or if what remains after removing every occurrence of those of 3 or more
    ///    characters is under 3 characters or repetitive/sequential (`alice12345678`,
    ///    `honninhonnin!!!!`);
    /// 5. refuse repetitive or sequential strings (``Failure/repetitive``).
    public static func check(
        _ password: Redacted<String>, minimum: Int = minimumAlone, context: [String] = [],
        blocklist: PasswordBlocklist = .bundled
    ) throws(Failure) {
        let raw = password.revealed
        guard raw.utf8.count <= 4 * maximum else { throw .tooLong(maximum: maximum) }
        let nfc = raw.precomposedStringWithCanonicalMapping
        let n = nfc.unicodeScalars.count
        if n < minimum { throw .tooShort(minimum: minimum) }
        if n > maximum { throw .tooLong(maximum: maximum) }
        let folded = PasswordBlocklist.fold(nfc)
        let scalars = Array(folded.unicodeScalars)
        if blocklist.contains(normalized: folded) { throw .blocklisted }
        if let unit = repeatedUnit(scalars), blocklist.contains(normalized: String(String.UnicodeScalarView(unit))) {
            throw .blocklisted
        }
        let words = context.map(PasswordBlocklist.fold).filter { !$0.isEmpty }
        if words.contains(folded) { throw .contextWord }
        var remainder = folded
        for word in words.sorted(by: { $0.unicodeScalars.count > $1.unicodeScalars.count }) where word.unicodeScalars.count >= 3 {
            remainder = remainder.replacingOccurrences(of: word, with: "")
        }
        if remainder != folded {
            let rest = Array(remainder.unicodeScalars)
            if rest.count < 3 || isRepetitive(rest, minimum: Int.max) { throw .contextWord }
        }
        if isRepetitive(scalars, minimum: minimum) { throw .repetitive }
    }

    /// The shortest unit that, repeated two or more times, makes up `s`; nil if none.
    static func repeatedUnit(_ s: [Unicode.Scalar]) -> ArraySlice<Unicode.Scalar>? {
        guard s.count >= 2 else { return nil }
        for p in 1...(s.count / 2) where s.count % p == 0 {
            if (p..<s.count).allSatisfy({ s[$0] == s[$0 - p] }) { return s[0..<p] }
        }
        return nil
    }

    /// True when the scalars are a repetition of a unit shorter than `minimum`, have fewer
    /// than three distinct values, or form one run with a constant step of +1 or −1
    /// (digits may wrap 9→0 / 0→9).
    static func isRepetitive(_ s: [Unicode.Scalar], minimum: Int) -> Bool {
        guard s.count >= 2 else { return false }
        if Set(s).count < 3 { return true }
        // A repeated unit shorter than the minimum length.
        if let unit = repeatedUnit(s), unit.count < minimum { return true }
        func step(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Int {
            if a == "9", b == "0" { return 1 }
            if a == "0", b == "9" { return -1 }
            return Int(b.value) - Int(a.value)
        }
        let first = step(s[0], s[1])
        guard first == 1 || first == -1 else { return false }
        return (2..<s.count).allSatisfy { step(s[$0 - 1], s[$0]) == first }
    }
}

/// A set of refused passwords, compared after NFC and lower-casing.
///
/// The bundled list (`Resources/password-blocklist.txt`, provenance and licence in
/// `Resources/BLOCKLIST-SOURCE.md`) joins two public lists derived from breach corpora:
/// the `passwords` frequency list of zxcvbn (PyPI `zxcvbn` 4.5.0, MIT) and Django's
/// `common-passwords.txt.gz` (Django 5.2.19, BSD-3-Clause), keeping entries of at least
/// 8 code points (shorter ones fail the length rule anyway). It is read once, on first use.
public struct PasswordBlocklist: Sendable {
    let entries: Set<String>
    /// False when the bundled file could not be read; such a list refuses every password
    /// (fail closed) rather than silently accepting blocklisted ones.
    public let isLoaded: Bool

    /// A list from lines (one password each; folded here).
    public init(lines: some Sequence<String>) {
        var set = Set<String>()
        for line in lines {
            let f = Self.fold(line)
            if !f.isEmpty { set.insert(f) }
        }
        entries = set
        isLoaded = true
    }

    private init(failedToLoad: Void) {
        entries = []
        isLoaded = false
    }

    /// The number of entries.
    public var count: Int { entries.count }

    /// Whether `password` is on the list (NFC, lower-cased first).
    public func contains(_ password: String) -> Bool {
        contains(normalized: Self.fold(password))
    }

    func contains(normalized: String) -> Bool {
        guard isLoaded else { return true }
        return entries.contains(normalized)
    }

    /// NFC, then Unicode lower-case mapping.
    static func fold(_ s: String) -> String { s.precomposedStringWithCanonicalMapping.lowercased() }

    /// The bundled list, loaded lazily and once (a `static let` is initialised on first use,
    /// thread-safely).
    public static let bundled: PasswordBlocklist = loadBundled()

    /// Reads `Resources/password-blocklist.txt` (already NFC and lower-case, one entry a line).
    static func loadBundled() -> PasswordBlocklist {
        guard let url = Bundle.module.url(forResource: "password-blocklist", withExtension: "txt"),
            let data = try? Data(contentsOf: url)
        else { return PasswordBlocklist(failedToLoad: ()) }
        var set = Set<String>()
        set.reserveCapacity(20_000)
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            set.insert(String(decoding: line, as: UTF8.self))
        }
        return PasswordBlocklist(entries: set)
    }

    private init(entries: Set<String>) {
        self.entries = entries
        isLoaded = true
    }
}
