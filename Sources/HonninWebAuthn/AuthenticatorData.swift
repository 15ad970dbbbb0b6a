// Authenticator data (WebAuthn L3 §6.1) and attested credential data (§6.5.1).
// No imports: compiled with CBOR.swift and WebAuthnError.swift into the fuzz targets.

/// The authenticator data structure of WebAuthn §6.1, parsed from its raw bytes (which are kept:
/// signatures are computed over them).
///
/// Layout: rpIdHash (32) ‖ flags (1) ‖ signCount (4, big-endian) ‖ attestedCredentialData (if AT)
/// ‖ extensions (a CBOR map, if ED). Nothing may follow.
public struct AuthenticatorData: Sendable, Equatable {
    /// The flags byte (§6.1, bit 0 least significant).
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// Bit 0, UP: the user was present.
        public static let userPresent = Flags(rawValue: 0x01)
        /// Bit 1, RFU1: reserved; authenticators set it to zero and relying parties ignore it.
        public static let reserved1 = Flags(rawValue: 0x02)
        /// Bit 2, UV: the user was verified.
        public static let userVerified = Flags(rawValue: 0x04)
        /// Bit 3, BE: the credential source is backup eligible (a multi-device credential).
        public static let backupEligible = Flags(rawValue: 0x08)
        /// Bit 4, BS: the credential source is currently backed up.
        public static let backupState = Flags(rawValue: 0x10)
        /// Bit 5, RFU2: reserved; authenticators set it to zero and relying parties ignore it.
        public static let reserved2 = Flags(rawValue: 0x20)
        /// Bit 6, AT: attested credential data follows the sign count.
        public static let attestedCredentialData = Flags(rawValue: 0x40)
        /// Bit 7, ED: an extensions map ends the structure.
        public static let extensionData = Flags(rawValue: 0x80)
    }

    /// The raw bytes, exactly as received.
    public let raw: [UInt8]
    /// SHA-256 of the RP ID the credential is scoped to.
    public let rpIDHash: [UInt8]
    public let flags: Flags
    /// The signature counter (32-bit unsigned, big-endian on the wire).
    public let signCount: UInt32
    /// Present exactly when the AT flag is set.
    public let attestedCredentialData: AttestedCredentialData?
    /// The authenticator extension outputs, a CBOR map; present exactly when the ED flag is set.
    public let extensions: CBORValue?

    public var userPresent: Bool { flags.contains(.userPresent) }
    public var userVerified: Bool { flags.contains(.userVerified) }
    public var backupEligible: Bool { flags.contains(.backupEligible) }
    public var backupState: Bool { flags.contains(.backupState) }

    /// The fixed part: rpIdHash, flags and signCount.
    public static let minimumLength = 37

    /// Parses authenticator data, refusing anything malformed with `WebAuthnError.Code.malformed`:
    ///
    /// 1. at least 37 bytes: rpIdHash, flags, signCount;
    /// 2. if AT: aaguid (16), credentialIdLength (2, big-endian), credentialId (that many bytes;
    ///    up to 65535 here: the registration ceremony refuses more than 1023, §7.1 step 25), and
    ///    credentialPublicKey, one CBOR map whose end is found by decoding it (§6.5.1);
    /// 3. if ED: one CBOR map of extension outputs;
    /// 4. no bytes may remain.
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= Self.minimumLength else {
            throw WebAuthnError(.malformed, "authenticator data is \(bytes.count) bytes, fewer than \(Self.minimumLength)")
        }
        raw = bytes
        rpIDHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = UInt32(bytes[33]) << 24 | UInt32(bytes[34]) << 16 | UInt32(bytes[35]) << 8 | UInt32(bytes[36])
        var position = Self.minimumLength
        let decoder = CBORDecoder()

        if flags.contains(.attestedCredentialData) {
            let header = 16 + 2
            guard bytes.count - position >= header else {
                throw WebAuthnError(.malformed, "attested credential data truncated before the credential ID length")
            }
            let aaguid = Array(bytes[position..<position + 16])
            let idLength = Int(bytes[position + 16]) << 8 | Int(bytes[position + 17])
            position += header
            guard bytes.count - position >= idLength else {
                throw WebAuthnError(.malformed, "credential ID length \(idLength) exceeds the remaining \(bytes.count - position) bytes")
            }
            let credentialID = Array(bytes[position..<position + idLength])
            position += idLength
            let keyStart = position
            let key: CBORValue
            do throws(CBORError) {
                (key, position) = try decoder.decodePrefix(bytes, from: position)
            } catch {
                throw WebAuthnError(.malformed, "credential public key: \(error)")
            }
            guard case .map = key else {
                throw WebAuthnError(.malformed, "credential public key is not a CBOR map")
            }
            attestedCredentialData = AttestedCredentialData(
                aaguid: aaguid, credentialID: credentialID, credentialPublicKey: key,
                credentialPublicKeyBytes: Array(bytes[keyStart..<position]))
        } else {
            attestedCredentialData = nil
        }

        if flags.contains(.extensionData) {
            guard position < bytes.count else {
                throw WebAuthnError(.malformed, "ED flag set but no extensions follow")
            }
            let value: CBORValue
            do throws(CBORError) {
                (value, position) = try decoder.decodePrefix(bytes, from: position)
            } catch {
                throw WebAuthnError(.malformed, "extensions: \(error)")
            }
            guard case .map = value else {
                throw WebAuthnError(.malformed, "extensions are not a CBOR map")
            }
            extensions = value
        } else {
            extensions = nil
        }

        guard position == bytes.count else {
            throw WebAuthnError(.malformed, "\(bytes.count - position) trailing bytes after the authenticator data")
        }
    }
}

/// Attested credential data (WebAuthn §6.5.1).
public struct AttestedCredentialData: Sendable, Equatable {
    /// The authenticator's 16-byte AAGUID (all zero when not disclosed).
    public let aaguid: [UInt8]
    public let credentialID: [UInt8]
    /// The COSE_Key (RFC 9052 §7), decoded; ``COSEKey`` checks its content.
    public let credentialPublicKey: CBORValue
    /// The same key, exactly as encoded in the authenticator data.
    public let credentialPublicKeyBytes: [UInt8]

    public init(aaguid: [UInt8], credentialID: [UInt8], credentialPublicKey: CBORValue, credentialPublicKeyBytes: [UInt8]) {
        self.aaguid = aaguid
        self.credentialID = credentialID
        self.credentialPublicKey = credentialPublicKey
        self.credentialPublicKeyBytes = credentialPublicKeyBytes
    }
}

extension AuthenticatorData {
    /// Lays out authenticator data from its parts (§6.1), the inverse of ``init(bytes:)``: the AT
    /// and ED flags are set from whether `attested` and `extensions` are given. For building
    /// test inputs and simulated authenticators.
    public static func assemble(
        rpIDHash: [UInt8], flags: Flags, signCount: UInt32,
        attested: (aaguid: [UInt8], credentialID: [UInt8], credentialPublicKey: [UInt8])? = nil,
        extensions: CBORValue? = nil
    ) -> [UInt8] {
        var flags = flags
        if attested != nil { flags.insert(.attestedCredentialData) } else { flags.remove(.attestedCredentialData) }
        if extensions != nil { flags.insert(.extensionData) } else { flags.remove(.extensionData) }
        var out = rpIDHash
        out.append(flags.rawValue)
        out.append(contentsOf: [UInt8(signCount >> 24), UInt8(signCount >> 16 & 0xff), UInt8(signCount >> 8 & 0xff), UInt8(signCount & 0xff)])
        if let attested {
            out.append(contentsOf: attested.aaguid)
            let n = attested.credentialID.count
            out.append(UInt8(truncatingIfNeeded: n >> 8))
            out.append(UInt8(truncatingIfNeeded: n))
            out.append(contentsOf: attested.credentialID)
            out.append(contentsOf: attested.credentialPublicKey)
        }
        if let extensions { out.append(contentsOf: CBOREncoder.encode(extensions)) }
        return out
    }
}
