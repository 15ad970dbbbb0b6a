import Crypto
import HonninCore
import HonninWebAuthn
import Testing

@Suite("Authenticator data (WebAuthn §6.1)")
struct AuthenticatorDataTests {
    let rpIDHash = Array(SHA256.hash(data: Array("example.org".utf8)))
    let key = SoftAuthenticator("authdata").coseKey

    func malformed(_ bytes: [UInt8]) -> Bool {
        webAuthnCode(sync: { () throws(WebAuthnError) in _ = try AuthenticatorData(bytes: bytes) }) == .malformed
    }

    @Test func assertionDataParses() throws {
        // §16 none-es256 authentication: rpIdHash ‖ flags 0x19 (UP, BE, BS) ‖ signCount 0.
        let bytes = try #require(Bytes.fromHex("bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000"))
        let data = try AuthenticatorData(bytes: bytes)
        #expect(data.rpIDHash == rpIDHash)
        #expect(data.userPresent && !data.userVerified && data.backupEligible && data.backupState)
        #expect(data.signCount == 0)
        #expect(data.attestedCredentialData == nil && data.extensions == nil)
        #expect(data.raw == bytes)
    }

    @Test func attestedCredentialDataAndExtensionsParse() throws {
        let ext = CBORValue.map([CBORMapEntry(.text("credProtect"), .int(2))])
        let bytes = AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: [.userPresent, .reserved1, .reserved2], signCount: 0x0102_0304,
            attested: (aaguid: Array(repeating: 0xaa, count: 16), credentialID: [9, 8, 7], credentialPublicKey: key), extensions: ext)
        let data = try AuthenticatorData(bytes: bytes)
        #expect(data.signCount == 0x0102_0304)
        #expect(data.flags.contains([.attestedCredentialData, .extensionData, .reserved1, .reserved2]))
        let attested = try #require(data.attestedCredentialData)
        #expect(attested.aaguid == Array(repeating: 0xaa, count: 16))
        #expect(attested.credentialID == [9, 8, 7])
        #expect(attested.credentialPublicKeyBytes == key)
        #expect(try COSEKey(cbor: attested.credentialPublicKey).algorithm == .es256)
        #expect(data.extensions == ext)
    }

    /// The parser takes credential IDs up to 65535 bytes; the 1023-byte limit is the
    /// registration ceremony's (§7.1 step 25).
    @Test func longCredentialIDsParse() throws {
        for length in [0, 1023, 1024, 65535] {
            let id = [UInt8](repeating: 0x42, count: length)
            let bytes = AuthenticatorData.assemble(
                rpIDHash: rpIDHash, flags: [.userPresent], signCount: 1, attested: (aaguid: [UInt8](repeating: 0, count: 16), credentialID: id, credentialPublicKey: key))
            #expect(try AuthenticatorData(bytes: bytes).attestedCredentialData?.credentialID.count == length)
        }
    }

    @Test func malformedDataIsRefused() {
        let base = AuthenticatorData.assemble(rpIDHash: rpIDHash, flags: [.userPresent], signCount: 1)
        #expect(malformed([]))
        #expect(malformed(Array(base.dropLast())))  // 36 bytes
        #expect(malformed(base + [0x00]))  // trailing byte with neither AT nor ED
        var extFlag = base
        extFlag[32] |= 0x80
        #expect(malformed(extFlag))  // ED set, nothing follows
        #expect(malformed(extFlag + [0x01]))  // extensions are not a map
        #expect(malformed(extFlag + [0xa1, 0x01]))  // truncated map
        #expect(malformed(extFlag + [0xa0, 0x00]))  // trailing after extensions
        var atFlag = base
        atFlag[32] |= 0x40
        #expect(malformed(atFlag))  // AT set, nothing follows
        #expect(malformed(atFlag + [UInt8](repeating: 0, count: 17)))  // no room for the length
        #expect(malformed(atFlag + [UInt8](repeating: 0, count: 16) + [0xff, 0xff] + [1, 2, 3]))  // ID longer than the data
        let attested = AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: [.userPresent], signCount: 1, attested: (aaguid: [UInt8](repeating: 0, count: 16), credentialID: [1], credentialPublicKey: key))
        #expect(malformed(Array(attested.dropLast())))  // key truncated
        #expect(malformed(attested + [0xa0]))  // a map after the key without ED
        let notMap = AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: [.userPresent], signCount: 1, attested: (aaguid: [UInt8](repeating: 0, count: 16), credentialID: [1], credentialPublicKey: [0x01]))
        #expect(malformed(notMap))
        let indefinite = AuthenticatorData.assemble(
            rpIDHash: rpIDHash, flags: [.userPresent], signCount: 1,
            attested: (aaguid: [UInt8](repeating: 0, count: 16), credentialID: [1], credentialPublicKey: [0xbf, 0x01, 0x02, 0xff]))
        #expect(malformed(indefinite))
    }
}
