import Crypto
import Foundation
import HonninCore

/// The HMAC hash of a one-time-password generator (RFC 6238 §1.2 allows SHA-1, SHA-256 and
/// SHA-512). The raw values are the spellings of the `algorithm` parameter of `otpauth:` URIs.
public enum OTPAlgorithm: String, Sendable, Codable, CaseIterable, Hashable {
    case sha1 = "SHA1"
    case sha256 = "SHA256"
    case sha512 = "SHA512"

    /// The secret length this project generates: the hash output length, as the seeds of
    /// RFC 6238 Appendix A/B (20, 32, 64 bytes). Never below 20 bytes (160 bits, RFC 4226 §4 R6
    /// recommendation).
    public var generatedSecretBytes: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha512: 64
        }
    }

    func mac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        let k = SymmetricKey(data: key)
        switch self {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: k))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: k))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: k))
        }
    }
}

/// A generator that cannot be built with these parameters (configuration or stored data, not
/// user input).
public enum OTPParameterError: Error, Sendable, Equatable {
    /// RFC 4226 §4 R6: the shared secret MUST be at least 128 bits; generated secrets here
    /// have at least 160.
    case secretTooShort(minimumBytes: Int)
    /// RFC 4226 §5.3 and this project: 6, 7 or 8 digits.
    case digitsOutOfRange
    /// The TOTP time step X (RFC 6238 §4.1) must be 1…3600 seconds.
    case periodOutOfRange

    public var code: String {
        switch self {
        case .secretTooShort: "otp_secret_too_short"
        case .digitsOutOfRange: "otp_digits_out_of_range"
        case .periodOutOfRange: "otp_period_out_of_range"
        }
    }
}

/// What a person typed is not a code of the expected form. Not a failed verification: the
/// caller shows ``message`` and asks again (and may or may not count it as an attempt).
public enum OTPInputError: Error, Sendable, Equatable {
    /// A character other than a digit or a space.
    case notDigits
    /// The number of digits differs from the generator's.
    case wrongLength(expected: Int, actual: Int)

    /// Stable code.
    public var code: String {
        switch self {
        case .notDigits: "otp_not_digits"
        case .wrongLength: "otp_wrong_length"
        }
    }

    /// User-facing text, Japanese first.
    public var message: LocalizedMessage {
        switch self {
        case .notDigits:
            LocalizedMessage(id: "otp.not_digits", ja: "確認コードは数字だけで入力してください。", en: "Enter the code using digits only.")
        case .wrongLength(let expected, _):
            LocalizedMessage(
                id: "otp.wrong_length", ja: "確認コードは\(expected)桁の数字です。", en: "The code has \(expected) digits.")
        }
    }
}

/// Normalisation of typed one-time codes.
public enum OTPInput {
    /// The longest input looked at; anything longer is refused before any work.
    static let maximumInputBytes = 64

    /// Turns what a person typed into ASCII digits:
    /// 1. refuse inputs longer than 64 UTF-8 bytes (wrong length);
    /// 2. drop spaces (U+0020, U+3000 ideographic space, tab) that people or apps insert
    ///    between digit groups;
    /// 3. map full-width digits U+FF10…U+FF19, which Japanese input methods produce, to
    ///    ASCII `0`…`9`;
    /// 4. any other character is ``OTPInputError/notDigits``;
    /// 5. the digit count must equal `digits`.
    public static func normalize(_ input: String, digits: Int) throws(OTPInputError) -> String {
        guard input.utf8.count <= maximumInputBytes else { throw .wrongLength(expected: digits, actual: input.utf8.count) }
        var out = [UInt8]()
        out.reserveCapacity(digits)
        for scalar in input.unicodeScalars {
            switch scalar.value {
            case 0x20, 0x3000, 0x09: continue
            case 0x30...0x39: out.append(UInt8(scalar.value))
            case 0xFF10...0xFF19: out.append(UInt8(scalar.value - 0xFF10 + 0x30))
            default: throw .notDigits
            }
        }
        guard out.count == digits else { throw .wrongLength(expected: digits, actual: out.count) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// HOTP, the HMAC-based one-time password of RFC 4226.
public struct HOTP: Sendable {
    /// The shared secret K (RFC 4226 §5.1).
    public let secret: Redacted<[UInt8]>
    public let algorithm: OTPAlgorithm
    /// Digit (RFC 4226 §5.1): 6, 7 or 8.
    public let digits: Int

    /// Secrets shorter than this are refused (RFC 4226 §4 R6: at least 128 bits).
    public static let minimumSecretBytes = 16
    /// Secrets this project generates have at least this many bytes (160 bits).
    public static let generatedMinimumSecretBytes = 20

    public init(secret: Redacted<[UInt8]>, algorithm: OTPAlgorithm = .sha1, digits: Int = 6) throws(OTPParameterError) {
        guard secret.revealed.count >= Self.minimumSecretBytes else { throw .secretTooShort(minimumBytes: Self.minimumSecretBytes) }
        guard (6...8).contains(digits) else { throw .digitsOutOfRange }
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
    }

    /// HOTP(K, C) = Truncate(HMAC(K, C)) (RFC 4226 §5.3):
    /// 1. HS = HMAC(K, C) with C as 8 bytes, most significant first;
    /// 2. dynamic truncation: offset = low 4 bits of the last byte of HS; P = the 31 low bits
    ///    of the 4 bytes HS[offset…offset+3] read big-endian;
    /// 3. D = P mod 10^Digit, written with leading zeros to Digit characters.
    public func code(counter: UInt64) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { message[i] = UInt8(truncatingIfNeeded: counter >> UInt64(56 - 8 * i)) }
        let hs = algorithm.mac(key: secret.revealed, message: message)
        let offset = Int(hs[hs.count - 1] & 0x0F)  // ≤ 15, and every HMAC here has ≥ 20 bytes
        let p = (UInt32(hs[offset]) & 0x7F) << 24 | UInt32(hs[offset + 1]) << 16 | UInt32(hs[offset + 2]) << 8 | UInt32(hs[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(p % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// Checks a typed code against counters `counter…counter+lookAhead` (RFC 4226 §7.2, the
    /// look-ahead window for resynchronisation) and returns the counter that matched, or nil.
    /// Every counter of the window is computed and compared in constant time, whether or not
    /// an earlier one matched. The caller stores `matched + 1` as the next counter: a code is
    /// accepted once (RFC 4226 §7.2; NIST SP 800-63B-4 OTP verifiers).
    /// - Throws: ``OTPInputError`` when the input is not `digits` digits.
    public func verify(_ input: String, counter: UInt64, lookAhead: Int = 0) throws(OTPInputError) -> UInt64? {
        let typed = Array(try OTPInput.normalize(input, digits: digits).utf8)
        var matched: UInt64?
        for delta in 0...max(0, min(lookAhead, 100)) {
            let (c, overflow) = counter.addingReportingOverflow(UInt64(delta))
            if overflow { break }
            let same = Bytes.constantTimeEqual(Array(code(counter: c).utf8), typed)
            if same, matched == nil { matched = c }
        }
        return matched
    }
}

/// The result of checking a TOTP code.
public enum TOTPVerdict: Sendable, Equatable {
    /// The code belongs to this time step, later than the last one used: store `step` as the
    /// authenticator's last used step.
    case accepted(step: UInt64)
    /// The code is right but its step is not later than the last one used: a replay
    /// (NIST SP 800-63B-4: "accept a given OTP only once while it is valid"). Refuse it.
    case replayed(step: UInt64)
    /// No step of the window has this code.
    case rejected
}

/// TOTP, the time-based one-time password of RFC 6238, with T0 = 0.
public struct TOTP: Sendable {
    public let hotp: HOTP
    /// The time step X in seconds (RFC 6238 §4.1).
    public let period: Int

    public var secret: Redacted<[UInt8]> { hotp.secret }
    public var algorithm: OTPAlgorithm { hotp.algorithm }
    public var digits: Int { hotp.digits }

    public init(secret: Redacted<[UInt8]>, algorithm: OTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30) throws(OTPParameterError) {
        guard (1...3600).contains(period) else { throw .periodOutOfRange }
        self.hotp = try HOTP(secret: secret, algorithm: algorithm, digits: digits)
        self.period = period
    }

    /// A new generator with a fresh secret of ``OTPAlgorithm/generatedSecretBytes`` bytes
    /// (≥ 160 bits) from `random`.
    public static func generate(
        algorithm: OTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30, random: any RandomSource
    ) throws(OTPParameterError) -> TOTP {
        let bytes = random.bytes(max(algorithm.generatedSecretBytes, HOTP.generatedMinimumSecretBytes))
        return try TOTP(secret: Redacted(bytes), algorithm: algorithm, digits: digits, period: period)
    }

    /// T = floor((Unix time − T0) / X) with T0 = 0 (RFC 6238 §4.2); nil before 1970 or for a
    /// time that is not finite.
    public func step(at date: Date) -> UInt64? {
        let t = date.timeIntervalSince1970
        guard t.isFinite, t >= 0, t < 9.0e18 else { return nil }
        return UInt64(t.rounded(.down)) / UInt64(period)
    }

    /// TOTP = HOTP(K, T) (RFC 6238 §4.2).
    public func code(step: UInt64) -> String { hotp.code(counter: step) }

    /// The code at `date`; nil before 1970.
    public func code(at date: Date) -> String? { step(at: date).map(code(step:)) }

    /// Verifies a typed code at `date`, allowing `window` steps either side for clock drift
    /// and slow typing (RFC 6238 §5.2 recommends at most one step back; ±1 is the default
    /// here; at most 10 is honoured):
    /// 1. normalise the input (``OTPInput/normalize(_:digits:)``), or throw;
    /// 2. compute the codes of every step in current−window…current+window and compare each
    ///    with the input in constant time, without stopping at a match;
    /// 3. a match at a step later than `lastUsedStep` is ``TOTPVerdict/accepted(step:)`` (the
    ///    latest such step); a match only at steps ≤ `lastUsedStep` is
    ///    ``TOTPVerdict/replayed(step:)``; otherwise ``TOTPVerdict/rejected``.
    /// The caller stores the accepted step per authenticator and passes it back next time.
    public func verify(_ input: String, at date: Date, lastUsedStep: UInt64?, window: Int = 1) throws(OTPInputError) -> TOTPVerdict {
        let typed = Array(try OTPInput.normalize(input, digits: digits).utf8)
        guard let current = step(at: date) else { return .rejected }
        let w = UInt64(max(0, min(window, 10)))
        let first = current >= w ? current - w : 0
        let (last, overflow) = current.addingReportingOverflow(w)
        var accepted: UInt64?
        var replayed: UInt64?
        for s in first...(overflow ? UInt64.max : last) {
            let same = Bytes.constantTimeEqual(Array(code(step: s).utf8), typed)
            guard same else { continue }
            if let used = lastUsedStep, s <= used {
                replayed = s
            } else {
                accepted = s
            }
        }
        if let accepted { return .accepted(step: accepted) }
        if let replayed { return .replayed(step: replayed) }
        return .rejected
    }
}
