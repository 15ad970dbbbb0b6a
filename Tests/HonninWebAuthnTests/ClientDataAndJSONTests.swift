import Foundation
import HonninCore
import HonninWebAuthn
import Testing

@Suite("Client data (§5.8.1) and the JSON forms (§5.1.8–5.1.10)")
struct ClientDataAndJSONTests {
    static func clientDataFailure(_ text: String) -> WebAuthnError.Code? {
        do throws(WebAuthnError) {
            _ = try CollectedClientData(bytes: Array(text.utf8))
            return nil
        } catch { return error.code }
    }

    @Test("client data is read strictly: repeated members (also inside unknown ones), trailing commas, lone surrogates, leading zeros, two BOMs; null is absent")
    func clientDataIsReadStrictly() throws {
        let parse = Self.clientDataFailure
        // A repeated member could read two ways (Foundation's JSONDecoder takes the first,
        // JSONSerialization the last): refused.
        #expect(parse(#"{"type":"webauthn.get","type":"webauthn.create","challenge":"AA","origin":"o"}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o","x":{"a":1,"a":2}}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o",}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o","x":"\uD800"}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o","x":01}"#) == .malformed)
        #expect(parse("\u{FEFF}\u{FEFF}" + #"{"type":"t","challenge":"AA","origin":"o"}"#) == .malformed)
        let data = try CollectedClientData(bytes: Array(#"{"type":"t","challenge":"","origin":"o","crossOrigin":null,"topOrigin":null}"#.utf8))
        #expect(data.crossOrigin == nil && data.topOrigin == nil)
        #expect(parse(#"{"type":null,"challenge":"AA","origin":"o"}"#) == .malformed)
        #expect(parse(#"["type","challenge","origin"]"#) == .malformed)
    }

    func parse(_ text: String) -> WebAuthnError.Code? {
        webAuthnCode(sync: { () throws(WebAuthnError) in _ = try CollectedClientData(bytes: Array(text.utf8)) })
    }

    @Test func clientDataParses() throws {
        let text = #"{"origin":"https://example.org","challenge":"AAEC","type":"webauthn.get","crossOrigin":true,"topOrigin":"https://example.com","other":{"x":[1,2]}}"#
        let data = try CollectedClientData(bytes: Array(text.utf8))
        #expect(data.type == "webauthn.get")
        #expect(data.origin == "https://example.org")
        #expect(data.crossOrigin == true)
        #expect(data.topOrigin == "https://example.com")
        #expect(data.challengeMatches([0, 1, 2]))
        #expect(!data.challengeMatches([0, 1, 3]))
        #expect(!data.challengeMatches([0, 1, 2, 0]))
        #expect(data.raw == Array(text.utf8))
        #expect(data.hash.count == 32)
        // A leading byte order mark is stripped before parsing, but kept in the hashed bytes.
        let bom = try CollectedClientData(bytes: [0xef, 0xbb, 0xbf] + Array(text.utf8))
        #expect(bom.type == "webauthn.get")
        #expect(bom.hash != data.hash)
        #expect(try CollectedClientData(bytes: Array(#"{"type":"t","challenge":"","origin":"o"}"#.utf8)).crossOrigin == nil)
    }

    @Test func malformedClientDataIsRefused() {
        #expect(parse("") == .malformed)
        #expect(parse("[]") == .malformed)
        #expect(parse(#"{"type":"webauthn.get","challenge":"AA"}"#) == .malformed)  // no origin
        #expect(parse(#"{"type":1,"challenge":"AA","origin":"o"}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":["AA"],"origin":"o"}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o","crossOrigin":"yes"}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o","topOrigin":5}"#) == .malformed)
        #expect(parse(#"{"type":"t","challenge":"AA","origin":"o""#) == .malformed)
        #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try CollectedClientData(bytes: [0x7b, 0xff, 0x7d]) }) == .malformed)
    }

    @Test func responsesDecodeLeniently() throws {
        let json = #"""
            {"id":"AQID","rawId":"AQID","type":"public-key",
             "response":{"clientDataJSON":"e30","attestationObject":"oA","transports":null}}
            """#
        let response = try RegistrationResponseJSON.parse(Array(json.utf8))
        #expect(response.rawId.bytes == [1, 2, 3])
        #expect(response.clientExtensionResults == .emptyObject)
        #expect(response.response.transports == nil)
        #expect(response.response.attestationObject.bytes == [0xa0])
        let assertion = try AuthenticationResponseJSON.parse(
            Array(
                #"{"id":"AQID","rawId":"AQID","type":"public-key","clientExtensionResults":{"prf":{"enabled":true,"n":1.5}},"response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":"VVU"}}"#
                    .utf8))
        #expect(assertion.response.userHandle?.bytes == [0x55, 0x55])
        #expect(assertion.clientExtensionResults == .object(["prf": .object(["enabled": .bool(true), "n": .number(1.5)])]))
        // Encoding gives back base64url without padding.
        let encoded = String(decoding: try JSONEncoder().encode(assertion), as: UTF8.self)
        #expect(encoded.contains(#""userHandle":"VVU""#))
    }

    @Test func malformedResponsesAreRefused() {
        let cases = [
            #"{"id":"AQID","rawId":"AQI=","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#,  // padding
            #"{"id":"AQID","rawId":"AQ+D","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#,  // base64, not base64url
            #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30"}}"#,  // no attestationObject
            #"{"id":"AQID","rawId":"AQID","response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#,  // no type
            #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e31","attestationObject":"oA"}}"#,  // bad trailing bits
            "not json",
            #"{"id":"AQID","rawId":"AQID","rawId":"AQIE","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#,  // duplicate
            #"{"id":"AQID","rawId":"AQID","type":null,"response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#,  // required null
            #"{"id":"AQID","rawId":"AQID","type":"public-key","clientExtensionResults":[],"response":{"clientDataJSON":"e30","attestationObject":"oA"}}"#,
            #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA","publicKeyAlgorithm":-7.5}}"#,
            #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA","transports":["usb",1]}}"#,
            #"{"id":"AQID","rawId":"AQID","type":"public-key","response":"e30"}"#,
            #"[{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA"}}]"#,
        ]
        for text in cases {
            #expect(webAuthnCode(sync: { () throws(WebAuthnError) in _ = try RegistrationResponseJSON.parse(Array(text.utf8)) }) == .malformed, "\(text)")
        }
    }

    @Test("Decodable and parse share one set of rules; refusals name the member's path")
    func decodableMatchesParse() throws {
        let text = #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA","userHandle":null},"authenticatorAttachment":"platform"}"#
        let parsed = try AuthenticationResponseJSON.parse(Array(text.utf8))
        #expect(try JSONDecoder().decode(AuthenticationResponseJSON.self, from: Data(text.utf8)) == parsed)
        #expect(parsed.response.userHandle == nil && parsed.authenticatorAttachment == "platform")
        // Round trip through the encoder.
        #expect(try AuthenticationResponseJSON.parse(Array(try JSONEncoder().encode(parsed))) == parsed)

        let missing = #"{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA"}}"#
        #expect(throws: JSONParseError.shape(JSONShapeError(.missing, path: ["response", "signature"]))) {
            try AuthenticationResponseJSON(parsing: Array(missing.utf8))
        }
        do {
            _ = try JSONDecoder().decode(AuthenticationResponseJSON.self, from: Data(missing.utf8))
            Issue.record("decoded without a signature")
        } catch DecodingError.keyNotFound(let key, let context) {
            #expect(key.stringValue == "signature" && context.codingPath.map(\.stringValue) == ["response"])
        }
        let badBase64 = #"{"id":"AQID","rawId":"AQ+D","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AA","signature":"AA"}}"#
        #expect(throws: JSONParseError.shape(JSONShapeError(.invalid, path: ["rawId"]))) { try AuthenticationResponseJSON(parsing: Array(badBase64.utf8)) }
        do {
            _ = try JSONDecoder().decode(AuthenticationResponseJSON.self, from: Data(badBase64.utf8))
            Issue.record("decoded base64 as base64url")
        } catch DecodingError.dataCorrupted(let context) {
            #expect(context.codingPath.map(\.stringValue) == ["rawId"])
        }
    }

    @Test func optionsEncodeAsTheJSONForms() throws {
        let rp = CeremonyFixture.relyingParty(userVerification: .required)
        let record = CredentialRecord(
            id: [1, 2, 3], publicKey: [], algorithm: .es256, signCount: 0, transports: ["usb", "nfc"], uvInitialized: true, backupEligible: false,
            backupState: false, attestationFormat: "none", attestationType: .none, aaguid: [UInt8](repeating: 0, count: 16),
            attestationTrusted: false, rpID: "example.org", attestationObject: [], attestationClientDataJSON: [])
        let creation = rp.creationOptions(
            challenge: [0xfb, 0xff], user: PublicKeyCredentialUserEntityJSON(id: [9, 9], name: "user-1", displayName: "利用者"), excludeCredentials: [record])
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(creation)) as? [String: Any]
        #expect(object?["challenge"] as? String == "-_8")
        #expect((object?["rp"] as? [String: Any])?["id"] as? String == "example.org")
        #expect((object?["pubKeyCredParams"] as? [[String: Any]])?.compactMap { $0["alg"] as? Int } == [-7, -8, -257])
        #expect((object?["excludeCredentials"] as? [[String: Any]])?.first?["id"] as? String == "AQID")
        #expect((object?["authenticatorSelection"] as? [String: Any])?["userVerification"] as? String == "required")
        #expect(object?["attestation"] as? String == "none")
        #expect(object?["hints"] == nil)
        let decoded = try JSONDecoder().decode(PublicKeyCredentialCreationOptionsJSON.self, from: try JSONEncoder().encode(creation))
        #expect(decoded == creation)

        let request = rp.requestOptions(challenge: [1], allowCredentials: [record], userVerification: .discouraged)
        let requestObject = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(request)) as? [String: Any]
        #expect(requestObject?["rpId"] as? String == "example.org")
        #expect(requestObject?["userVerification"] as? String == "discouraged")
        #expect((requestObject?["allowCredentials"] as? [[String: Any]])?.first?["transports"] as? [String] == ["usb", "nfc"])
        #expect(try JSONDecoder().decode(PublicKeyCredentialRequestOptionsJSON.self, from: try JSONEncoder().encode(request)) == request)
    }

    @Test func challengesComeFromTheInjectedSource() {
        struct Counting: RandomSource {
            func bytes(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0) } }
        }
        #expect(RelyingParty.makeChallenge(random: Counting()) == Array(0..<32))
        #expect(RelyingParty.makeChallenge(random: Counting(), length: 4).count == 16)
    }
}
