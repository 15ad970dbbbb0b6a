// libFuzzer target for the authenticator data parser (Sources/HonninWebAuthn/AuthenticatorData.swift,
// WebAuthn §6.1). Built by run.sh with swiftc -sanitize=fuzzer,address -parse-as-library over this
// file, AuthenticatorData.swift, CBOR.swift and WebAuthnError.swift.
//
// Properties: parsing never crashes or traps; what parses is laid out again by `assemble` into
// data that parses to the same fields (the extensions map compared by canonical encoding, since
// `assemble` writes it canonically and map equality is structural).

@_cdecl("LLVMFuzzerTestOneInput")
public func authenticatorDataFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let parsed = try? AuthenticatorData(bytes: bytes) else { return 0 }
    precondition(parsed.raw == bytes && parsed.rpIDHash.count == 32, "parsed fields out of shape")
    precondition((parsed.attestedCredentialData != nil) == parsed.flags.contains(.attestedCredentialData), "AT flag and data disagree")
    precondition((parsed.extensions != nil) == parsed.flags.contains(.extensionData), "ED flag and data disagree")
    let attested = parsed.attestedCredentialData.map {
        (aaguid: $0.aaguid, credentialID: $0.credentialID, credentialPublicKey: $0.credentialPublicKeyBytes)
    }
    let rebuilt = AuthenticatorData.assemble(
        rpIDHash: parsed.rpIDHash, flags: parsed.flags, signCount: parsed.signCount, attested: attested, extensions: parsed.extensions)
    guard let again = try? AuthenticatorData(bytes: rebuilt) else { fatalError("re-assembled authenticator data does not parse") }
    precondition(
        again.flags == parsed.flags && again.signCount == parsed.signCount && again.attestedCredentialData == parsed.attestedCredentialData
            && again.extensions.map(CBOREncoder.encode) == parsed.extensions.map(CBOREncoder.encode), "re-assembled authenticator data differs")
    return 0
}
