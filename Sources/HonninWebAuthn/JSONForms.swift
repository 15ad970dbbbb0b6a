import Foundation
import HonninCore

// The JSON forms of WebAuthn L3 §5.1.8–§5.1.10 (`toJSON()`, `parseCreationOptionsFromJSON()`,
// `parseRequestOptionsFromJSON()`): what a browser sends to, and receives from, the server.

/// Bytes carried as a base64url string without padding (RFC 4648 §5; WebAuthn `Base64URLString`).
/// Decoding refuses anything outside the alphabet, padding and non-canonical trailing bits.
public struct Base64URLBytes: Codable, Sendable, Hashable, ExpressibleByArrayLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(arrayLiteral elements: UInt8...) { bytes = elements }

    /// Nil when `text` is not canonical unpadded base64url.
    public init?(base64URL text: String) {
        guard let bytes = Bytes.fromBase64URL(text) else { return nil }
        self.bytes = bytes
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Base64URLBytes(base64URL: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not base64url"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Bytes.base64URL(bytes))
    }

    public var description: String { Bytes.base64URL(bytes) }
}


// MARK: §5.1.8 responses

/// `RegistrationResponseJSON` and `AuthenticationResponseJSON` (§5.1.8): what
/// `PublicKeyCredential.toJSON()` gives after `create()` and `get()`; they differ only in `response`.
///
/// Decoding is lenient where browsers and libraries differ and the spec's copies are redundant:
/// `clientExtensionResults` defaults to `{}`, and the attestation response's `authenticatorData`,
/// `publicKey`, `publicKeyAlgorithm` and `transports` (copies of what the attestation object
/// holds, §5.2.1.1) may be absent; the ceremony reads the attestation object only.
public struct PublicKeyCredentialJSON<Response: Codable & Sendable & Hashable & JSONValueDecodable>: Codable, Sendable, Hashable, JSONValueDecodable {
    public var id: String
    public var rawId: Base64URLBytes
    public var response: Response
    public var authenticatorAttachment: String?
    public var clientExtensionResults: JSONValue
    public var type: String

    public init(
        id: String, rawId: Base64URLBytes, response: Response, authenticatorAttachment: String? = nil,
        clientExtensionResults: JSONValue = .emptyObject, type: String = "public-key"
    ) {
        self.id = id
        self.rawId = rawId
        self.response = response
        self.authenticatorAttachment = authenticatorAttachment
        self.clientExtensionResults = clientExtensionResults
        self.type = type
    }

    public init(json: JSONMembers) throws(JSONShapeError) {
        id = try json.string("id")
        rawId = try json.string("rawId", as: Base64URLBytes.init(base64URL:))
        response = try json.decode("response")
        authenticatorAttachment = try json.optionalString("authenticatorAttachment")
        switch json["clientExtensionResults"] {
        case nil, .null: clientExtensionResults = .emptyObject
        case .object(let results): clientExtensionResults = .object(results)
        default: throw JSONShapeError(.wrongType, path: json.path + ["clientExtensionResults"])
        }
        type = try json.string("type")
    }

    public init(from decoder: any Decoder) throws { try self.init(decodingFrom: decoder) }

    /// Decodes the JSON text a browser posted, with the strict ``JSONReader`` (RFC 8259, unique
    /// member names: a duplicated `signature` or `clientDataJSON` is refused, not resolved).
    public static func parse(_ json: [UInt8]) throws(WebAuthnError) -> Self {
        do throws(JSONParseError) {
            return try Self(parsing: json)
        } catch {
            throw WebAuthnError(.malformed, "\(Self.name) does not parse: \(error)")
        }
    }

    static var name: String { Response.self is AuthenticatorAssertionResponseJSON.Type ? "AuthenticationResponseJSON" : "RegistrationResponseJSON" }
}

public typealias RegistrationResponseJSON = PublicKeyCredentialJSON<AuthenticatorAttestationResponseJSON>
public typealias AuthenticationResponseJSON = PublicKeyCredentialJSON<AuthenticatorAssertionResponseJSON>

/// `AuthenticatorAttestationResponseJSON` (§5.1.8).
public struct AuthenticatorAttestationResponseJSON: Codable, Sendable, Hashable, JSONValueDecodable {
    public var clientDataJSON: Base64URLBytes
    public var authenticatorData: Base64URLBytes?
    public var transports: [String]?
    public var publicKey: Base64URLBytes?
    public var publicKeyAlgorithm: Int?
    public var attestationObject: Base64URLBytes

    public init(
        clientDataJSON: Base64URLBytes, attestationObject: Base64URLBytes, transports: [String]? = nil, authenticatorData: Base64URLBytes? = nil,
        publicKey: Base64URLBytes? = nil, publicKeyAlgorithm: Int? = nil
    ) {
        self.clientDataJSON = clientDataJSON
        self.attestationObject = attestationObject
        self.transports = transports
        self.authenticatorData = authenticatorData
        self.publicKey = publicKey
        self.publicKeyAlgorithm = publicKeyAlgorithm
    }

    public init(json: JSONMembers) throws(JSONShapeError) {
        clientDataJSON = try json.string("clientDataJSON", as: Base64URLBytes.init(base64URL:))
        attestationObject = try json.string("attestationObject", as: Base64URLBytes.init(base64URL:))
        authenticatorData = try json.optionalString("authenticatorData", as: Base64URLBytes.init(base64URL:))
        transports = try json.optionalStrings("transports")
        publicKey = try json.optionalString("publicKey", as: Base64URLBytes.init(base64URL:))
        publicKeyAlgorithm = try json.optionalInt("publicKeyAlgorithm")
    }

    public init(from decoder: any Decoder) throws { try self.init(decodingFrom: decoder) }
}

/// `AuthenticatorAssertionResponseJSON` (§5.1.8).
public struct AuthenticatorAssertionResponseJSON: Codable, Sendable, Hashable, JSONValueDecodable {
    public var clientDataJSON: Base64URLBytes
    public var authenticatorData: Base64URLBytes
    public var signature: Base64URLBytes
    public var userHandle: Base64URLBytes?

    public init(clientDataJSON: Base64URLBytes, authenticatorData: Base64URLBytes, signature: Base64URLBytes, userHandle: Base64URLBytes? = nil) {
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle
    }

    public init(json: JSONMembers) throws(JSONShapeError) {
        clientDataJSON = try json.string("clientDataJSON", as: Base64URLBytes.init(base64URL:))
        authenticatorData = try json.string("authenticatorData", as: Base64URLBytes.init(base64URL:))
        signature = try json.string("signature", as: Base64URLBytes.init(base64URL:))
        userHandle = try json.optionalString("userHandle", as: Base64URLBytes.init(base64URL:))
    }

    public init(from decoder: any Decoder) throws { try self.init(decodingFrom: decoder) }
}

// MARK: §5.1.9 / §5.1.10 options

/// `PublicKeyCredentialRpEntity` (§5.4.2).
public struct PublicKeyCredentialRpEntity: Codable, Sendable, Hashable {
    public var id: String?
    public var name: String

    public init(id: String?, name: String) {
        self.id = id
        self.name = name
    }
}

/// `PublicKeyCredentialUserEntityJSON` (§5.1.9).
public struct PublicKeyCredentialUserEntityJSON: Codable, Sendable, Hashable {
    /// The user handle: opaque, at most 64 bytes, never personal data (§5.4.3).
    public var id: Base64URLBytes
    public var name: String
    public var displayName: String

    public init(id: Base64URLBytes, name: String, displayName: String) {
        self.id = id
        self.name = name
        self.displayName = displayName
    }
}

/// `PublicKeyCredentialParameters` (§5.3).
public struct PublicKeyCredentialParameters: Codable, Sendable, Hashable {
    public var type: String
    public var alg: Int

    public init(type: String = "public-key", alg: Int) {
        self.type = type
        self.alg = alg
    }
}

/// `PublicKeyCredentialDescriptorJSON` (§5.1.9).
public struct PublicKeyCredentialDescriptorJSON: Codable, Sendable, Hashable {
    public var type: String
    public var id: Base64URLBytes
    public var transports: [String]?

    public init(type: String = "public-key", id: Base64URLBytes, transports: [String]? = nil) {
        self.type = type
        self.id = id
        self.transports = transports
    }
}

/// `AuthenticatorSelectionCriteria` (§5.4.4).
public struct AuthenticatorSelectionCriteria: Codable, Sendable, Hashable {
    public var authenticatorAttachment: String?
    public var residentKey: String?
    public var requireResidentKey: Bool?
    public var userVerification: String?

    public init(authenticatorAttachment: String? = nil, residentKey: String? = nil, requireResidentKey: Bool? = nil, userVerification: String? = nil) {
        self.authenticatorAttachment = authenticatorAttachment
        self.residentKey = residentKey
        self.requireResidentKey = requireResidentKey
        self.userVerification = userVerification
    }
}

/// `PublicKeyCredentialCreationOptionsJSON` (§5.1.9): options for `create()`, sent to the browser.
public struct PublicKeyCredentialCreationOptionsJSON: Codable, Sendable, Hashable {
    public var rp: PublicKeyCredentialRpEntity
    public var user: PublicKeyCredentialUserEntityJSON
    public var challenge: Base64URLBytes
    public var pubKeyCredParams: [PublicKeyCredentialParameters]
    public var timeout: UInt32?
    public var excludeCredentials: [PublicKeyCredentialDescriptorJSON]?
    public var authenticatorSelection: AuthenticatorSelectionCriteria?
    public var hints: [String]?
    public var attestation: String?
    public var attestationFormats: [String]?
    public var extensions: JSONValue?

    public init(
        rp: PublicKeyCredentialRpEntity, user: PublicKeyCredentialUserEntityJSON, challenge: Base64URLBytes,
        pubKeyCredParams: [PublicKeyCredentialParameters], timeout: UInt32? = nil, excludeCredentials: [PublicKeyCredentialDescriptorJSON]? = nil,
        authenticatorSelection: AuthenticatorSelectionCriteria? = nil, hints: [String]? = nil, attestation: String? = nil,
        attestationFormats: [String]? = nil, extensions: JSONValue? = nil
    ) {
        self.rp = rp
        self.user = user
        self.challenge = challenge
        self.pubKeyCredParams = pubKeyCredParams
        self.timeout = timeout
        self.excludeCredentials = excludeCredentials
        self.authenticatorSelection = authenticatorSelection
        self.hints = hints
        self.attestation = attestation
        self.attestationFormats = attestationFormats
        self.extensions = extensions
    }
}

/// `PublicKeyCredentialRequestOptionsJSON` (§5.1.10): options for `get()`, sent to the browser.
public struct PublicKeyCredentialRequestOptionsJSON: Codable, Sendable, Hashable {
    public var challenge: Base64URLBytes
    public var timeout: UInt32?
    public var rpId: String?
    public var allowCredentials: [PublicKeyCredentialDescriptorJSON]?
    public var userVerification: String?
    public var hints: [String]?
    public var extensions: JSONValue?

    public init(
        challenge: Base64URLBytes, timeout: UInt32? = nil, rpId: String? = nil, allowCredentials: [PublicKeyCredentialDescriptorJSON]? = nil,
        userVerification: String? = nil, hints: [String]? = nil, extensions: JSONValue? = nil
    ) {
        self.challenge = challenge
        self.timeout = timeout
        self.rpId = rpId
        self.allowCredentials = allowCredentials
        self.userVerification = userVerification
        self.hints = hints
        self.extensions = extensions
    }
}
