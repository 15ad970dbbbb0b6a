import HonninCore

/// Why talking to a card failed. Every case has a stable ``code`` for logs, tests and clients,
/// and a ``message`` in Japanese and English for the person holding the card.
///
/// Associated strings are operator detail (which command, what the reader library said); they
/// never contain a PIN or data read from the card.
public enum CardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The link to the card failed: reader gone, card removed, NFC session ended, I/O error.
    case transport(String)
    /// The operation was cancelled before the card answered.
    case cancelled
    /// Bytes that are not a command APDU of ISO/IEC 7816-4 §5.1.
    case malformedCommand
    /// A response that breaks ISO/IEC 7816-4 §5.1: fewer than two bytes, more data than asked
    /// for, an empty chunk in the middle of a file, an endless `61 xx` chain.
    case malformedResponse
    /// A status word the operation did not expect; `command` names the command (never its data).
    case unexpectedStatus(StatusWord, command: String)
    /// `6A 82`: the application or file is not on this card.
    case fileNotFound
    /// `69 82`: the file or key needs a PIN that has not been verified in this session.
    case securityStatusNotSatisfied
    /// A PIN was refused before sending (format) or by the card (wrong, locked).
    case pin(PINError)
    /// A file's content is not what the application expects (a certificate without a DER header,
    /// token info that is not ASCII).
    case malformedData(String)
    /// The caller passed something no card can take (a DigestInfo too long for RSA-2048).
    case invalidArgument(String)

    /// A stable machine-readable code.
    public var code: String {
        switch self {
        case .transport: "card_transport"
        case .cancelled: "card_cancelled"
        case .malformedCommand: "card_malformed_command"
        case .malformedResponse: "card_malformed_response"
        case .unexpectedStatus: "card_unexpected_status"
        case .fileNotFound: "card_file_not_found"
        case .securityStatusNotSatisfied: "card_security_status_not_satisfied"
        case .pin(let e): e.code
        case .malformedData: "card_malformed_data"
        case .invalidArgument: "card_invalid_argument"
        }
    }

    /// What to tell the person holding the card (Japanese first). The id is `card.error.<code>`,
    /// or the PIN message's own id.
    public var message: LocalizedMessage {
        let (ja, en): (String, String)
        switch self {
        case .pin(let e): return e.message
        case .transport:
            (ja, en) = (
                "カードとの通信が途切れました。カードをリーダーに置き直して、もう一度お試しください。",
                "The connection to the card was lost. Place the card on the reader again and retry."
            )
        case .cancelled: (ja, en) = ("カードの読み取りを中止しました。", "Reading the card was cancelled.")
        case .malformedCommand, .invalidArgument:
            (ja, en) = ("カードに送る命令が正しくありません。", "The command for the card is not valid.")
        case .malformedResponse, .unexpectedStatus, .malformedData:
            (ja, en) = (
                "カードから想定外の応答がありました。マイナンバーカードであることを確かめて、もう一度お試しください。",
                "The card answered unexpectedly. Check that it is a My Number Card and retry."
            )
        case .fileNotFound:
            (ja, en) = (
                "カードに必要な情報が見つかりません。電子証明書が搭載されていない可能性があります。",
                "The card does not hold the needed data; it may have no electronic certificate."
            )
        case .securityStatusNotSatisfied:
            (ja, en) = ("先に暗証番号の入力が必要です。", "The PIN must be entered first.")
        }
        return LocalizedMessage(id: "card.error.\(code)", ja: ja, en: en)
    }

    public var description: String {
        switch self {
        case .transport(let detail): "\(code): \(detail)"
        case .unexpectedStatus(let sw, let command): "\(code): \(command) → \(sw)"
        case .malformedData(let detail), .invalidArgument(let detail): "\(code): \(detail)"
        case .pin(let e): "\(code): \(e)"
        default: code
        }
    }
}

/// The two JPKI PINs (research notes §1.3, confirmed by municipal pages, the 暗証番号記載票 and
/// OpenSC's PKCS#15 dump).
public enum JPKIPIN: String, Sendable, Hashable, CaseIterable {
    /// 署名用電子証明書パスワード: 6–16 characters A–Z and 0–9 with at least one letter and one
    /// digit (lower case is accepted and upper-cased before sending); 5 tries.
    case signature
    /// 利用者証明用電子証明書暗証番号: 4 digits; 3 tries.
    case userAuthentication

    /// How many wrong entries lock the PIN.
    public var maximumTries: Int {
        switch self {
        case .signature: 5
        case .userAuthentication: 3
        }
    }

    /// The PIN's name shown to people.
    public var name: LocalizedMessage {
        switch self {
        case .signature:
            LocalizedMessage(id: "card.pin.name.signature", ja: "署名用電子証明書のパスワード", en: "signature certificate password")
        case .userAuthentication:
            LocalizedMessage(
                id: "card.pin.name.user_authentication", ja: "利用者証明用電子証明書の暗証番号",
                en: "user authentication certificate PIN")
        }
    }

    /// The bytes to send in VERIFY, or `nil` when the value breaks the format (so that no try is
    /// wasted on it).
    ///
    /// 1. Full-width ASCII letters and digits (U+FF10–FF19, U+FF21–FF3A, U+FF41–FF5A, as a
    ///    Japanese input method may produce them) become their ASCII forms.
    /// 2. Signature PIN: a–z become A–Z (the card compares upper case; jpki/myna does the same).
    /// 3. Every character must then be A–Z or 0–9 (signature) or 0–9 (user authentication).
    /// 4. Length 6–16 with at least one letter and one digit (signature), exactly 4 (user).
    public func encode(_ value: Redacted<String>) -> [UInt8]? {
        var out: [UInt8] = []
        for scalar in value.revealed.unicodeScalars {
            var v = scalar.value
            if (0xFF10...0xFF19).contains(v) || (0xFF21...0xFF3A).contains(v) || (0xFF41...0xFF5A).contains(v) {
                v -= 0xFEE0
            }
            if self == .signature, (0x61...0x7A).contains(v) { v -= 0x20 }
            let isDigit = (0x30...0x39).contains(v)
            let isUpper = (0x41...0x5A).contains(v)
            guard isDigit || (self == .signature && isUpper) else { return nil }
            out.append(UInt8(v))
            if out.count > 16 { return nil }
        }
        switch self {
        case .signature:
            guard (6...16).contains(out.count),
                out.contains(where: { (0x30...0x39).contains($0) }),
                out.contains(where: { (0x41...0x5A).contains($0) })
            else { return nil }
        case .userAuthentication:
            guard out.count == 4 else { return nil }
        }
        return out
    }
}

/// A PIN refused before it was sent, or by the card.
public enum PINError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The value breaks the PIN's format; nothing was sent to the card.
    case invalidFormat(JPKIPIN)
    /// The card refused the PIN; `triesLeft` (≥ 1) more wrong entries are allowed.
    case wrong(triesLeft: Int)
    /// No tries are left. Only a municipal office (or, for a JPKI PIN when the other one is
    /// known, some convenience-store kiosks) can reset it (research notes §1.3).
    case locked

    public var code: String {
        switch self {
        case .invalidFormat: "pin_invalid_format"
        case .wrong: "pin_wrong"
        case .locked: "pin_locked"
        }
    }

    /// The text for the person entering the PIN; ids `card.pin.invalid_format.<pin>`,
    /// `card.pin.wrong`, `card.pin.locked`.
    public var message: LocalizedMessage {
        switch self {
        case .invalidFormat(.signature):
            LocalizedMessage(
                id: "card.pin.invalid_format.signature",
                ja: "署名用電子証明書のパスワードは、英大文字（A〜Z）と数字（0〜9）をそれぞれ1文字以上含む6〜16文字です。",
                en: "The signature certificate password is 6 to 16 capital letters (A–Z) and digits (0–9), with at least one of each."
            )
        case .invalidFormat(.userAuthentication):
            LocalizedMessage(
                id: "card.pin.invalid_format.user_authentication",
                ja: "利用者証明用電子証明書の暗証番号は数字4桁です。",
                en: "The user authentication certificate PIN is 4 digits."
            )
        case .wrong(let n):
            LocalizedMessage(
                id: "card.pin.wrong",
                ja: "暗証番号が違います。残り\(n)回です。",
                en: "The PIN is wrong. \(n) \(n == 1 ? "try" : "tries") left."
            )
        case .locked:
            LocalizedMessage(
                id: "card.pin.locked",
                ja: "暗証番号がロックされています。市区町村の窓口で解除してください。",
                en: "The PIN is locked. Ask your municipal office to unlock it."
            )
        }
    }

    public var description: String {
        switch self {
        case .invalidFormat(let pin): "\(code)(\(pin.rawValue))"
        case .wrong(let n): "\(code)(tries left: \(n))"
        case .locked: code
        }
    }
}
