import HonninCore

/// Why a text is not an acceptable `otpauth:` URI, or why one cannot be built.
public enum OTPAuthURIError: Error, Sendable, Equatable {
    /// Longer than ``OTPAuthURI/maximumLength`` UTF-8 bytes.
    case tooLong
    /// The scheme is not `otpauth://`.
    case notOTPAuth
    /// The type is neither `totp` nor `hotp`.
    case unknownType
    /// The structure is broken: no label, a fragment, a parameter without `=`.
    case malformed
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8.
    case invalidEncoding
    /// An issuer or account name contains a colon (the Key Uri Format forbids it: the colon
    /// separates them).
    case colonInName
    /// An issuer or account name is empty or contains a control character.
    case invalidName
    case missingSecret
    case invalidSecret(Base32.DecodingError)
    /// The secret has fewer than 128 bits (RFC 4226 §4 R6).
    case secretTooShort
    /// The issuer of the label and the `issuer` parameter differ.
    case issuerMismatch
    case unsupportedAlgorithm
    /// `digits` is not 6, 7 or 8.
    case invalidDigits
    /// `period` is not a whole number of seconds in 1…3600.
    case invalidPeriod
    /// A `hotp` URI without its `counter` parameter.
    case missingCounter
    case invalidCounter
    /// A parameter that carries security meaning appears twice.
    case duplicateParameter(String)

    /// Stable code.
    public var code: String {
        switch self {
        case .tooLong: "otpauth_too_long"
        case .notOTPAuth: "otpauth_wrong_scheme"
        case .unknownType: "otpauth_unknown_type"
        case .malformed: "otpauth_malformed"
        case .invalidEncoding: "otpauth_invalid_encoding"
        case .colonInName: "otpauth_colon_in_name"
        case .invalidName: "otpauth_invalid_name"
        case .missingSecret: "otpauth_missing_secret"
        case .invalidSecret: "otpauth_invalid_secret"
        case .secretTooShort: "otpauth_secret_too_short"
        case .issuerMismatch: "otpauth_issuer_mismatch"
        case .unsupportedAlgorithm: "otpauth_unsupported_algorithm"
        case .invalidDigits: "otpauth_invalid_digits"
        case .invalidPeriod: "otpauth_invalid_period"
        case .missingCounter: "otpauth_missing_counter"
        case .invalidCounter: "otpauth_invalid_counter"
        case .duplicateParameter: "otpauth_duplicate_parameter"
        }
    }
}

/// A provisioning URI for authenticator apps in Google Authenticator's "Key Uri Format"
/// (github.com/google/google-authenticator/wiki/Key-Uri-Format): no RFC defines `otpauth:`,
/// and that page is the de-facto specification every authenticator app follows.
///
/// `otpauth://TYPE/LABEL?PARAMETERS` where TYPE is `totp` or `hotp`, LABEL is
/// `issuer ":" accountname` (or just `accountname`), each percent-encoded (RFC 3986 §2.1, UTF-8,
/// so Japanese names survive), and PARAMETERS are `secret` (RFC 4648 Base32, unpadded),
/// `issuer`, `algorithm` (`SHA1`/`SHA256`/`SHA512`), `digits` and `period` (TOTP) or `counter`
/// (HOTP). The URI carries the secret: it is handed out as `Redacted<String>`.
public struct OTPAuthURI: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case totp(period: Int)
        case hotp(counter: UInt64)
    }

    public let kind: Kind
    /// The provider or service, shown by the app above the account name.
    public let issuer: String?
    public let accountName: String
    public let secret: Redacted<[UInt8]>
    public let algorithm: OTPAlgorithm
    public let digits: Int

    /// Inputs longer than this are refused before parsing.
    public static let maximumLength = 4096

    public init(
        kind: Kind, issuer: String?, accountName: String, secret: Redacted<[UInt8]>, algorithm: OTPAlgorithm = .sha1, digits: Int = 6
    ) throws(OTPAuthURIError) {
        if let issuer { try Self.checkName(issuer) }
        try Self.checkName(accountName)
        guard secret.revealed.count >= HOTP.minimumSecretBytes else { throw .secretTooShort }
        guard (6...8).contains(digits) else { throw .invalidDigits }
        if case .totp(let period) = kind, !(1...3600).contains(period) { throw .invalidPeriod }
        self.kind = kind
        self.issuer = issuer
        self.accountName = accountName
        self.secret = secret
        self.algorithm = algorithm
        self.digits = digits
    }

    /// The URI that provisions `totp` for `accountName` at `issuer`.
    public init(totp: TOTP, issuer: String?, accountName: String) throws(OTPAuthURIError) {
        try self.init(
            kind: .totp(period: totp.period), issuer: issuer, accountName: accountName, secret: totp.secret, algorithm: totp.algorithm,
            digits: totp.digits)
    }

    /// The TOTP generator this URI describes; nil for an HOTP URI.
    public func totp() -> TOTP? {
        guard case .totp(let period) = kind else { return nil }
        return try? TOTP(secret: secret, algorithm: algorithm, digits: digits, period: period)
    }

    /// The HOTP generator and initial counter this URI describes; nil for a TOTP URI.
    public func hotp() -> (HOTP, counter: UInt64)? {
        guard case .hotp(let counter) = kind, let h = try? HOTP(secret: secret, algorithm: algorithm, digits: digits) else { return nil }
        return (h, counter)
    }

    /// The URI text:
    /// 1. `otpauth://totp/` or `otpauth://hotp/`;
    /// 2. the label: the percent-encoded issuer, a literal `:`, the percent-encoded account
    ///    name (a literal colon is what every app splits on);
    /// 3. `?secret=` the unpadded Base32 secret, then `issuer`, `algorithm`, `digits` and
    ///    `period` or `counter`, always written out (some apps ignore defaults they do not know).
    /// Percent-encoding keeps RFC 3986 unreserved characters and `@`, and encodes every other
    /// UTF-8 byte as `%XX` (a space is `%20`, never `+`).
    public var string: Redacted<String> {
        var s = "otpauth://"
        switch kind {
        case .totp: s += "totp/"
        case .hotp: s += "hotp/"
        }
        if let issuer { s += Self.percentEncode(issuer) + ":" }
        s += Self.percentEncode(accountName)
        s += "?secret=" + Base32.encode(secret.revealed)
        if let issuer { s += "&issuer=" + Self.percentEncode(issuer) }
        s += "&algorithm=" + algorithm.rawValue + "&digits=\(digits)"
        switch kind {
        case .totp(let period): s += "&period=\(period)"
        case .hotp(let counter): s += "&counter=\(counter)"
        }
        return Redacted(s)
    }

    /// Parses an `otpauth:` URI:
    /// 1. refuse more than ``maximumLength`` bytes; the scheme must be `otpauth` and the
    ///    authority (the type) `totp` or `hotp`, in any case; a fragment is refused;
    /// 2. the label is percent-decoded (UTF-8) and split at its colon (literal or `%3A`; the
    ///    format forbids colons inside names, so a second one is an error); spaces before the
    ///    account name are dropped; names must be non-empty and free of control characters;
    /// 3. parameters are `name=value` pairs joined by `&`; values are percent-decoded with
    ///    `+` read as a space (the form encoding most generators use); `secret`, `issuer`,
    ///    `algorithm`, `digits`, `period` and `counter` may appear once; unknown names (e.g.
    ///    `image`) are ignored;
    /// 4. `secret` is required Base32 (any case, padding optional) of at least 128 bits;
    /// 5. an `issuer` parameter must equal the label's issuer when both are present;
    /// 6. defaults: `SHA1`, 6 digits, period 30; `counter` is required for `hotp`.
    public static func parse(_ text: String) throws(OTPAuthURIError) -> OTPAuthURI {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximumLength else { throw .tooLong }
        let prefix = Array("otpauth://".utf8)
        guard bytes.count > prefix.count, zip(bytes, prefix).allSatisfy({ lowerASCII($0) == $1 }) else { throw .notOTPAuth }
        var rest = Array(bytes[prefix.count...])
        guard !rest.contains(UInt8(ascii: "#")) else { throw .malformed }
        var query: [UInt8] = []
        if let q = rest.firstIndex(of: UInt8(ascii: "?")) {
            query = Array(rest[(q + 1)...])
            rest = Array(rest[..<q])
        }
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { throw .malformed }
        let type = String(decoding: rest[..<slash].map(lowerASCII), as: UTF8.self)
        let rawLabel = Array(rest[(slash + 1)...])
        guard !rawLabel.isEmpty else { throw .malformed }

        // Step 2: the label.
        let label = try percentDecode(rawLabel, plusIsSpace: false)
        let parts = label.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw .colonInName }
        var labelIssuer: String?
        var account = String(parts[parts.count - 1])
        if parts.count == 2 {
            labelIssuer = String(parts[0])
            account = String(account.drop(while: { $0 == " " }))
        }
        if let labelIssuer { try checkName(labelIssuer) }
        try checkName(account)

        // Step 3: parameters.
        var values: [String: String] = [:]
        let known: Set<String> = ["secret", "issuer", "algorithm", "digits", "period", "counter"]
        if !query.isEmpty {
            for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
                guard let eq = pair.firstIndex(of: UInt8(ascii: "=")) else { throw .malformed }
                let name = try percentDecode(Array(pair[pair.startIndex..<eq]), plusIsSpace: true)
                let value = try percentDecode(Array(pair[(eq + 1)...]), plusIsSpace: true)
                guard known.contains(name) else { continue }
                guard values[name] == nil else { throw .duplicateParameter(name) }
                values[name] = value
            }
        }

        // Step 4: the secret.
        guard let secretText = values["secret"], !secretText.isEmpty else { throw .missingSecret }
        let secret: [UInt8]
        do throws(Base32.DecodingError) {
            secret = try Base32.decode(secretText)
        } catch {
            throw .invalidSecret(error)
        }
        guard secret.count >= HOTP.minimumSecretBytes else { throw .secretTooShort }

        // Step 5: the issuer.
        var issuer = labelIssuer
        if let p = values["issuer"] {
            try checkName(p)
            if let labelIssuer, labelIssuer != p { throw .issuerMismatch }
            issuer = p
        }

        // Step 6: the rest.
        var algorithm = OTPAlgorithm.sha1
        if let a = values["algorithm"] {
            guard let found = OTPAlgorithm.allCases.first(where: { $0.rawValue == a.uppercased() }) else { throw .unsupportedAlgorithm }
            algorithm = found
        }
        var digits = 6
        if let d = values["digits"] {
            guard let n = decimal(d), (6...8).contains(n) else { throw .invalidDigits }
            digits = Int(n)
        }
        let kind: Kind
        switch type {
        case "totp":
            var period = 30
            if let p = values["period"] {
                guard let n = decimal(p), (1...3600).contains(n) else { throw .invalidPeriod }
                period = Int(n)
            }
            kind = .totp(period: period)
        case "hotp":
            guard let c = values["counter"] else { throw .missingCounter }
            guard let n = decimal(c) else { throw .invalidCounter }
            kind = .hotp(counter: n)
        default:
            throw .unknownType
        }
        return try OTPAuthURI(kind: kind, issuer: issuer, accountName: account, secret: Redacted(secret), algorithm: algorithm, digits: digits)
    }

    // MARK: Helpers

    static func checkName(_ name: String) throws(OTPAuthURIError) {
        guard !name.isEmpty else { throw .invalidName }
        guard !name.contains(":") else { throw .colonInName }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { throw .invalidName }
    }

    static func lowerASCII(_ b: UInt8) -> UInt8 { (0x41...0x5A).contains(b) ? b + 0x20 : b }

    /// Unsigned decimal of 1…20 ASCII digits that fits in 64 bits; nil otherwise (no sign,
    /// no spaces).
    static func decimal(_ s: String) -> UInt64? {
        guard (1...20).contains(s.utf8.count), s.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return UInt64(s)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    static func percentEncode(_ s: String) -> String {
        var out = [UInt8]()
        for b in s.utf8 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
                UInt8(ascii: "@"):
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func percentDecode(_ bytes: [UInt8], plusIsSpace: Bool) throws(OTPAuthURIError) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "%") {
                guard i + 2 < bytes.count, let h = Bytes.fromHex(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self)), h.count == 1
                else { throw .invalidEncoding }
                out.append(h[0])
                i += 3
            } else {
                out.append(plusIsSpace && b == UInt8(ascii: "+") ? UInt8(ascii: " ") : b)
                i += 1
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw .invalidEncoding }
        return s
    }
}
