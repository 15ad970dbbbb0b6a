
/// The attestation statement formats this relying party knows (WebAuthn §8; IANA "WebAuthn
/// Attestation Statement Format Identifiers", RFC 8809), and the dispatch from `fmt` to each
/// format's verification procedure (§7.1 steps 21–22).
public enum AttestationFormat: String, Sendable, CaseIterable, Codable {
    case packed
    case tpm
    case androidKey = "android-key"
    case androidSafetyNet = "android-safetynet"
    case fidoU2F = "fido-u2f"
    case none
    case apple
    case compound
}

public enum AttestationStatement {
    /// §7.1 step 21: matches `fmt` case-sensitively against the known identifiers, then step 22:
    /// runs that format's verification procedure on `attStmt`, `authData` and the client data
    /// hash. `android-safetynet` (deprecated in L3) and `compound` are refused as unsupported.
    public static func verify(format fmt: String, statement: CBORValue, context: AttestationContext) throws(WebAuthnError) -> AttestationResult {
        guard let format = AttestationFormat(rawValue: fmt) else {
            throw WebAuthnError(.unsupportedFormat, "attestation statement format \"\(fmt.prefix(32))\" is not known")
        }
        switch format {
        case .none:
            return try NoneAttestation.verify(statement: statement)
        case .packed:
            return try PackedAttestation.verify(statement: statement, context: context)
        case .fidoU2F:
            return try FIDOU2FAttestation.verify(statement: statement, context: context)
        case .tpm:
            let fields = try StatementFields(statement, format: fmt)
            return try TPMAttestation.verify(
                ver: try fields.text("ver"), alg: try fields.algorithm(), x5c: try fields.certificateChain(), sig: try fields.bytes("sig"),
                certInfo: try fields.bytes("certInfo"), pubArea: try fields.bytes("pubArea"), context: context)
        case .androidKey:
            let fields = try StatementFields(statement, format: fmt)
            return try AndroidKeyAttestation.verify(alg: try fields.algorithm(), sig: try fields.bytes("sig"), x5c: try fields.certificateChain(), context: context)
        case .apple:
            let fields = try StatementFields(statement, format: fmt)
            return try AppleAttestation.verify(x5c: try fields.certificateChain(), context: context)
        case .androidSafetyNet:
            throw WebAuthnError(
                .unsupportedFormat, "android-safetynet is deprecated in WebAuthn L3 (§8.5) and its SafetyNet service is shut down; not accepted")
        case .compound:
            throw WebAuthnError(
                .unsupportedFormat, "compound attestation (§8.9) is not supported: its acceptance rules are relying-party policy not yet defined here")
        }
    }
}

/// §8.7 none: the statement is the empty map; attestation type None, empty trust path.
enum NoneAttestation {
    static func verify(statement: CBORValue) throws(WebAuthnError) -> AttestationResult {
        guard case .map(let entries) = statement, entries.isEmpty else {
            throw WebAuthnError(.attestationInvalid, "none attestation statement is not the empty map")
        }
        return AttestationResult(type: .none, trustPath: [])
    }
}

/// Typed access to an attestation statement's fields (the "valid CBOR conforming to the syntax"
/// step of every format's verification procedure). A missing or mistyped field is
/// `attestationInvalid`.
struct StatementFields {
    let map: CBORValue
    let format: String

    init(_ statement: CBORValue, format: String) throws(WebAuthnError) {
        guard case .map = statement else { throw WebAuthnError(.attestationInvalid, "\(format) attestation statement is not a map") }
        map = statement
        self.format = format
    }

    func has(_ key: String) -> Bool { map[key] != nil }

    func bytes(_ key: String) throws(WebAuthnError) -> [UInt8] {
        guard let b = map[key]?.bytesValue else { throw WebAuthnError(.attestationInvalid, "\(format) attStmt.\(key) is missing or not bytes") }
        return b
    }

    func text(_ key: String) throws(WebAuthnError) -> String {
        guard let t = map[key]?.textValue else { throw WebAuthnError(.attestationInvalid, "\(format) attStmt.\(key) is missing or not text") }
        return t
    }

    /// `alg`: a COSEAlgorithmIdentifier this module knows (an unknown one is `attestationInvalid`).
    func algorithm() throws(WebAuthnError) -> COSEAlgorithm {
        guard let id = map["alg"]?.intValue else { throw WebAuthnError(.attestationInvalid, "\(format) attStmt.alg is missing or not an integer") }
        guard let alg = COSEAlgorithm(rawValue: id) else { throw WebAuthnError(.attestationInvalid, "\(format) attStmt.alg \(id) is not a known algorithm") }
        return alg
    }

    /// `x5c`: a non-empty array of DER certificates, leaf first, as raw bytes.
    func certificateChain() throws(WebAuthnError) -> [[UInt8]] {
        guard let items = map["x5c"]?.arrayValue, !items.isEmpty else {
            throw WebAuthnError(.attestationInvalid, "\(format) attStmt.x5c is missing, empty or not an array")
        }
        var chain = [[UInt8]]()
        for item in items {
            guard let der = item.bytesValue else { throw WebAuthnError(.attestationInvalid, "\(format) attStmt.x5c holds a non-bytes item") }
            chain.append(der)
        }
        return chain
    }
}
