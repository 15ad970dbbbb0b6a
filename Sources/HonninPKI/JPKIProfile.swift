import Foundation
import HonninCore
import SwiftASN1
import X509

/// Which JPKI certificate: 署名用電子証明書 (signature; carries the 基本4情報) or
/// 利用者証明用電子証明書 (user authentication; no personal attributes).
public enum JPKICertificateKind: String, Sendable, Codable {
    case signature
    case userAuthentication = "user_authentication"

    /// The root's organisational unit naming the hierarchy (ic-chip-protocols.md §1.5).
    var rootUnit: String {
        switch self {
        case .signature: "JPKI for digital signature"
        case .userAuthentication: "JPKI for user authentication"
        }
    }
}

/// Why a JPKI certificate or signature was refused. The codes are the API's (issue text and
/// docs/jpki.md); `detail` is for operators and never holds personal data.
public struct JPKIFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Codable, CaseIterable {
        case revoked, expired
        case notYetValid = "not_yet_valid"
        case untrusted
        case badSignature = "bad_signature"
        case challengeExpired = "challenge_expired"
        case challengeReused = "challenge_reused"
        case malformed
        case statusUnavailable = "status_unavailable"
    }
    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code.rawValue): \(detail)" }
}

/// A birth date as the signature certificate carries it: one era digit, then a Gregorian
/// `YYYYMMDD` where unknown parts are zeros (ic-chip-protocols.md §1.6, from J-LIS profile
/// specification 3.2 as quoted publicly — **unconfirmed** against the specification itself).
/// Unknown parts are represented as nil, never guessed.
public struct JPKIBirthDate: Sendable, Equatable, Codable {
    /// Era code: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和 (others are kept as given).
    public let era: Int
    public let year: Int?
    public let month: Int?
    public let day: Int?

    /// The full date, when every part is known and the day exists.
    public var date: CalendarDate? {
        guard let year, let month, let day else { return nil }
        return CalendarDate(year: year, month: month, day: day)
    }

    public static let eraNames: [Int: (ja: String, en: String)] = [
        1: ("明治", "Meiji"), 2: ("大正", "Taisho"), 3: ("昭和", "Showa"), 4: ("平成", "Heisei"), 5: ("令和", "Reiwa"),
    ]

    /// Parses the 9-digit form; nil for anything else.
    public init?(_ text: String) {
        let digits = Array(text.utf8)
        guard digits.count == 9, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        func number(_ r: Range<Int>) -> Int { digits[r].reduce(0) { $0 * 10 + Int($1 - 48) } }
        era = number(0..<1)
        let y = number(1..<5)
        let m = number(5..<7)
        let d = number(7..<9)
        year = y == 0 ? nil : y
        month = m == 0 ? nil : m
        day = d == 0 ? nil : d
        // A known part must be in range, and a day cannot be known without its month.
        if let m = month, !(1...12).contains(m) { return nil }
        if let d = day, month == nil || !(1...31).contains(d) { return nil }
        if year != nil, month != nil, day != nil, date == nil { return nil }
    }
}

/// The 基本4情報 and their substitutes, as the signature certificate's subjectAltName carries them.
public struct JPKIAttributes: Sendable, Equatable, Codable {
    /// 氏名 as registered (may contain characters outside JIS X 0208).
    public let name: String
    /// 氏名の代替文字: the name in substitute characters, when the name has characters outside the supported set.
    public let nameSubstitute: String?
    /// 性別 code: "1" 男, "2" 女 (other codes kept as given; **unconfirmed** beyond 1 and 2).
    public let genderCode: String
    public let birthDate: JPKIBirthDate
    /// 住所 as registered.
    public let address: String
    /// 住所の代替文字.
    public let addressSubstitute: String?

    public var gender: Gender? {
        switch genderCode {
        case "1": .male
        case "2": .female
        default: nil
        }
    }

    /// The attributes as OpenID Connect claim values (`birthdate` only when fully known).
    public var person: PersonAttributes {
        PersonAttributes(name: name, address: address, birthdate: birthDate.date, gender: gender)
    }
}

/// Object identifiers of the JPKI profile (ic-chip-protocols.md §1.6; three independent
/// public sources agree on the numbering).
public enum JPKIOID {
    static let base: [UInt] = [1, 2, 392, 200149, 8, 5, 5]
    public static let name = ASN1ObjectIdentifier(oid(1))
    public static let nameSubstitute = ASN1ObjectIdentifier(oid(2))
    public static let gender = ASN1ObjectIdentifier(oid(3))
    public static let birthDate = ASN1ObjectIdentifier(oid(4))
    public static let address = ASN1ObjectIdentifier(oid(5))
    public static let addressSubstitute = ASN1ObjectIdentifier(oid(6))
    static func oid(_ last: UInt) -> [UInt] { base + [last] }
}

extension ASN1ObjectIdentifier {
    init(_ components: [UInt]) {
        // Components of a constant OID: the initializer cannot fail for them.
        self = try! ASN1ObjectIdentifier(elements: components)
    }
}

public enum JPKIProfile {
    /// The six JPKI entries, by the DER content of their OID (compared before any decoding).
    static let entries: [(oid: ASN1ObjectIdentifier, content: [UInt8])] =
        [JPKIOID.name, JPKIOID.nameSubstitute, JPKIOID.gender, JPKIOID.birthDate, JPKIOID.address, JPKIOID.addressSubstitute].map { oid in
            var serializer = DER.Serializer()
            // A constant OID always serializes.
            try! serializer.serialize(oid)
            return (oid, Array(serializer.serializedBytes.dropFirst(2)))
        }

    /// Reads the personal attributes from the signature certificate's subjectAltName `otherName`
    /// entries (value `[0] EXPLICIT UTF8String`; OCTET STRING of UTF-8 accepted too).
    ///
    /// 1. The extension must exist and be a SEQUENCE of GeneralName (RFC 5280 §4.2.1.6: each a
    ///    context-specific tag 0–8). 2. Every JPKI entry (`otherName` [0] with a JPKI type-id)
    ///    appears at most once. 3. Name, gender, birth date and address are required; the
    ///    substitutes are optional. 4. Each value decodes as text without control characters; the
    ///    birth date is the 9-digit form. Other names are skipped.
    public static func attributes(of certificate: Certificate) throws(JPKIFailure) -> JPKIAttributes {
        guard let ext = certificate.extensions[oid: .X509ExtensionID.subjectAlternativeName] else {
            throw JPKIFailure(.malformed, "no subjectAltName: not a signature certificate with personal attributes")
        }
        let value = Array(ext.value)
        return try attributes(subjectAltName: value, value.indices)
    }

    /// The same from the extension's value in `der[range]`, read in place (this runs for every
    /// certificate seen for the first time).
    static func attributes(subjectAltName der: [UInt8], _ range: Range<Int>) throws(JPKIFailure) -> JPKIAttributes {
        let undecodable = JPKIFailure(.malformed, "subjectAltName does not decode")
        var values: [String?] = Array(repeating: nil, count: entries.count)
        do {
            var top = DERReader(der, range)
            let list = try top.next(DERTag.sequence, "subjectAltName")
            guard top.isAtEnd else { throw undecodable }
            var names = top.children(list)
            while !names.isAtEnd {
                let name = try names.next()
                // 1.
                guard name.tag & 0xC0 == 0x80, name.tag & 0x1F <= 8 else { throw undecodable }
                guard name.tag & 0x1F == 0 else { continue }
                // otherName ::= [0] IMPLICIT SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
                guard name.tag == DERTag.explicit(0) else { throw undecodable }
                var fields = names.children(name)
                let typeID = try fields.next(DERTag.oid, "type-id")
                let wrapper = try fields.next(DERTag.explicit(0), "value")
                guard fields.isAtEnd else { throw undecodable }
                guard let index = entries.firstIndex(where: { $0.content.elementsEqual(der[typeID.content]) }) else { continue }
                let label = entries[index].oid
                // 2.
                guard values[index] == nil else { throw JPKIFailure(.malformed, "duplicate subjectAltName entry \(label)") }
                // 4.
                var inner = fields.children(wrapper)
                let value = try inner.next()
                guard inner.isAtEnd, let text = text(value.tag, der[value.content]) else {
                    throw JPKIFailure(.malformed, "subjectAltName entry \(label) is not text")
                }
                values[index] = text
            }
        } catch let failure as JPKIFailure {
            throw failure
        } catch {
            throw undecodable
        }
        // 3.
        func required(_ index: Int, _ label: String) throws(JPKIFailure) -> String {
            guard let v = values[index], !v.isEmpty else { throw JPKIFailure(.malformed, "subjectAltName has no \(label)") }
            return v
        }
        let birth = try required(3, "birth date")
        guard let birthDate = JPKIBirthDate(birth) else { throw JPKIFailure(.malformed, "birth date is not era + YYYYMMDD") }
        return JPKIAttributes(
            name: try required(0, "name"), nameSubstitute: values[1], genderCode: try required(2, "gender"), birthDate: birthDate,
            address: try required(4, "address"), addressSubstitute: values[5])
    }

    /// A UTF8String or OCTET STRING of UTF-8, without control characters (general category Cc,
    /// which is exactly C0, DEL and C1).
    static func text(_ tag: UInt8, _ bytes: ArraySlice<UInt8>) -> String? {
        guard tag == DERTag.utf8String || tag == DERTag.octetString, let text = String(validating: bytes, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) })
        else { return nil }
        return text
    }
}
