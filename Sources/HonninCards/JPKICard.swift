import HonninCore

/// Constants of the 公的個人認証 application (JPKI-AP) on the My Number Card.
///
/// Source: research notes `ic-chip-protocols.md` §1.1–1.4 (jpki/myna `src/jpki.rs`,
/// `src/reader.rs`; siketyan/jpki-rs `core/src/ap/crypto.rs`; OpenSC `card-jpki.c`;
/// AokiApp/jsapdu), each marked confirmed there.
public enum JPKI {
    /// JPKI-AP, selected by DF name: `D3 92 F0 00 26 01 00 00 00 01` (§1.1).
    public static let applicationID: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]

    /// Elementary files of JPKI-AP, selected by FID with `00 A4 02 0C 02 FID` (§1.2).
    public enum FileID {
        public static let signatureCertificate: UInt16 = 0x0001
        public static let signatureCACertificate: UInt16 = 0x0002
        public static let tokenInfo: UInt16 = 0x0006
        public static let userAuthenticationCertificate: UInt16 = 0x000A
        public static let userAuthenticationCACertificate: UInt16 = 0x000B
        public static let userAuthenticationKey: UInt16 = 0x0017
        public static let userAuthenticationPIN: UInt16 = 0x0018
        public static let signatureKey: UInt16 = 0x001A
        public static let signaturePIN: UInt16 = 0x001B
    }

    /// Token info (EF `0006`, 32 ASCII bytes, space padded) of a My Number Card (§1.2).
    public static let myNumberCardToken = "JPKIAPICCTOKEN2"
    /// Token info of the smartphone certificate in an Android secure element (§1.2).
    public static let androidToken = "JPKIAPGPSETOKEN"
    /// Token info of the old 住基カード (§1.2).
    public static let juukiCardToken = "JPKIAPICCTOKEN"
}

extension JPKIPIN {
    /// The PIN's internal EF, selected before VERIFY (§1.2–1.3).
    public var fileID: UInt16 {
        switch self {
        case .signature: JPKI.FileID.signaturePIN
        case .userAuthentication: JPKI.FileID.userAuthenticationPIN
        }
    }

    /// The private key this PIN unlocks, selected before COMPUTE DIGITAL SIGNATURE (§1.4).
    public var keyFileID: UInt16 {
        switch self {
        case .signature: JPKI.FileID.signatureKey
        case .userAuthentication: JPKI.FileID.userAuthenticationKey
        }
    }
}

/// The four certificates of JPKI-AP (research notes §1.2).
public enum JPKICertificate: String, Sendable, Hashable, CaseIterable {
    /// 署名用電子証明書 (EF `0001`): readable only after the signature PIN is verified.
    case signature
    /// The signing CA's certificate (EF `0002`): free.
    case signatureCA
    /// 利用者証明用電子証明書 (EF `000A`): free on the card, needs the user PIN on an Android token.
    case userAuthentication
    /// The user-authentication CA's certificate (EF `000B`): free.
    case userAuthenticationCA

    public var fileID: UInt16 {
        switch self {
        case .signature: JPKI.FileID.signatureCertificate
        case .signatureCA: JPKI.FileID.signatureCACertificate
        case .userAuthentication: JPKI.FileID.userAuthenticationCertificate
        case .userAuthenticationCA: JPKI.FileID.userAuthenticationCACertificate
        }
    }

    /// The PIN that guards this certificate's key pair (and, for ``signature``, the file itself).
    public var pin: JPKIPIN {
        switch self {
        case .signature, .signatureCA: .signature
        case .userAuthentication, .userAuthenticationCA: .userAuthentication
        }
    }
}

/// The JPKI application of a My Number Card, driven over any ``CardTransport``.
///
/// Every operation starts by selecting JPKI-AP, so operations are independent of each other and
/// of whatever another program selected before. A verified PIN is used inside the same
/// operation that verified it: whether the card keeps it across a new SELECT of the application
/// is not documented publicly, so ``certificate(_:pin:)`` and ``sign(digestInfo:with:pin:)``
/// take the PIN themselves.
///
/// PINs are checked against their format before anything is sent (``JPKIPIN/encode(_:)``): a
/// malformed PIN never costs a try. PIN values travel as `Redacted<String>` and appear in no
/// error or description.
public struct JPKICard: Sendable {
    public let transport: any CardTransport

    /// The largest READ BINARY per command: Le `00` (= 256, ISO/IEC 7816-4 §5.1) in a short APDU.
    public static let maximumReadLength = 256
    /// The largest DigestInfo an RSA-2048 key can sign with PKCS#1 v1.5: k − 11 = 245 bytes
    /// (RFC 8017 §9.2 step 3).
    public static let maximumDigestInfoLength = 245

    public init(transport: any CardTransport) {
        self.transport = transport
    }

    // MARK: - Operations

    /// The token info string (EF `0006`, trailing spaces removed): ``JPKI/myNumberCardToken`` on
    /// a My Number Card.
    ///
    /// 1. SELECT JPKI-AP. 2. SELECT EF `0006`. 3. READ BINARY 32 bytes from offset 0.
    /// 4. Every byte must be printable ASCII (or NUL padding); trailing spaces and NULs are dropped.
    public func tokenInfo() async throws(CardError) -> String {
        try await selectApplication()
        try await selectFile(JPKI.FileID.tokenInfo)
        let bytes = try await readBinary(offset: 0, length: 32)
        guard bytes.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0 }) else {
            throw .malformedData("token info is not ASCII")
        }
        var text = bytes
        while let last = text.last, last == 0x20 || last == 0x00 { text.removeLast() }
        guard !text.contains(0) else { throw .malformedData("token info has NUL inside") }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reads one certificate (DER) from its EF.
    ///
    /// 1. If `pin` is given, check its format (no APDU is sent for a malformed PIN).
    /// 2. SELECT JPKI-AP; if `pin` is given, SELECT the PIN EF and VERIFY (``verify(_:_:)``).
    /// 3. SELECT the certificate EF.
    /// 4. READ BINARY 4 bytes from offset 0 and take the total length from the DER header
    ///    `30 82 LL LL` (also `30 81 LL` and `30 LL`), as OpenSC `card-jpki.c` does (notes §1.2).
    ///    Anything else (a blank EF reads `FF…`) is ``CardError/malformedData(_:)``. Offsets are
    ///    15 bits (P1 bit 8 = 0, ISO/IEC 7816-4 §7.2.3), so a file ends by 32768 bytes.
    /// 5. READ BINARY the rest in chunks of at most 256 bytes, each at the offset reached; a chunk
    ///    longer than asked or an empty chunk is ``CardError/malformedResponse``.
    ///
    /// The signature certificate needs `pin` (the signature PIN); without it the card answers
    /// `69 82` → ``CardError/securityStatusNotSatisfied``. For the other certificates a `pin` is
    /// only needed on an Android token, where the user-authentication certificate is guarded.
    public func certificate(_ which: JPKICertificate, pin: Redacted<String>? = nil) async throws(CardError) -> [UInt8] {
        // 1.
        var encodedPIN: [UInt8]?
        if let pin {
            guard let encoded = which.pin.encode(pin) else { throw .pin(.invalidFormat(which.pin)) }
            encodedPIN = encoded
        }
        // 2.
        try await selectApplication()
        if let encodedPIN {
            try await selectFile(which.pin.fileID)
            try await verifySelected(encodedPIN)
        }
        // 3.
        try await selectFile(which.fileID)
        // 4.
        let header = try await readBinary(offset: 0, length: 4)
        let total = try Self.derLength(header)
        var result = Array(header.prefix(total))
        // 5.
        while result.count < total {
            let length = min(Self.maximumReadLength, total - result.count)
            let chunk = try await readBinary(offset: result.count, length: length)
            guard !chunk.isEmpty else { throw .malformedResponse }
            result += chunk
        }
        return result
    }

    /// How many tries the PIN has left, without using one: VERIFY with no data
    /// (`00 20 00 80`, ISO/IEC 7816-4 §7.5.6; notes §1.3) answers `63 Cx`.
    ///
    /// `90 00` (the PIN is already verified, so its counter was reset) gives
    /// ``JPKIPIN/maximumTries``; `63 C0`, `69 83` and `69 84` give 0 (the notes treat all three
    /// as locked, the card's exact word being unconfirmed).
    public func pinTriesLeft(_ pin: JPKIPIN) async throws(CardError) -> Int {
        try await selectApplication()
        try await selectFile(pin.fileID)
        let response = try await send(CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80), "VERIFY (query)")
        if let n = response.sw.retriesLeft { return n }
        switch response.sw {
        case .success: return pin.maximumTries
        case .authenticationMethodBlocked, .referenceDataNotUsable: return 0
        default: throw Self.error(for: response.sw, "VERIFY (query)")
        }
    }

    /// Verifies a PIN.
    ///
    /// 1. Check the format (``JPKIPIN/encode(_:)``); a malformed PIN throws
    ///    `.pin(.invalidFormat)` and sends nothing.
    /// 2. SELECT JPKI-AP, SELECT the PIN EF, VERIFY `00 20 00 80 Lc PIN` (notes §1.3).
    /// 3. `90 00` → done; `63 Cx` with x ≥ 1 → `.pin(.wrong(triesLeft: x))`; `63 C0`, `69 83`,
    ///    `69 84` → `.pin(.locked)`.
    public func verify(_ pin: JPKIPIN, _ value: Redacted<String>) async throws(CardError) {
        guard let encoded = pin.encode(value) else { throw .pin(.invalidFormat(pin)) }
        try await selectApplication()
        try await selectFile(pin.fileID)
        try await verifySelected(encoded)
    }

    /// Signs a DigestInfo with the key that `key` guards (RSASSA-PKCS1-v1_5; the card pads).
    ///
    /// 1. The DigestInfo must be 1…245 bytes (RSA-2048, RFC 8017 §9.2 step 3); build it with
    ///    ``DigestInfo``. The PIN's format is checked. Nothing is sent if either is wrong.
    /// 2. SELECT JPKI-AP → SELECT the PIN EF → VERIFY → SELECT the key EF (`001A` signature,
    ///    `0017` user authentication) (notes §1.4).
    /// 3. COMPUTE DIGITAL SIGNATURE `80 2A 00 80 Lc DigestInfo 00` → the signature (256 bytes
    ///    for RSA-2048). An empty answer is ``CardError/malformedResponse``.
    public func sign(digestInfo: [UInt8], with key: JPKIPIN, pin: Redacted<String>) async throws(CardError) -> [UInt8] {
        // 1.
        guard (1...Self.maximumDigestInfoLength).contains(digestInfo.count) else {
            throw .invalidArgument("DigestInfo must be 1…\(Self.maximumDigestInfoLength) bytes, got \(digestInfo.count)")
        }
        guard let encoded = key.encode(pin) else { throw .pin(.invalidFormat(key)) }
        // 2.
        try await selectApplication()
        try await selectFile(key.fileID)
        try await verifySelected(encoded)
        try await selectFile(key.keyFileID)
        // 3.
        let name = "COMPUTE DIGITAL SIGNATURE"
        let response = try await send(CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: digestInfo, le: 256), name)
        guard response.sw.isSuccess else { throw Self.error(for: response.sw, name) }
        guard !response.data.isEmpty else { throw .malformedResponse }
        return response.data
    }

    // MARK: - Commands

    /// SELECT by DF name, no response data: `00 A4 04 0C Lc AID` (ISO/IEC 7816-4 §7.1.1).
    func selectApplication() async throws(CardError) {
        let r = try await send(CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x0C, data: JPKI.applicationID), "SELECT AP")
        guard r.sw.isSuccess else { throw Self.error(for: r.sw, "SELECT AP") }
    }

    /// SELECT EF under the current DF by FID: `00 A4 02 0C 02 FID` (ISO/IEC 7816-4 §7.1.1).
    func selectFile(_ fid: UInt16) async throws(CardError) {
        let name = "SELECT EF"
        let r = try await send(
            CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)]), name)
        guard r.sw.isSuccess else { throw Self.error(for: r.sw, name) }
    }

    /// READ BINARY of the current EF: `00 B0 P1 P2 Le`, offset in P1 (bits 7–1) and P2
    /// (ISO/IEC 7816-4 §7.2.3). `62 82` (end of file reached first) is accepted with its data.
    func readBinary(offset: Int, length: Int) async throws(CardError) -> [UInt8] {
        guard offset <= 0x7FFF, (1...Self.maximumReadLength).contains(length) else {
            throw .malformedData("read beyond the 15-bit offset range")
        }
        let name = "READ BINARY"
        let r = try await send(
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(offset & 0xFF), le: length), name)
        guard r.sw.isSuccess || r.sw == .endOfFileReached else { throw Self.error(for: r.sw, name) }
        guard r.data.count <= length else { throw .malformedResponse }
        return r.data
    }

    /// VERIFY with data on the PIN EF selected just before (`00 20 00 80 Lc PIN`; notes §1.3).
    func verifySelected(_ encodedPIN: [UInt8]) async throws(CardError) {
        let name = "VERIFY"
        let r = try await send(CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: encodedPIN), name)
        if r.sw.isSuccess { return }
        if let n = r.sw.retriesLeft { throw .pin(n == 0 ? .locked : .wrong(triesLeft: n)) }
        switch r.sw {
        case .authenticationMethodBlocked, .referenceDataNotUsable: throw .pin(.locked)
        default: throw Self.error(for: r.sw, name)
        }
    }

    /// Sends through ``ResponseCompletion`` and turns every foreign error into a ``CardError``.
    func send(_ command: CommandAPDU, _ name: String) async throws(CardError) -> ResponseAPDU {
        do {
            return try await ResponseCompletion.transmit(command, over: transport)
        } catch let error as CardError {
            throw error
        } catch is CancellationError {
            throw .cancelled
        } catch {
            throw .transport("\(name): \(error)")
        }
    }

    /// The typed error for a status word that is not success.
    static func error(for sw: StatusWord, _ command: String) -> CardError {
        switch sw {
        case .fileNotFound: .fileNotFound
        case .securityStatusNotSatisfied: .securityStatusNotSatisfied
        default: .unexpectedStatus(sw, command: command)
        }
    }

    /// The total length of a DER SEQUENCE from its first bytes (X.690 §8.1.3): short form, or the
    /// long form with one or two length octets. At most 32768 bytes (15-bit READ BINARY offsets).
    static func derLength(_ header: [UInt8]) throws(CardError) -> Int {
        guard header.count >= 2, header[0] == 0x30 else {
            throw .malformedData("certificate EF does not start with a DER SEQUENCE")
        }
        let total: Int
        switch header[1] {
        case 0x00..<0x80:
            total = 2 + Int(header[1])
        case 0x81 where header.count >= 3 && header[2] >= 0x80:
            total = 3 + Int(header[2])
        case 0x82 where header.count >= 4 && header[2] != 0:
            total = 4 + (Int(header[2]) << 8 | Int(header[3]))
        default:
            throw .malformedData("certificate EF has an unsupported DER length")
        }
        guard total <= 0x8000 else { throw .malformedData("certificate longer than a 15-bit offset can reach") }
        return total
    }
}
