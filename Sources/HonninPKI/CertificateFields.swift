import Foundation

// The fields of an X.509 certificate that the JPKI checks read, taken from the DER in one pass
// without building a tree or any object: this runs for every certificate seen for the first time
// (each proofing), where building swift-certificates' `Certificate` cost more than both RSA
// verifies together. The full `Certificate` is built only when a revocation provider needs it.
// This file imports only Foundation, so the fuzz target (Fuzz/CertificateFieldsFuzz.swift) builds it alone.

/// Why DER was refused (mapped to `malformed` by the verifier).
struct DERFieldError: Error, Sendable, Equatable {
    let detail: String
    init(_ detail: String) { self.detail = detail }
}

/// One DER element: its tag byte and where its header and content lie in the scanned bytes.
struct DERElement: Sendable, Equatable {
    let tag: UInt8
    /// From the tag byte to the end of the content.
    let whole: Range<Int>
    let content: Range<Int>
}

/// A strict DER reader over a range of a byte array (X.690 §10): low tag numbers only, definite
/// lengths in their shortest form, every element inside its parent. It reads forward; children are
/// read with a reader over the parent's content.
struct DERReader {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], _ range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    init(_ bytes: [UInt8]) { self.init(bytes, 0..<bytes.count) }

    var isAtEnd: Bool { position >= end }

    /// The next element's tag, without reading it.
    var nextTag: UInt8? { position < end ? bytes[position] : nil }

    mutating func next() throws(DERFieldError) -> DERElement {
        let start = position
        guard end - position >= 2 else { throw DERFieldError("truncated element") }
        let tag = bytes[position]
        // High tag numbers (X.690 §8.1.2.4) occur nowhere in the fields read here.
        guard tag & 0x1F != 0x1F else { throw DERFieldError("high tag number") }
        var p = position + 1
        let first = bytes[p]
        p += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else {
            // 0x80 is the indefinite form (not DER); more than 4 length bytes is never a certificate.
            let n = Int(first & 0x7F)
            guard (1...4).contains(n), end - p >= n else { throw DERFieldError("bad length") }
            for i in 0..<n { length = length << 8 | Int(bytes[p + i]) }
            // Shortest form (X.690 §10.1): no leading zero byte, and the long form only from 128.
            guard bytes[p] != 0, length >= 0x80 else { throw DERFieldError("length not in its shortest form") }
            p += n
        }
        guard length <= end - p else { throw DERFieldError("element longer than its container") }
        position = p + length
        return DERElement(tag: tag, whole: start..<position, content: p..<position)
    }

    /// The next element, which must carry `tag`.
    mutating func next(_ tag: UInt8, _ what: @autoclosure () -> String) throws(DERFieldError) -> DERElement {
        let e = try next()
        guard e.tag == tag else { throw DERFieldError("\(what()): unexpected tag") }
        return e
    }

    /// A reader over a constructed element's content.
    func children(_ e: DERElement) -> DERReader { DERReader(bytes, e.content) }
}

enum DERTag {
    static let boolean: UInt8 = 0x01, integer: UInt8 = 0x02, bitString: UInt8 = 0x03, octetString: UInt8 = 0x04
    static let null: UInt8 = 0x05, oid: UInt8 = 0x06, utf8String: UInt8 = 0x0C, utcTime: UInt8 = 0x17, generalizedTime: UInt8 = 0x18
    static let sequence: UInt8 = 0x30
    /// `[n]` constructed, context-specific.
    static func explicit(_ n: UInt8) -> UInt8 { 0xA0 | n }
}

/// Object identifiers as the content bytes of their DER encoding, compared without decoding.
enum OIDBytes {
    static let rsaEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    static let sha256WithRSA: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]
    static let sha384WithRSA: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0C]
    static let sha512WithRSA: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0D]
    /// id-ce (2.5.29) extensions, RFC 5280 §4.2.1.
    static func idCE(_ n: UInt8) -> [UInt8] { [0x55, 0x1D, n] }
    static let subjectKeyIdentifier = idCE(14), keyUsage = idCE(15), subjectAltName = idCE(17), basicConstraints = idCE(19)
    static let cRLDistributionPoints = idCE(31), certificatePolicies = idCE(32), authorityKeyIdentifier = idCE(35), extendedKeyUsage = idCE(37)

    /// Dotted text of an OID's content bytes, for messages.
    static func dotted(_ bytes: some Collection<UInt8>) -> String {
        var arcs: [UInt] = []
        var value: UInt = 0
        for b in bytes {
            guard value >> (UInt.bitWidth - 8) == 0 else { return "?" }
            value = value << 7 | UInt(b & 0x7F)
            if b & 0x80 == 0 {
                if arcs.isEmpty { arcs += value < 80 ? [value / 40, value % 40] : [2, value - 80] } else { arcs.append(value) }
                value = 0
            }
        }
        return arcs.map(String.init).joined(separator: ".")
    }
}

/// The SHA-2 with RSA signature algorithms a JPKI certificate may be signed with.
enum CertificateSignatureAlgorithm: String, Sendable, CaseIterable {
    case sha256WithRSAEncryption, sha384WithRSAEncryption, sha512WithRSAEncryption

    var oid: [UInt8] {
        switch self {
        case .sha256WithRSAEncryption: OIDBytes.sha256WithRSA
        case .sha384WithRSAEncryption: OIDBytes.sha384WithRSA
        case .sha512WithRSAEncryption: OIDBytes.sha512WithRSA
        }
    }
}

/// What the JPKI checks read from a certificate (RFC 5280 §4.1), with ranges into ``der``.
struct CertificateFields: Sendable {
    let der: [UInt8]
    /// The whole `tbsCertificate` TLV: what the issuer signed.
    let tbs: Range<Int>
    /// Nil for any algorithm but SHA-256/384/512 with RSA; ``signatureAlgorithmOID`` says which.
    let signatureAlgorithm: CertificateSignatureAlgorithm?
    let signatureAlgorithmOID: Range<Int>
    /// The signature BIT STRING's bits (no unused bits allowed).
    let signature: Range<Int>
    /// The serial number INTEGER's content.
    let serial: Range<Int>
    /// The issuer `Name` TLV, compared byte for byte with a root's subject.
    let issuer: Range<Int>
    let notValidBefore: Date
    let notValidAfter: Date
    /// The `subjectPublicKeyInfo` TLV.
    let subjectPublicKeyInfo: Range<Int>
    let keyIsRSA: Bool
    let extensions: [Extension]

    struct Extension: Sendable {
        /// The OID's content bytes.
        let oid: Range<Int>
        let critical: Bool
        /// The `extnValue` OCTET STRING's content.
        let value: Range<Int>
    }

    func bytes(_ range: Range<Int>) -> ArraySlice<UInt8> { der[range] }

    func `extension`(_ oid: [UInt8]) -> Extension? { extensions.first { der[$0.oid].elementsEqual(oid) } }

    /// Parses `Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }`
    /// with a v3 `TBSCertificate`; anything after the certificate is refused.
    init(der: [UInt8]) throws(DERFieldError) {
        self.der = der
        var top = DERReader(der)
        let certificate = try top.next(DERTag.sequence, "Certificate")
        guard top.isAtEnd else { throw DERFieldError("bytes after the certificate") }
        var c = top.children(certificate)
        let tbsElement = try c.next(DERTag.sequence, "tbsCertificate")
        let outerAlgorithm = try c.next(DERTag.sequence, "signatureAlgorithm")
        let signatureValue = try c.next(DERTag.bitString, "signatureValue")
        guard c.isAtEnd else { throw DERFieldError("Certificate has extra fields") }
        tbs = tbsElement.whole
        // A signature is a whole number of bytes.
        guard signatureValue.content.count >= 2, der[signatureValue.content.lowerBound] == 0 else {
            throw DERFieldError("signatureValue has unused bits")
        }
        signature = signatureValue.content.lowerBound + 1..<signatureValue.content.upperBound

        var t = top.children(tbsElement)
        // version [0] EXPLICIT INTEGER: v3 (2), the only version with extensions.
        let version = try t.next(DERTag.explicit(0), "version")
        var v = t.children(version)
        let versionNumber = try v.next(DERTag.integer, "version")
        guard v.isAtEnd, der[versionNumber.content].elementsEqual([2]) else { throw DERFieldError("not an X.509 v3 certificate") }
        let serialElement = try t.next(DERTag.integer, "serialNumber")
        try Self.checkInteger(der, serialElement.content)
        serial = serialElement.content
        let innerAlgorithm = try t.next(DERTag.sequence, "signature")
        // RFC 5280 §4.1.1.2: the outer algorithm is the same identifier as the signed one.
        guard der[innerAlgorithm.whole].elementsEqual(der[outerAlgorithm.whole]) else {
            throw DERFieldError("signatureAlgorithm differs from tbsCertificate.signature")
        }
        var a = t.children(innerAlgorithm)
        let algorithmOID = try a.next(DERTag.oid, "algorithm")
        if !a.isAtEnd {
            // RFC 4055 §5: the RSA identifiers carry NULL parameters.
            let parameters = try a.next()
            guard parameters.tag == DERTag.null, parameters.content.isEmpty, a.isAtEnd else { throw DERFieldError("algorithm parameters") }
        }
        signatureAlgorithmOID = algorithmOID.content
        let algorithm = der[algorithmOID.content]
        signatureAlgorithm = CertificateSignatureAlgorithm.allCases.first { algorithm.elementsEqual($0.oid) }
        issuer = try t.next(DERTag.sequence, "issuer").whole
        let validity = try t.next(DERTag.sequence, "validity")
        var times = t.children(validity)
        notValidBefore = try Self.time(der, times.next())
        notValidAfter = try Self.time(der, times.next())
        guard times.isAtEnd else { throw DERFieldError("validity has extra fields") }
        _ = try t.next(DERTag.sequence, "subject")
        let spki = try t.next(DERTag.sequence, "subjectPublicKeyInfo")
        subjectPublicKeyInfo = spki.whole
        var k = t.children(spki)
        var keyAlgorithm = k.children(try k.next(DERTag.sequence, "subjectPublicKeyInfo.algorithm"))
        keyIsRSA = der[try keyAlgorithm.next(DERTag.oid, "subjectPublicKeyInfo.algorithm").content].elementsEqual(OIDBytes.rsaEncryption)
        _ = try k.next(DERTag.bitString, "subjectPublicKey")
        guard k.isAtEnd else { throw DERFieldError("subjectPublicKeyInfo has extra fields") }
        // issuerUniqueID [1] and subjectUniqueID [2] (IMPLICIT BIT STRING) are allowed and ignored.
        for uniqueID: UInt8 in [1, 2] where t.nextTag == 0x80 | uniqueID || t.nextTag == 0xA0 | uniqueID { _ = try t.next() }
        let wrapper = try t.next(DERTag.explicit(3), "extensions")
        guard t.isAtEnd else { throw DERFieldError("tbsCertificate has extra fields") }
        var w = t.children(wrapper)
        let list = try w.next(DERTag.sequence, "extensions")
        guard w.isAtEnd else { throw DERFieldError("extensions has extra fields") }
        var e = w.children(list)
        var extensions: [Extension] = []
        while !e.isAtEnd {
            var x = e.children(try e.next(DERTag.sequence, "Extension"))
            let oid = try x.next(DERTag.oid, "extnID")
            guard !oid.content.isEmpty else { throw DERFieldError("empty extnID") }
            var critical = false
            if x.nextTag == DERTag.boolean {
                // DER encodes the DEFAULT FALSE by omission, so a present critical is TRUE (0xFF).
                let flag = try x.next()
                guard der[flag.content].elementsEqual([0xFF]) else { throw DERFieldError("critical is not DER TRUE") }
                critical = true
            }
            let value = try x.next(DERTag.octetString, "extnValue")
            guard x.isAtEnd else { throw DERFieldError("Extension has extra fields") }
            // RFC 5280 §4.2: at most one instance of an extension.
            guard !extensions.contains(where: { der[$0.oid].elementsEqual(der[oid.content]) }) else {
                throw DERFieldError("duplicate extension \(OIDBytes.dotted(der[oid.content]))")
            }
            extensions.append(Extension(oid: oid.content, critical: critical, value: value.content))
        }
        guard !extensions.isEmpty else { throw DERFieldError("empty extensions") }
        self.extensions = extensions
    }

    /// An INTEGER's content is not empty and in its shortest form (X.690 §8.3.2).
    static func checkInteger(_ der: [UInt8], _ content: Range<Int>) throws(DERFieldError) {
        guard let first = content.first.map({ der[$0] }) else { throw DERFieldError("empty INTEGER") }
        if content.count > 1 {
            let second = der[content.lowerBound + 1]
            guard !(first == 0 && second < 0x80), !(first == 0xFF && second >= 0x80) else { throw DERFieldError("INTEGER not in its shortest form") }
        }
    }

    /// `UTCTime` `YYMMDDHHMMSSZ` (years 1950–2049) or `GeneralizedTime` `YYYYMMDDHHMMSSZ`
    /// (RFC 5280 §4.1.2.5: UTC, seconds present, no fractions).
    static func time(_ der: [UInt8], _ e: DERElement) throws(DERFieldError) -> Date {
        let text = der[e.content]
        let digits: Int
        switch e.tag {
        case DERTag.utcTime: digits = 12
        case DERTag.generalizedTime: digits = 14
        default: throw DERFieldError("validity time: unexpected tag")
        }
        guard text.count == digits + 1, text.last == UInt8(ascii: "Z"), text.dropLast().allSatisfy({ (48...57).contains($0) }) else {
            throw DERFieldError("validity time is not in the RFC 5280 form")
        }
        var p = text.startIndex
        func number(_ n: Int) -> Int {
            defer { p += n }
            return text[p..<p + n].reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        var year = number(digits == 12 ? 2 : 4)
        if digits == 12 { year += year >= 50 ? 1900 : 2000 }
        let month = number(2), day = number(2), hour = number(2), minute = number(2), second = number(2)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = month == 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].contains(month) ? 30 : 31
        guard (1...12).contains(month), (1...monthDays).contains(day), hour < 24, minute < 60, second < 60 else {
            throw DERFieldError("validity time is not a valid date")
        }
        return civilDate(year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second)
    }
}

/// Seconds since 1970 for a proleptic Gregorian UTC date (days-from-civil), with no calendar or
/// time-zone object involved.
func civilDate(year: Int, month: Int, day: Int, hours: Int, minutes: Int, seconds: Int) -> Date {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146_097 + doe - 719_468
    let total = days * 86_400 + hours * 3_600 + minutes * 60 + seconds
    return Date(timeIntervalSince1970: TimeInterval(total))
}
