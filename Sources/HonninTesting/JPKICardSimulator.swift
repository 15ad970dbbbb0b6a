import CryptoExtras
import Foundation
import HonninCards
import HonninCore
import HonninPKI

/// A **test-support simulator** of the JPKI application on a My Number Card: a ``CardTransport``
/// that interprets command APDUs the way the card does according to the research notes
/// (`ic-chip-protocols.md` §1.1–1.4, from jpki/myna, OpenSC `card-jpki.c`, siketyan/jpki-rs) and
/// ISO/IEC 7816-4:2005 §5.1.3 (status words) and §7 (commands). It is not a real card: where the
/// card's behaviour is not public, the choice made here is stated.
///
/// What it implements:
///
/// 1. CLA `00` for SELECT/READ BINARY/VERIFY/GET RESPONSE and `80` for COMPUTE DIGITAL
///    SIGNATURE; another class → `6E 00`; an unknown instruction → `6D 00`.
/// 2. SELECT by DF name `00 A4 04 0C` (JPKI-AP only; another AID → `6A 82`) and SELECT EF by
///    FID `00 A4 02 0C 02 FID` under JPKI-AP (unknown FID → `6A 82`); other P1-P2 → `6A 86`.
///    Selecting the application resets the security status (**choice**: ISO allows either).
/// 3. READ BINARY `00 B0 P1 P2 Le` with a 15-bit offset (P1 bit 8 set → `6A 86`); offset past
///    the end → `6B 00`; fewer bytes left than Le → the rest with `62 82`; no current EF →
///    `69 86`; a PIN or key EF → `69 81`; EF `0001` before the signature PIN → `69 82`.
/// 4. VERIFY `00 20 00 80` on the selected PIN EF: no data → `63 Cx` (no try used; `90 00` once
///    verified); right PIN → `90 00` and the counter back to its maximum; wrong → `63 Cx` with x
///    decremented, `63 C0` on the last one; a locked PIN → `69 84` whatever is sent.
/// 5. COMPUTE DIGITAL SIGNATURE `80 2A 00 80 Lc DigestInfo 00` on the selected key EF, after its
///    PIN: the injected `sign` closure computes RSASSA-PKCS1-v1_5 over the DigestInfo (so this
///    type needs no crypto library); a closure error → `6A 80`.
/// 6. Faults for error tests: a dropped connection at a READ BINARY offset or after N commands
///    (every later command fails too, like a card taken off the reader), and the T=0 style
///    `61 xx` + GET RESPONSE delivery of response data.
///
/// Every command received is recorded in ``commands`` so that tests can count APDUs (the log
/// holds PIN bytes; it is test support and never printed).
public actor JPKICardSimulator: CardTransport {
    /// RSASSA-PKCS1-v1_5 over a DigestInfo: `EMSA-PKCS1-v1_5` encoding (RFC 8017 §9.2 steps 3–5)
    /// then RSASP1 with the private key. Throws when the DigestInfo cannot be signed.
    public typealias Signer = @Sendable (_ digestInfo: [UInt8]) throws -> [UInt8]

    /// What the card holds.
    public struct Configuration: Sendable {
        public var tokenInfo: String = JPKI.myNumberCardToken
        public var signatureCertificate: [UInt8]
        public var signatureCACertificate: [UInt8]
        public var userAuthenticationCertificate: [UInt8]
        public var userAuthenticationCACertificate: [UInt8]
        /// The PIN values as the card stores them (signature PIN in upper case).
        public var signaturePIN: String = "ABC123"
        public var userAuthenticationPIN: String = "1234"
        /// Tries left now (0 = locked).
        public var signaturePINTriesLeft: Int = 5
        public var userAuthenticationPINTriesLeft: Int = 3
        public var signWithSignatureKey: Signer?
        public var signWithUserAuthenticationKey: Signer?
        /// An Android token guards the user-authentication certificate with the user PIN (§1.2).
        public var userAuthenticationCertificateNeedsPIN: Bool = false

        public init(
            signatureCertificate: [UInt8], signatureCACertificate: [UInt8],
            userAuthenticationCertificate: [UInt8], userAuthenticationCACertificate: [UInt8],
            signWithSignatureKey: Signer? = nil, signWithUserAuthenticationKey: Signer? = nil
        ) {
            self.signatureCertificate = signatureCertificate
            self.signatureCACertificate = signatureCACertificate
            self.userAuthenticationCertificate = userAuthenticationCertificate
            self.userAuthenticationCACertificate = userAuthenticationCACertificate
            self.signWithSignatureKey = signWithSignatureKey
            self.signWithUserAuthenticationKey = signWithUserAuthenticationKey
        }
    }

    /// Faults to inject.
    public enum Fault: Sendable, Equatable {
        /// The connection drops when a READ BINARY asks for this offset or beyond (of any EF).
        case dropAtReadOffset(Int)
        /// The connection drops after this many commands have been answered.
        case dropAfterCommands(Int)
        /// Response data comes as `61 xx` and must be fetched with GET RESPONSE, at most
        /// `chunk` bytes per GET RESPONSE (T=0 behaviour, ISO/IEC 7816-3 §12.2).
        case getResponseChaining(chunk: Int)
    }

    /// The error a dropped connection throws (what a reader library reports as "card removed").
    public struct ConnectionDropped: Error, Sendable, CustomStringConvertible {
        public var description: String { "simulated card removed" }
    }

    public private(set) var configuration: Configuration
    public private(set) var faults: [Fault]
    /// Every command received, in order (including GET RESPONSE and refused ones).
    public private(set) var commands: [CommandAPDU] = []

    private var applicationSelected = false
    private var currentEF: UInt16?
    private var verified: Set<JPKIPIN> = []
    private var dropped = false
    private var pending: [UInt8] = []

    public init(_ configuration: Configuration, faults: [Fault] = []) {
        self.configuration = configuration
        self.faults = faults
    }

    /// Tries left for `pin` (test inspection).
    public func triesLeft(_ pin: JPKIPIN) -> Int {
        pin == .signature ? configuration.signaturePINTriesLeft : configuration.userAuthenticationPINTriesLeft
    }

    public func setFaults(_ faults: [Fault]) { self.faults = faults }
    public func clearLog() { commands = [] }

    /// Plugs the card back in: the connection works again, nothing is selected or verified.
    public func reset() {
        dropped = false
        applicationSelected = false
        currentEF = nil
        verified = []
        pending = []
    }

    public func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        commands.append(command)
        if dropped { throw ConnectionDropped() }
        for fault in faults {
            switch fault {
            case .dropAfterCommands(let n) where commands.count > n:
                dropped = true
            case .dropAtReadOffset(let offset) where command.ins == 0xB0 && Self.offset(command) >= offset:
                dropped = true
            default: break
            }
        }
        if dropped { throw ConnectionDropped() }

        var chunk: Int?
        for case .getResponseChaining(let c) in faults { chunk = c }
        if command.cla == 0x00, command.ins == 0xC0 { return getResponse(command, chunk: chunk) }
        pending = []
        let response = interpret(command)
        if let chunk, !response.data.isEmpty, response.sw.isSuccess {
            pending = response.data
            return ResponseAPDU(sw: StatusWord(sw1: 0x61, sw2: UInt8(truncatingIfNeeded: min(chunk, pending.count))))
        }
        return response
    }

    private func getResponse(_ command: CommandAPDU, chunk: Int?) -> ResponseAPDU {
        guard command.p1 == 0, command.p2 == 0 else { return ResponseAPDU(sw: .incorrectP1P2) }
        guard !pending.isEmpty else { return ResponseAPDU(sw: .conditionsOfUseNotSatisfied) }
        let n = min(command.le ?? 256, pending.count)
        let out = Array(pending.prefix(n))
        pending.removeFirst(n)
        if pending.isEmpty { return ResponseAPDU(data: out, sw: .success) }
        let next = min(chunk ?? 256, pending.count)
        return ResponseAPDU(data: out, sw: StatusWord(sw1: 0x61, sw2: UInt8(truncatingIfNeeded: next)))
    }

    private static func offset(_ command: CommandAPDU) -> Int { Int(command.p1 & 0x7F) << 8 | Int(command.p2) }

    private func interpret(_ c: CommandAPDU) -> ResponseAPDU {
        // 1. Class and instruction.
        switch (c.cla, c.ins) {
        case (0x00, 0xA4): return select(c)
        case (0x00, 0xB0): return readBinary(c)
        case (0x00, 0x20): return verify(c)
        case (0x80, 0x2A): return computeDigitalSignature(c)
        case (0x00, _), (0x80, _):
            return [0xA4, 0xB0, 0x20, 0x2A, 0xC0].contains(c.ins)
                ? ResponseAPDU(sw: .claNotSupported) : ResponseAPDU(sw: .insNotSupported)
        default: return ResponseAPDU(sw: .claNotSupported)
        }
    }

    // 2.
    private func select(_ c: CommandAPDU) -> ResponseAPDU {
        switch (c.p1, c.p2) {
        case (0x04, 0x0C):
            guard c.le == nil, !c.data.isEmpty else { return ResponseAPDU(sw: .wrongLength) }
            applicationSelected = false
            currentEF = nil
            verified = []
            guard c.data == JPKI.applicationID else { return ResponseAPDU(sw: .fileNotFound) }
            applicationSelected = true
            return ResponseAPDU(sw: .success)
        case (0x02, 0x0C):
            guard c.data.count == 2, c.le == nil else { return ResponseAPDU(sw: .wrongLength) }
            let fid = UInt16(c.data[0]) << 8 | UInt16(c.data[1])
            guard applicationSelected, Self.knownFiles.contains(fid) else { return ResponseAPDU(sw: .fileNotFound) }
            currentEF = fid
            return ResponseAPDU(sw: .success)
        default:
            return ResponseAPDU(sw: .incorrectP1P2)
        }
    }

    private static let knownFiles: Set<UInt16> = [
        JPKI.FileID.signatureCertificate, JPKI.FileID.signatureCACertificate, JPKI.FileID.tokenInfo,
        JPKI.FileID.userAuthenticationCertificate, JPKI.FileID.userAuthenticationCACertificate,
        JPKI.FileID.userAuthenticationKey, JPKI.FileID.userAuthenticationPIN,
        JPKI.FileID.signatureKey, JPKI.FileID.signaturePIN,
    ]

    private func contents(of fid: UInt16) -> [UInt8]? {
        switch fid {
        case JPKI.FileID.signatureCertificate: configuration.signatureCertificate
        case JPKI.FileID.signatureCACertificate: configuration.signatureCACertificate
        case JPKI.FileID.userAuthenticationCertificate: configuration.userAuthenticationCertificate
        case JPKI.FileID.userAuthenticationCACertificate: configuration.userAuthenticationCACertificate
        case JPKI.FileID.tokenInfo:
            Array(configuration.tokenInfo.utf8.prefix(32)) + Array(repeating: 0x20, count: max(0, 32 - configuration.tokenInfo.utf8.count))
        default: nil
        }
    }

    // 3.
    private func readBinary(_ c: CommandAPDU) -> ResponseAPDU {
        guard c.p1 & 0x80 == 0 else { return ResponseAPDU(sw: .incorrectP1P2) }
        guard c.data.isEmpty, let le = c.le, le <= 256 else { return ResponseAPDU(sw: .wrongLength) }
        guard let fid = currentEF else { return ResponseAPDU(sw: .noCurrentEF) }
        guard let file = contents(of: fid) else { return ResponseAPDU(sw: .incompatibleFileStructure) }
        if fid == JPKI.FileID.signatureCertificate, !verified.contains(.signature) {
            return ResponseAPDU(sw: .securityStatusNotSatisfied)
        }
        if fid == JPKI.FileID.userAuthenticationCertificate, configuration.userAuthenticationCertificateNeedsPIN,
            !verified.contains(.userAuthentication)
        {
            return ResponseAPDU(sw: .securityStatusNotSatisfied)
        }
        let offset = Self.offset(c)
        guard offset < file.count else { return ResponseAPDU(sw: .wrongP1P2) }
        let end = min(file.count, offset + le)
        return ResponseAPDU(data: Array(file[offset..<end]), sw: end - offset < le ? .endOfFileReached : .success)
    }

    // 4.
    private func verify(_ c: CommandAPDU) -> ResponseAPDU {
        guard c.p1 == 0x00, c.p2 == 0x80 else { return ResponseAPDU(sw: .incorrectP1P2) }
        guard c.le == nil else { return ResponseAPDU(sw: .wrongLength) }
        let pin: JPKIPIN
        switch currentEF {
        case JPKI.FileID.signaturePIN: pin = .signature
        case JPKI.FileID.userAuthenticationPIN: pin = .userAuthentication
        default: return ResponseAPDU(sw: .noCurrentEF)
        }
        let left = triesLeft(pin)
        if left == 0 { return ResponseAPDU(sw: .referenceDataNotUsable) }
        if c.data.isEmpty {
            return verified.contains(pin)
                ? ResponseAPDU(sw: .success) : ResponseAPDU(sw: StatusWord(sw1: 0x63, sw2: 0xC0 | UInt8(left)))
        }
        let stored = Array((pin == .signature ? configuration.signaturePIN : configuration.userAuthenticationPIN).utf8)
        if Bytes.constantTimeEqual(c.data, stored) {
            setTries(pin, pin.maximumTries)
            verified.insert(pin)
            return ResponseAPDU(sw: .success)
        }
        setTries(pin, left - 1)
        verified.remove(pin)
        return ResponseAPDU(sw: StatusWord(sw1: 0x63, sw2: 0xC0 | UInt8(left - 1)))
    }

    private func setTries(_ pin: JPKIPIN, _ n: Int) {
        if pin == .signature {
            configuration.signaturePINTriesLeft = n
        } else {
            configuration.userAuthenticationPINTriesLeft = n
        }
    }

    // 5.
    private func computeDigitalSignature(_ c: CommandAPDU) -> ResponseAPDU {
        guard c.p1 == 0x00, c.p2 == 0x80 else { return ResponseAPDU(sw: .incorrectP1P2) }
        guard !c.data.isEmpty, c.le != nil else { return ResponseAPDU(sw: .wrongLength) }
        let pin: JPKIPIN
        let signer: Signer?
        switch currentEF {
        case JPKI.FileID.signatureKey: (pin, signer) = (.signature, configuration.signWithSignatureKey)
        case JPKI.FileID.userAuthenticationKey:
            (pin, signer) = (.userAuthentication, configuration.signWithUserAuthenticationKey)
        default: return ResponseAPDU(sw: .noCurrentEF)
        }
        guard verified.contains(pin) else { return ResponseAPDU(sw: .securityStatusNotSatisfied) }
        guard let signer else { return ResponseAPDU(sw: .conditionsOfUseNotSatisfied) }
        do {
            return ResponseAPDU(data: try signer(c.data), sw: .success)
        } catch {
            return ResponseAPDU(sw: .incorrectData)
        }
    }
}

extension JPKICardSimulator {
    /// RSASSA-PKCS1-v1_5 over a DigestInfo, as the card computes it: EMSA-PKCS1-v1_5 encoding
    /// (RFC 8017 §9.2 steps 3–5: `00 01 FF…FF 00 ‖ DigestInfo`, at least 8 `FF`) followed by the
    /// raw private-key operation RSASP1 (§5.2.1). swift-crypto has no "sign this DigestInfo" API;
    /// its RFC 9474 `blindSignature(for:)` is exactly RSASP1 on a modulus-sized input, so it
    /// serves as the raw operation. Verifiers check the result with ordinary PKCS#1 v1.5
    /// verification over the message, independent of this encoding.
    public static func rsaSigner(_ key: _RSA.Signing.PrivateKey) -> Signer {
        let raw = try! _RSA.BlindSigning.PrivateKey(derRepresentation: key.derRepresentation, parameters: .RSABSSA_SHA384_PSS_Deterministic)
        let k = key.keySizeInBits / 8
        return { digestInfo in
            guard !digestInfo.isEmpty, digestInfo.count <= k - 11 else { throw SignerRefused() }
            let encoded: [UInt8] = [0x00, 0x01] + Array(repeating: 0xFF, count: k - 3 - digestInfo.count) + [0x00] + digestInfo
            return Array(try raw.blindSignature(for: encoded).rawRepresentation)
        }
    }

    struct SignerRefused: Error {}

    /// A simulated My Number Card holding the test JPKI PKI's certificates and subscriber key.
    public static func holding(_ pki: TestJPKI, signatureCertificate: [UInt8], signaturePIN: String = "ABC123") -> JPKICardSimulator {
        var authOptions = TestJPKI.Options()
        authOptions.kind = .userAuthentication
        var configuration = Configuration(
            signatureCertificate: signatureCertificate, signatureCACertificate: pki.signature.rootDER,
            userAuthenticationCertificate: (try? pki.issue(authOptions)) ?? [], userAuthenticationCACertificate: pki.userAuthentication.rootDER,
            signWithSignatureKey: rsaSigner(pki.subscriberKey), signWithUserAuthenticationKey: rsaSigner(pki.subscriberKey))
        configuration.signaturePIN = signaturePIN
        return JPKICardSimulator(configuration)
    }
}

