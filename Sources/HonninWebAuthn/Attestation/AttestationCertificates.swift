import HonninCore
import SwiftASN1
import X509

/// Certificate handling shared by the attestation statement formats that carry an `x5c` chain
/// (WebAuthn §8.3 `tpm`, §8.4 `android-key`, §8.8 `apple`, and any other format that wants it).
enum AttestationCertificates {
    /// More certificates than this in one `x5c` is refused before any is parsed: real chains
    /// (TPM AIK, Android Keystore, Apple anonymous CA) have at most five.
    static let maximumChainLength = 10
    /// A single DER certificate larger than this is refused unparsed.
    static let maximumCertificateSize = 16 * 1024

    /// `id-fido-gen-ce-aaguid` (WebAuthn §8.2.1, §8.3.1): the AAGUID an attestation certificate
    /// vouches for, as an OCTET STRING of 16 bytes inside the extension value.
    static let aaguidExtension: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 45724, 1, 1, 4]

    /// Parses `x5c` (leaf first) into certificates. An empty chain, too many certificates, an
    /// oversized one or one that does not parse as DER X.509 is `malformed`.
    static func parse(_ x5c: [[UInt8]], format: String) throws(WebAuthnError) -> [Certificate] {
        guard !x5c.isEmpty else { throw WebAuthnError(.malformed, "\(format): x5c is empty") }
        guard x5c.count <= maximumChainLength else {
            throw WebAuthnError(.malformed, "\(format): x5c has \(x5c.count) certificates (at most \(maximumChainLength))")
        }
        var chain: [Certificate] = []
        chain.reserveCapacity(x5c.count)
        for (index, der) in x5c.enumerated() {
            guard der.count <= maximumCertificateSize else {
                throw WebAuthnError(.malformed, "\(format): x5c[\(index)] is \(der.count) bytes")
            }
            do {
                chain.append(try Certificate(derEncoded: der))
            } catch {
                throw WebAuthnError(.malformed, "\(format): x5c[\(index)] is not a DER X.509 certificate")
            }
        }
        return chain
    }

    /// True when both keys have the same SubjectPublicKeyInfo encoding: same algorithm, same
    /// curve or modulus, same point or exponent.
    static func sameKey(_ a: Certificate.PublicKey, _ b: Certificate.PublicKey) -> Bool {
        a.subjectPublicKeyInfoBytes.elementsEqual(b.subjectPublicKeyInfoBytes)
    }

    /// The raw `extnValue` of the extension with `oid`, or nil when the certificate has none.
    static func extensionValue(_ oid: ASN1ObjectIdentifier, in certificate: Certificate) -> ArraySlice<UInt8>? {
        certificate.extensions[oid: oid]?.value
    }

    /// If `certificate` has an `id-fido-gen-ce-aaguid` extension, its value must be the AAGUID of
    /// the attested credential data (§8.2.1 / §8.3 "verify that the value of this extension
    /// matches the aaguid in authenticatorData"). An extension that is not an OCTET STRING of 16
    /// bytes is `malformed`; a different AAGUID is `attestationInvalid`.
    static func checkAAGUIDExtension(of certificate: Certificate, equals aaguid: [UInt8], format: String) throws(WebAuthnError) {
        guard let extensionRecord = certificate.extensions[oid: aaguidExtension] else { return }
        let value: ASN1OctetString
        do {
            value = try ASN1OctetString(derEncoded: extensionRecord.value)
        } catch {
            throw WebAuthnError(.malformed, "\(format): the AAGUID extension is not an OCTET STRING")
        }
        guard value.bytes.count == 16 else {
            throw WebAuthnError(.malformed, "\(format): the AAGUID extension holds \(value.bytes.count) bytes, not 16")
        }
        guard Bytes.constantTimeEqual(value.bytes, aaguid) else {
            throw WebAuthnError(.attestationInvalid, "\(format): the certificate's AAGUID differs from the authenticator data's")
        }
    }
}
