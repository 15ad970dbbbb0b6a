import ArgumentParser
import Crypto
import Foundation
import HonninCards
import HonninCore
import HonninHTTP
import HonninPCSC
import HonninPKI

/// `honnin card jpki …`: a My Number Card in a PC/SC reader, used from the command line.
struct CardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card", abstract: "Use an IC card in a PC/SC reader (pcscd).", subcommands: [JPKICommand.self])
}

struct JPKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jpki", abstract: "公的個人認証 (JPKI) on a My Number Card.", subcommands: [Certs.self, Sign.self, VerifyFlow.self, Login.self])

    struct Reader: ParsableArguments {
        @Option(help: "Reader name (default: the first reader with a card).") var reader: String?

        func card() throws -> JPKICard {
            let name: String
            if let reader {
                name = reader
            } else {
                guard let first = try PCSC.readers().first else { throw ValidationError("no card reader found (pcscd running? reader plugged in?)") }
                name = first
            }
            return JPKICard(transport: try PCSC.connect(reader: name))
        }
    }

    struct Certs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the card's token and the certificates readable without a PIN (PEM with --pem).")
        @OptionGroup var reader: Reader
        @Flag(help: "Print the certificates as PEM.") var pem = false

        func run() async throws {
            let card = try reader.card()
            say("token: \(try await card.tokenInfo())")
            for (label, which) in [
                ("signature CA", JPKICertificate.signatureCA), ("user authentication", .userAuthentication),
                ("user authentication CA", .userAuthenticationCA),
            ] {
                let der = try await card.certificate(which)
                say("\(label): \(der.count) bytes, SHA-256 \(Bytes.hex(SHA256.hash(data: der)))")
                if pem {
                    say("-----BEGIN CERTIFICATE-----\n" + Data(der).base64EncodedString(options: [.lineLength64Characters]) + "\n-----END CERTIFICATE-----")
                }
            }
            say("(the signature certificate needs the signature PIN: `honnin card jpki sign` reads it)")
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a challenge (base64url) with the signature key; print JSON {certificate, signature}. The PIN is read without echo.")
        @OptionGroup var reader: Reader
        @Option(help: "The challenge, base64url, as a server's start answer gives it.") var challenge: String

        func run() async throws {
            guard let bytes = Bytes.fromBase64URL(challenge) else { throw ValidationError("the challenge is not base64url") }
            guard let pin = readSecret(prompt: "signature PIN (6–16 letters and digits) / 署名用電子証明書のパスワード: ") else {
                throw ValidationError("no PIN on standard input")
            }
            let signed = try await JPKIFlowClient.sign(bytes, card: try reader.card(), pin: Redacted(pin))
            try printJSON(signed.members)
        }
    }

    struct VerifyFlow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-flow",
            abstract: "Complete a verification's 公的個人認証 step with the card: the hosted URL (…/verify/vfy_…?t=…) from the business.")
        @OptionGroup var reader: Reader
        @Argument(help: "The verification's hosted URL.") var url: String

        func run() async throws {
            guard let pin = readSecret(prompt: "signature PIN (6–16 letters and digits) / 署名用電子証明書のパスワード: ") else {
                throw ValidationError("no PIN on standard input")
            }
            let status = try await JPKIFlowClient.verifyFlow(url: url, card: try reader.card(), pin: Redacted(pin), http: URLSessionHTTPClient())
            say("verification \(status.id): \(status.status)\(status.code.map { " (\($0))" } ?? "")")
            if status.status != "approved" { throw ExitCode(1) }
        }
    }
}

extension JPKICommand {
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign in to a Honnin server with the card's user-authentication certificate (AAL3); prints the session token with --print-token.")
        @OptionGroup var reader: Reader
        @Argument(help: "The server's base URL, e.g. https://id.example.jp") var server: String
        @Flag(help: "Print the session token (for scripts: it is a credential; keep it out of logs).") var printToken = false
        @Flag(
            help: """
                A renewed card: also sign with the signature certificate (its PIN is asked too), so the server links this card \
                to the account whose earlier card was enrolled with the same holder.
                """) var relink = false

        func run() async throws {
            guard let pin = readSecret(prompt: "user PIN (4 digits) / 利用者証明用電子証明書の暗証番号: ") else {
                throw ValidationError("no PIN on standard input")
            }
            var holderPIN: Redacted<String>?
            if relink {
                guard let second = readSecret(prompt: "signature PIN (6–16 letters and digits) / 署名用電子証明書のパスワード: ") else {
                    throw ValidationError("no signature PIN on standard input")
                }
                holderPIN = Redacted(second)
            }
            let result = try await JPKIFlowClient.login(
                server: server, card: try reader.card(), pin: Redacted(pin), holderPIN: holderPIN, http: URLSessionHTTPClient())
            say("signed in: AAL\(result.aal), amr \(result.amr.joined(separator: ","))")
            if printToken { print(result.token.revealed) }
        }
    }
}

/// The card side of the `jpki-signature` method, used by `honnin card jpki` (with a PC/SC reader)
/// and by tests (with the card simulator): the same code either way.
enum JPKIFlowClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A certificate read from the card and its key's signature over a challenge.
    struct SignedChallenge {
        let certificate: [UInt8]
        let signature: [UInt8]

        /// The pair as the JSON API's members (standard base64).
        var members: [String: String] {
            ["certificate": Data(certificate).base64EncodedString(), "signature": Data(signature).base64EncodedString()]
        }
    }

    /// Reads the signature certificate (after the PIN) and signs RSASSA-PKCS1-v1_5 over the
    /// DigestInfo of SHA-256(challenge).
    static func sign(_ challenge: [UInt8], card: JPKICard, pin: Redacted<String>) async throws -> SignedChallenge {
        try await sign(challenge, card: card, with: .signature, pin: pin)
    }

    /// Reads the user-authentication certificate (no PIN needed) and signs with its key (the
    /// 4-digit user PIN).
    static func signForLogin(_ challenge: [UInt8], card: JPKICard, pin: Redacted<String>) async throws -> SignedChallenge {
        try await sign(challenge, card: card, with: .userAuthentication, pin: pin)
    }

    private static func sign(_ challenge: [UInt8], card: JPKICard, with which: JPKICertificate, pin: Redacted<String>) async throws -> SignedChallenge {
        do {
            // Only the signature certificate is guarded by its PIN.
            let certificate = try await card.certificate(which, pin: which == .signature ? pin : nil)
            let signature = try await card.sign(digestInfo: DigestInfo.sha256(Array(SHA256.hash(data: challenge))), with: which.pin, pin: pin)
            return SignedChallenge(certificate: certificate, signature: signature)
        } catch {
            // The card's own words (tries left, locked), in both languages.
            throw Failure(description: "\(error.message.ja) / \(error.message.en)")
        }
    }

    /// `POST /auth/jpki/challenge`, the card signs it, `POST /auth/jpki/login` (bearer transport).
    /// With `holderPIN`, the signature key signs the same challenge too and the pair goes to
    /// `POST /auth/jpki/relink` (a renewed card).
    static func login(server: String, card: JPKICard, pin: Redacted<String>, holderPIN: Redacted<String>? = nil, http: any RevocationHTTPClient) async throws
        -> (aal: Int, amr: [String], token: Redacted<String>)
    {
        guard let url = URL(string: server), url.host != nil, let scheme = url.scheme, ["http", "https"].contains(scheme) else {
            throw Failure(description: "not a server URL: \(server)")
        }
        let base = server.hasSuffix("/") ? String(server.dropLast()) : server
        let headers = [("Content-Type", "application/json"), ("Accept-Language", "ja, en"), ("Honnin-Session-Transport", "bearer")]
        func post(_ path: String, _ object: [String: Any]) async throws -> [String: Any] {
            try await postJSON(base + path, object, headers: headers, http: http)
        }
        let started = try await post("/auth/jpki/challenge", [:])
        guard let challenge = started["challenge"] as? String, let bytes = Bytes.fromBase64URL(challenge) else {
            throw Failure(description: "the server's answer has no challenge")
        }
        let signed = try await signForLogin(bytes, card: card, pin: pin)
        var body: [String: Any] = signed.members.merging(["challenge": challenge]) { a, _ in a }
        if let holderPIN { body["holder"] = try await sign(bytes, card: card, pin: holderPIN).members }
        let done = try await post(holderPIN == nil ? "/auth/jpki/login" : "/auth/jpki/relink", body)
        guard let token = done["session_token"] as? String else { throw Failure(description: "the server issued no session") }
        return ((done["aal"] as? Int) ?? Int(done["aal"] as? Double ?? 0), done["amr"] as? [String] ?? [], Redacted(token))
    }

    /// POSTs `object` as JSON (no body when nil) and returns the answer's object; an answer
    /// outside 2xx becomes a `Failure` with the problem's code, reason and title.
    static func postJSON(_ url: String, _ object: [String: Any]?, headers: [(String, String)], http: any RevocationHTTPClient) async throws
        -> [String: Any]
    {
        let body = try object.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let (status, _, bytes) = try await http.post(url: url, headers: headers, body: Array(body), timeout: 30)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]) ?? [:]
        guard (200..<300).contains(status) else {
            let reason = (json["reason"] as? String).map { " (\($0))" } ?? ""
            throw Failure(description: "\(status) \(json["code"] as? String ?? "error")\(reason): \(json["title"] as? String ?? "")")
        }
        return json
    }

    /// 1. Takes the flow id, the server and the flow token from the hosted URL. 2. `start` gives
    /// the attempt and the challenge. 3. The card signs it. 4. `submit` sends the certificate and
    /// the signature. Returns the flow's status after verification.
    static func verifyFlow(url: String, card: JPKICard, pin: Redacted<String>, http: any RevocationHTTPClient) async throws
        -> (id: String, status: String, code: String?)
    {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host,
            let token = components.queryItems?.first(where: { $0.name == "t" })?.value,
            let id = components.path.split(separator: "/").last.map(String.init), components.path.hasPrefix("/verify/")
        else { throw Failure(description: "not a hosted verification URL (…/verify/vfy_…?t=…)") }
        let base = "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")"
        let methods = "\(base)/v1/verifications/\(id)/methods/jpki-signature"
        let headers = [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json"), ("Accept-Language", "ja, en")]

        func post(_ url: String, _ object: [String: String]?) async throws -> [String: Any] {
            try await postJSON(url, object, headers: headers, http: http)
        }
        let started = try await post("\(methods)/start", nil)
        guard let attempt = started["attempt"] as? String, let plan = started["plan"] as? [String: Any], let challenge = plan["challenge"] as? String,
            let bytes = Bytes.fromBase64URL(challenge)
        else { throw Failure(description: "the server's start answer has no challenge") }
        let signed = try await sign(bytes, card: card, pin: pin)
        let done = try await post("\(methods)/submit", signed.members.merging(["attempt": attempt]) { a, _ in a })
        return (id, done["status"] as? String ?? "unknown", done["result_code"] as? String)
    }
}
