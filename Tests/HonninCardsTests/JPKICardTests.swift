import Crypto
import CryptoExtras
import HonninCards
import HonninTesting
import HonninCore
import Testing

@Suite("JPKI application against the card simulator")
struct JPKICardTests {
    let signaturePIN = Redacted("ABC123")
    let userPIN = Redacted("1234")

    @Test("token info: SELECT AP, SELECT EF 0006, READ BINARY 32 → JPKIAPICCTOKEN2")
    func tokenInfo() async throws {
        let sim = CardFixtures.simulator()
        #expect(try await JPKICard(transport: sim).tokenInfo() == "JPKIAPICCTOKEN2")
        let sent = await sim.commands.map(\.bytes)
        #expect(sent == [
            [0x00, 0xA4, 0x04, 0x0C, 0x0A] + JPKI.applicationID,
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06],
            [0x00, 0xB0, 0x00, 0x00, 0x20],
        ])
    }

    @Test("each certificate is read whole through READ BINARY chunks at the right offsets", arguments: JPKICertificate.allCases)
    func certificate(_ which: JPKICertificate) async throws {
        let configuration = CardFixtures.configuration()
        let sim = JPKICardSimulator(configuration)
        let pin = which == .signature ? signaturePIN : nil
        let der = try await JPKICard(transport: sim).certificate(which, pin: pin)
        let expected = CardFixtures.expected(which, in: configuration)
        #expect(der == expected)
        #expect((1200...2000).contains(der.count))

        // The READ BINARY commands: 4 header bytes at 0, then ≤ 256 bytes from offset 4 on.
        let reads = await sim.commands.filter { $0.ins == 0xB0 }
        var wanted: [(Int, Int)] = [(0, 4)]
        var offset = 4
        while offset < expected.count {
            let n = min(256, expected.count - offset)
            wanted.append((offset, n))
            offset += n
        }
        #expect(reads.count == wanted.count)
        for (read, (offset, length)) in zip(reads, wanted) {
            #expect(Int(read.p1) << 8 | Int(read.p2) == offset)
            #expect(read.le == length)
            #expect(read.bytes.count == 5)  // short APDU; Le 256 is the byte 00
        }
        // The right EF was selected just before reading.
        let selects = await sim.commands.filter { $0.ins == 0xA4 && $0.p1 == 0x02 }
        let fid = which.fileID
        #expect(selects.last?.data == [UInt8(fid >> 8), UInt8(fid & 0xFF)])
    }

    @Test("certificates with short DER length forms (30 LL, 30 81 LL)", arguments: [100, 129, 131, 258, 260])
    func shortForms(_ total: Int) async throws {
        let sim = CardFixtures.simulator { $0.signatureCACertificate = CardFixtures.certificate(total: total, seed: 9) }
        let der = try await JPKICard(transport: sim).certificate(.signatureCA)
        #expect(der == CardFixtures.certificate(total: total, seed: 9))
    }

    @Test("a blank certificate EF is malformedData, not a crash")
    func blankEF() async {
        let sim = CardFixtures.simulator { $0.userAuthenticationCACertificate = [UInt8](repeating: 0xFF, count: 300) }
        await #expect(throws: CardError.malformedData("certificate EF does not start with a DER SEQUENCE")) {
            _ = try await JPKICard(transport: sim).certificate(.userAuthenticationCA)
        }
    }

    @Test("the signature certificate is refused before VERIFY and readable after")
    func signatureCertificateNeedsPIN() async throws {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        await #expect(throws: CardError.securityStatusNotSatisfied) { _ = try await card.certificate(.signature) }
        // A VERIFY in an earlier operation does not carry over: the next operation re-selects the AP.
        try await card.verify(.signature, signaturePIN)
        await #expect(throws: CardError.securityStatusNotSatisfied) { _ = try await card.certificate(.signature) }
        let der = try await card.certificate(.signature, pin: signaturePIN)
        #expect(der == CardFixtures.configuration().signatureCertificate)
        await #expect(throws: CardError.pin(.wrong(triesLeft: 4))) {
            _ = try await card.certificate(.signature, pin: Redacted("WRONG1"))
        }
    }

    @Test("an Android token guards the user-authentication certificate with the user PIN")
    func androidToken() async throws {
        let sim = CardFixtures.simulator {
            $0.userAuthenticationCertificateNeedsPIN = true
            $0.tokenInfo = JPKI.androidToken
        }
        let card = JPKICard(transport: sim)
        #expect(try await card.tokenInfo() == "JPKIAPGPSETOKEN")
        await #expect(throws: CardError.securityStatusNotSatisfied) { _ = try await card.certificate(.userAuthentication) }
        #expect(try await card.certificate(.userAuthentication, pin: userPIN).count == 1556)
    }

    static let badSignaturePINs = [
        "", "AB12", "ABC12", "ABCDEFGHIJKLMNOP1", "ABCDEFGH", "12345678", "ABC-123", "ABC 123", "ÄBC123", "ｱｲｳ123",
        "ABC123\u{0}", "abcdefghijklmnopq9",
    ]
    static let badUserPINs = ["", "123", "12345", "12a4", "１２３", "12 4", "-123"]

    @Test("malformed signature PINs are refused without sending any APDU", arguments: badSignaturePINs)
    func badSignaturePIN(_ value: String) async {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        let refused = CardError.pin(.invalidFormat(.signature))
        await #expect(throws: refused) { try await card.verify(.signature, Redacted(value)) }
        await #expect(throws: refused) { _ = try await card.certificate(.signature, pin: Redacted(value)) }
        await #expect(throws: refused) {
            _ = try await card.sign(digestInfo: DigestInfo.sha256(Array(repeating: 1, count: 32)), with: .signature, pin: Redacted(value))
        }
        #expect(await sim.commands.isEmpty)
        #expect(await sim.triesLeft(.signature) == 5)
    }

    @Test("malformed user PINs are refused without sending any APDU", arguments: badUserPINs)
    func badUserPIN(_ value: String) async {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        await #expect(throws: CardError.pin(.invalidFormat(.userAuthentication))) {
            try await card.verify(.userAuthentication, Redacted(value))
        }
        #expect(await sim.commands.isEmpty)
    }

    @Test("the signature PIN is upper-cased (and full-width forms folded) before VERIFY", arguments: ["abc123", "AbC123", "ＡＢＣ１２３", "ａｂｃ１２３"])
    func upperCasing(_ value: String) async throws {
        let sim = CardFixtures.simulator()
        try await JPKICard(transport: sim).verify(.signature, Redacted(value))
        let verify = await sim.commands.last
        #expect(verify?.bytes == [0x00, 0x20, 0x00, 0x80, 0x06] + Array("ABC123".utf8))
    }

    @Test("the format rules accept the edges: 6 and 16 characters, 4 digits")
    func formatEdges() {
        #expect(JPKIPIN.signature.encode(Redacted("A12345")) != nil)
        #expect(JPKIPIN.signature.encode(Redacted("ABCDEFGHIJKLMNO1")) != nil)
        #expect(JPKIPIN.userAuthentication.encode(Redacted("0000")) == Array("0000".utf8))
        #expect(JPKIPIN.userAuthentication.encode(Redacted("１２３４")) == Array("1234".utf8))
    }

    @Test("wrong signature PIN counts down 4, 3, 2, 1, then locked (63 C0, then 69 84)")
    func signatureCountdown() async throws {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        for left in [4, 3, 2, 1] {
            await #expect(throws: CardError.pin(.wrong(triesLeft: left))) { try await card.verify(.signature, Redacted("WRONG9")) }
            #expect(try await card.pinTriesLeft(.signature) == left)
        }
        await #expect(throws: CardError.pin(.locked)) { try await card.verify(.signature, Redacted("WRONG9")) }
        // Locked: even the right PIN is refused, the card answers 69 84, and the count stays 0.
        await sim.clearLog()
        await #expect(throws: CardError.pin(.locked)) { try await card.verify(.signature, signaturePIN) }
        #expect(await sim.commands.count == 3)
        #expect(try await card.pinTriesLeft(.signature) == 0)
        await #expect(throws: CardError.pin(.locked)) {
            _ = try await card.sign(digestInfo: DigestInfo.sha256(Array(repeating: 0, count: 32)), with: .signature, pin: signaturePIN)
        }
        #expect(await sim.commands.contains { $0.ins == 0x2A } == false)
    }

    @Test("the user PIN has 3 tries")
    func userCountdown() async throws {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        #expect(try await card.pinTriesLeft(.userAuthentication) == 3)
        await #expect(throws: CardError.pin(.wrong(triesLeft: 2))) { try await card.verify(.userAuthentication, Redacted("9999")) }
        await #expect(throws: CardError.pin(.wrong(triesLeft: 1))) { try await card.verify(.userAuthentication, Redacted("9999")) }
        await #expect(throws: CardError.pin(.locked)) { try await card.verify(.userAuthentication, Redacted("9999")) }
        #expect(try await card.pinTriesLeft(.userAuthentication) == 0)
        // The other PIN is untouched.
        #expect(try await card.pinTriesLeft(.signature) == 5)
    }

    @Test("querying the counter uses no try; a right PIN resets it")
    func counterQuery() async throws {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        for _ in 0..<7 { #expect(try await card.pinTriesLeft(.signature) == 5) }
        #expect(await sim.triesLeft(.signature) == 5)
        #expect(await sim.commands.filter { $0.ins == 0x20 }.allSatisfy { $0.data.isEmpty && $0.bytes == [0x00, 0x20, 0x00, 0x80] })
        await #expect(throws: CardError.pin(.wrong(triesLeft: 4))) { try await card.verify(.signature, Redacted("WRONG9")) }
        await #expect(throws: CardError.pin(.wrong(triesLeft: 3))) { try await card.verify(.signature, Redacted("WRONG9")) }
        #expect(try await card.pinTriesLeft(.signature) == 3)
        #expect(try await card.pinTriesLeft(.signature) == 3)
        try await card.verify(.signature, signaturePIN)
        #expect(try await card.pinTriesLeft(.signature) == 5)
    }

    @Test("a card configured with 2 tries left reports 2 and locks after 2 wrong entries")
    func configuredTries() async throws {
        let sim = CardFixtures.simulator { $0.signaturePINTriesLeft = 2 }
        let card = JPKICard(transport: sim)
        #expect(try await card.pinTriesLeft(.signature) == 2)
        await #expect(throws: CardError.pin(.wrong(triesLeft: 1))) { try await card.verify(.signature, Redacted("WRONG9")) }
        await #expect(throws: CardError.pin(.locked)) { try await card.verify(.signature, Redacted("WRONG9")) }
    }

    static let algorithms: [DigestInfo.Algorithm] = [.sha256, .sha384, .sha512]

    @Test("signing a DigestInfo returns an RSASSA-PKCS1-v1_5 signature the public key verifies", arguments: algorithms)
    func sign(_ algorithm: DigestInfo.Algorithm) async throws {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        let message = Array("honnin challenge: flow 01J…, audience https://rp.example, nonce 8f3a".utf8)
        let digestInfo: [UInt8]
        switch algorithm {
        case .sha256: digestInfo = DigestInfo.sha256(Array(SHA256.hash(data: message)))
        case .sha384: digestInfo = DigestInfo.sha384(Array(SHA384.hash(data: message)))
        case .sha512: digestInfo = DigestInfo.sha512(Array(SHA512.hash(data: message)))
        }
        let signature = try await card.sign(digestInfo: digestInfo, with: .signature, pin: Redacted("abc123"))
        #expect(signature.count == 256)
        let publicKey = CardFixtures.signatureKey.publicKey
        let rsa = _RSA.Signing.RSASignature(rawRepresentation: signature)
        let valid: Bool
        switch algorithm {
        case .sha256: valid = publicKey.isValidSignature(rsa, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5)
        case .sha384: valid = publicKey.isValidSignature(rsa, for: SHA384.hash(data: message), padding: .insecurePKCS1v1_5)
        case .sha512: valid = publicKey.isValidSignature(rsa, for: SHA512.hash(data: message), padding: .insecurePKCS1v1_5)
        }
        #expect(valid)
        // Not valid for another message, nor under the user-authentication key.
        #expect(!publicKey.isValidSignature(rsa, for: SHA256.hash(data: message + [0]), padding: .insecurePKCS1v1_5))
        #expect(!CardFixtures.userKey.publicKey.isValidSignature(rsa, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5))

        // The command sequence of research notes §1.4.
        let sent = await sim.commands
        #expect(sent.map(\.ins) == [0xA4, 0xA4, 0x20, 0xA4, 0x2A])
        #expect(sent[1].data == [0x00, 0x1B])
        #expect(sent[3].data == [0x00, 0x1A])
        #expect(sent[4].bytes == [0x80, 0x2A, 0x00, 0x80, UInt8(digestInfo.count)] + digestInfo + [0x00])
    }

    @Test("the user-authentication key signs after the user PIN")
    func signWithUserKey() async throws {
        let sim = CardFixtures.simulator()
        let message = Array("login challenge".utf8)
        let signature = try await JPKICard(transport: sim).sign(
            digestInfo: DigestInfo.sha256(Array(SHA256.hash(data: message))), with: .userAuthentication, pin: userPIN)
        #expect(CardFixtures.userKey.publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5))
        let sent = await sim.commands
        #expect(sent[1].data == [0x00, 0x18])
        #expect(sent[3].data == [0x00, 0x17])
    }

    @Test("a wrong PIN stops signing before COMPUTE DIGITAL SIGNATURE; bad DigestInfo sends nothing")
    func signRefusals() async throws {
        let sim = CardFixtures.simulator()
        let card = JPKICard(transport: sim)
        await #expect(throws: CardError.pin(.wrong(triesLeft: 4))) {
            _ = try await card.sign(digestInfo: DigestInfo.sha256(Array(repeating: 0, count: 32)), with: .signature, pin: Redacted("WRONG9"))
        }
        #expect(await sim.commands.contains { $0.ins == 0x2A } == false)
        await sim.clearLog()
        for bad in [[UInt8](), [UInt8](repeating: 1, count: 246)] {
            await #expect(throws: CardError.self) { _ = try await card.sign(digestInfo: bad, with: .signature, pin: signaturePIN) }
        }
        #expect(await sim.commands.isEmpty)
    }

    @Test("a dropped connection mid-read surfaces as CardError.transport; the card works once back")
    func dropMidRead() async throws {
        let sim = CardFixtures.simulator(faults: [.dropAtReadOffset(700)])
        let card = JPKICard(transport: sim)
        do {
            _ = try await card.certificate(.userAuthenticationCA)
            Issue.record("expected a transport error")
        } catch {
            guard case .transport(let detail) = error else { Issue.record("got \(error)"); return }
            #expect(detail.contains("READ BINARY"))
            #expect(error.message.ja.contains("通信"))
        }
        // Offsets 0, 4, 260, 516 were read; the read at 772 dropped.
        let offsets = await sim.commands.filter { $0.ins == 0xB0 }.map { Int($0.p1) << 8 | Int($0.p2) }
        #expect(offsets == [0, 4, 260, 516, 772])
        // Still gone for the next command, as a card taken off the reader.
        await #expect(throws: CardError.self) { _ = try await card.tokenInfo() }
        await sim.setFaults([])
        await sim.reset()
        #expect(try await card.certificate(.userAuthenticationCA).count == 2000)
    }

    @Test("a dropped connection during signing is a transport error")
    func dropDuringSign() async {
        let sim = CardFixtures.simulator(faults: [.dropAfterCommands(4)])
        await #expect {
            _ = try await JPKICard(transport: sim).sign(
                digestInfo: DigestInfo.sha256(Array(repeating: 0, count: 32)), with: .signature, pin: signaturePIN)
        } throws: { error in
            guard let error = error as? CardError, case .transport = error else { return false }
            return true
        }
    }

    @Test("T=0 delivery (61 xx + GET RESPONSE) is completed transparently", arguments: [17, 100, 256])
    func getResponseChaining(_ chunk: Int) async throws {
        let sim = CardFixtures.simulator(faults: [.getResponseChaining(chunk: chunk)])
        let card = JPKICard(transport: sim)
        #expect(try await card.tokenInfo() == "JPKIAPICCTOKEN2")
        #expect(try await card.certificate(.signature, pin: signaturePIN) == CardFixtures.configuration().signatureCertificate)
        let message = Array("x".utf8)
        let signature = try await card.sign(
            digestInfo: DigestInfo.sha256(Array(SHA256.hash(data: message))), with: .signature, pin: signaturePIN)
        #expect(CardFixtures.signatureKey.publicKey.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5))
        #expect(await sim.commands.contains { $0.ins == 0xC0 })
    }
}

@Suite("JPKI card simulator status words")
struct JPKICardSimulatorTests {
    func run(_ sim: JPKICardSimulator, _ commands: [CommandAPDU]) async throws -> [StatusWord] {
        var out: [StatusWord] = []
        for c in commands { out.append(try await sim.transmit(c).sw) }
        return out
    }

    static let selectAP = CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x0C, data: JPKI.applicationID)
    static func selectEF(_ fid: UInt16) -> CommandAPDU {
        CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x02, p2: 0x0C, data: [UInt8(fid >> 8), UInt8(fid & 0xFF)])
    }

    @Test("class, instruction, parameters, files and security (ISO/IEC 7816-4 §5.1.3)")
    func statusWords() async throws {
        let sim = CardFixtures.simulator()
        let sws = try await run(sim, [
            CommandAPDU(cla: 0x90, ins: 0xA4, p1: 0x04, p2: 0x0C, data: JPKI.applicationID),  // bad class
            CommandAPDU(cla: 0x00, ins: 0xCA, p1: 0x00, p2: 0x00, le: 256),  // GET DATA: not supported
            CommandAPDU(cla: 0x80, ins: 0xA4, p1: 0x04, p2: 0x0C, data: JPKI.applicationID),  // SELECT with CLA 80
            CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x0C, data: [0xD3, 0x92, 0x10, 0x00]),  // other AID
            Self.selectEF(0x0002),  // before SELECT AP
            CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x01, p2: 0x0C, data: [0x00, 0x02]),  // P1 01
            Self.selectAP,
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 4),  // no current EF
            Self.selectEF(0x0099),  // unknown FID
            Self.selectEF(0x0001),
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 4),  // sign cert, no PIN
            Self.selectEF(0x0002),
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 4),
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x7F, p2: 0x00, le: 4),  // past the end
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x85, p2: 0x00, le: 4),  // SFI form
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x05, p2: 0x00, le: 256),  // 1284 − 1280 = 4 bytes left
            CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80),  // VERIFY on a certificate EF
            Self.selectEF(0x001B),
            CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x81),  // wrong P2
            CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80),  // query
            CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 4),  // READ on a PIN EF
            Self.selectEF(0x001A),
            CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: [1], le: 256),  // no PIN verified
            CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x9E, p2: 0x9A, data: [1], le: 256),  // ISO PSO P1-P2
        ])
        #expect(sws.map(\.value) == [
            0x6E00, 0x6D00, 0x6E00, 0x6A82, 0x6A82, 0x6A86, 0x9000, 0x6986, 0x6A82, 0x9000, 0x6982, 0x9000, 0x9000,
            0x6B00, 0x6A86, 0x6282, 0x6986, 0x9000, 0x6A86, 0x63C5, 0x6981, 0x9000, 0x6982, 0x6A86,
        ])
    }
}
