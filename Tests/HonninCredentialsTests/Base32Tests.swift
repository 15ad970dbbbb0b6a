import HonninCredentials
import Testing

struct Base32Vectors: Decodable {
    struct Case: Decodable {
        let textUTF8: String
        let encoded: String
    }
    let source: String
    let cases: [Case]
}

@Suite("Base32 (RFC 4648 §6)")
struct Base32Tests {
    @Test("RFC 4648 §10 vectors encode and decode, padded and unpadded")
    func rfcVectors() throws {
        let v = try CredentialVectors.load(Base32Vectors.self, "otp", "rfc4648-base32.json")
        #expect(v.cases.count == 7)
        for c in v.cases {
            let bytes = Array(c.textUTF8.utf8)
            #expect(Base32.encode(bytes, padding: true) == c.encoded)
            let unpadded = String(c.encoded.prefix(while: { $0 != "=" }))
            #expect(Base32.encode(bytes) == unpadded)
            #expect(try Base32.decode(c.encoded) == bytes)
            #expect(try Base32.decode(unpadded) == bytes)
            #expect(try Base32.decode(unpadded.lowercased()) == bytes)
        }
    }

    @Test("round trip over every length 0…80 and all byte values")
    func roundTrip() throws {
        let source = StreamRandom(seed: "base32")
        for n in 0...80 {
            let bytes = source.bytes(n)
            #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
            #expect(try Base32.decode(Base32.encode(bytes, padding: true)) == bytes)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(try Base32.decode(Base32.encode(all)) == all)
    }

    @Test("the Key Uri Format example secret decodes to its documented bytes")
    func keyUriExample() throws {
        #expect(try Base32.decode("JBSWY3DPEHPK3PXP") == Array("Hello!".utf8) + [0xDE, 0xAD, 0xBE, 0xEF])
    }

    @Test("malformed text is refused with a typed error", arguments: [
        ("MZXW6YT!", Base32.DecodingError.invalidCharacter(offset: 7)),
        ("MZXW 6YTB", .invalidCharacter(offset: 4)),
        ("MZXW0YTB", .invalidCharacter(offset: 4)),  // 0 and 1 are not in the alphabet
        ("MZXW1YTB", .invalidCharacter(offset: 4)),
        ("ＭＹ", .invalidCharacter(offset: 0)),  // full-width letters
        ("M", .invalidLength),  // 1, 3 and 6 symbols cannot come from whole bytes
        ("MZX", .invalidLength),
        ("MZXW6Y", .invalidLength),
        ("MY=====", .invalidLength),  // padding not completing 8
        ("MY=======", .invalidLength),
        ("MZXW6YTB========", .invalidLength),  // padding after a full group
        ("MZXW6YQ====", .invalidLength),
        ("MZ", .nonCanonical),  // "MY" is the canonical encoding of "f"
        ("MZXR", .nonCanonical),
        ("========", .invalidLength),
    ])
    func malformed(text: String, expected: Base32.DecodingError) {
        #expect(throws: expected) { try Base32.decode(text) }
    }

    @Test("errors carry stable codes")
    func codes() {
        #expect(Base32.DecodingError.invalidCharacter(offset: 0).code == "base32_invalid_character")
        #expect(Base32.DecodingError.invalidLength.code == "base32_invalid_length")
        #expect(Base32.DecodingError.nonCanonical.code == "base32_non_canonical")
    }
}
