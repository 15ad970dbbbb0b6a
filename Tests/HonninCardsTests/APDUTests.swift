import HonninCards
import HonninCore
import Testing

@Suite("ISO/IEC 7816-4 APDUs")
struct APDUTests {
    static func hex(_ s: String) -> [UInt8] { Bytes.fromHex(s.split(separator: " ").joined())! }

    // Expected encodings written out from ISO/IEC 7816-4 §5.1 Table 1 by hand.
    static let encodings: [(CommandAPDU, String, Int, Bool)] = [
        (CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80), "00 20 00 80", 1, false),
        (CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 4), "00 B0 00 00 04", 2, false),
        (CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x01, p2: 0x04, le: 256), "00 B0 01 04 00", 2, false),
        (CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 255), "00 B0 00 00 FF", 2, false),
        (CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x02, p2: 0x0C, data: [0x00, 0x06]), "00 A4 02 0C 02 00 06", 3, false),
        (
            CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0x00, p2: 0x80, data: [1, 2, 3], le: 256), "80 2A 00 80 03 01 02 03 00", 4,
            false
        ),
        (CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 257), "00 B0 00 00 00 01 01", 2, true),
        (CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 65536), "00 B0 00 00 00 00 00", 2, true),
        (CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 65535), "00 B0 00 00 00 FF FF", 2, true),
    ]

    @Test("short and extended encodings, cases 1–4", arguments: 0..<encodings.count)
    func encoding(_ index: Int) throws {
        let (command, expected, apduCase, extended) = Self.encodings[index]
        #expect(command.bytes == Self.hex(expected))
        #expect(command.apduCase == apduCase)
        #expect(command.isExtended == extended)
        #expect(try CommandAPDU(bytes: command.bytes) == command)
    }

    @Test("extended Lc: case 3E and 4E")
    func extendedData() throws {
        let data = [UInt8](repeating: 0xAB, count: 300)
        let c3 = CommandAPDU(cla: 0x00, ins: 0xDA, p1: 0, p2: 0, data: data)
        #expect(Array(c3.bytes.prefix(7)) == Self.hex("00 DA 00 00 00 01 2C"))
        #expect(c3.bytes.count == 7 + 300)
        let c4 = CommandAPDU(cla: 0x00, ins: 0xDA, p1: 0, p2: 0, data: data, le: 256)
        #expect(Array(c4.bytes.suffix(2)) == [0x01, 0x00])
        #expect(c4.bytes.count == 7 + 300 + 2)
        // A short Lc with an extended Le also switches the whole command to the extended form.
        let c4b = CommandAPDU(cla: 0x00, ins: 0xDA, p1: 0, p2: 0, data: [1], le: 65536)
        #expect(c4b.bytes == Self.hex("00 DA 00 00 00 00 01 01 00 00"))
        for c in [c3, c4, c4b] { #expect(try CommandAPDU(bytes: c.bytes) == c) }
    }

    @Test("malformed command bytes are refused", arguments: [
        "", "00 A4 04", "00 A4 04 0C 05 01 02", "00 A4 04 0C 02 01 02 03 04", "00 A4 04 0C 00 00",
        "00 A4 04 0C 00 00 02 01", "00 A4 04 0C 00 00 00 01",
    ])
    func malformedCommand(_ text: String) {
        #expect(throws: CardError.malformedCommand) { try CommandAPDU(bytes: Self.hex(text)) }
    }

    @Test("a command prints no data bytes (they may be a PIN)")
    func descriptionHidesData() {
        let c = CommandAPDU(cla: 0x00, ins: 0x20, p1: 0x00, p2: 0x80, data: Array("ABC123".utf8))
        #expect(c.description == "00200080 Lc=6")
        #expect(!"\(c)".contains("414243"))
    }

    @Test("responses: data and status words; fewer than two bytes is malformed")
    func responses() throws {
        let r = try ResponseAPDU(bytes: [0x01, 0x02, 0x90, 0x00])
        #expect(r.data == [1, 2])
        #expect(r.sw == .success && r.sw.isSuccess)
        #expect(r.bytes == [0x01, 0x02, 0x90, 0x00])
        let empty = try ResponseAPDU(bytes: [0x6A, 0x82])
        #expect(empty.data.isEmpty && empty.sw == .fileNotFound && !empty.sw.isSuccess)
        #expect(throws: CardError.malformedResponse) { try ResponseAPDU(bytes: []) }
        #expect(throws: CardError.malformedResponse) { try ResponseAPDU(bytes: [0x90]) }
    }

    @Test("status words: retries, lengths and bilingual meanings with stable ids")
    func statusWords() {
        #expect(StatusWord(0x63C4).retriesLeft == 4)
        #expect(StatusWord(0x63C0).retriesLeft == 0)
        #expect(StatusWord(0x6300).retriesLeft == nil)
        #expect(StatusWord.success.retriesLeft == nil)
        #expect(StatusWord(0x6110).bytesAvailable == 16)
        #expect(StatusWord(0x6100).bytesAvailable == 256)
        #expect(StatusWord(0x6C20).exactLength == 32)
        #expect(StatusWord(sw1: 0x69, sw2: 0x82) == .securityStatusNotSatisfied)
        #expect(StatusWord(0x6982).value == 0x6982)
        #expect(StatusWord(0x6982).description == "6982")
        #expect(StatusWord(0x63C2).meaning.id == "card.sw.63Cx")
        #expect(StatusWord(0x63C2).meaning.ja.contains("残り2回"))
        #expect(StatusWord(0x6A82).meaning == LocalizedMessage(
            id: "card.sw.6A82", ja: "ファイルまたはアプリケーションが見つかりません。", en: "File or application not found."))
        #expect(StatusWord(0x9000).meaning.en == "Normal processing.")
        #expect(StatusWord(0x1234).meaning.id == "card.sw.1234")
        #expect(StatusWord(0x1234).meaning.en.contains("Unknown"))
        // Every named constant has its own text, not the unknown fallback.
        for sw: StatusWord in [
            .success, .endOfFileReached, .wrongLength, .incompatibleFileStructure, .securityStatusNotSatisfied,
            .authenticationMethodBlocked, .referenceDataNotUsable, .conditionsOfUseNotSatisfied, .noCurrentEF,
            .incorrectData, .fileNotFound, .incorrectP1P2, .wrongP1P2, .insNotSupported, .claNotSupported,
            .noPreciseDiagnosis,
        ] {
            #expect(!sw.meaning.en.hasPrefix("Unknown"), "\(sw)")
            #expect(!sw.meaning.ja.hasPrefix("不明"), "\(sw)")
        }
    }

    @Test("PIN and card error texts")
    func messages() {
        #expect(PINError.wrong(triesLeft: 2).message.ja == "暗証番号が違います。残り2回です。")
        #expect(PINError.wrong(triesLeft: 2).message.en == "The PIN is wrong. 2 tries left.")
        #expect(PINError.wrong(triesLeft: 1).message.en == "The PIN is wrong. 1 try left.")
        #expect(PINError.locked.message.ja == "暗証番号がロックされています。市区町村の窓口で解除してください。")
        #expect(PINError.locked.message.id == "card.pin.locked")
        #expect(PINError.invalidFormat(.signature).message.id == "card.pin.invalid_format.signature")
        #expect(PINError.invalidFormat(.userAuthentication).message.ja.contains("4桁"))
        #expect(CardError.pin(.locked).code == "pin_locked")
        #expect(CardError.pin(.locked).message == PINError.locked.message)
        #expect(CardError.transport("x").message.id == "card.error.card_transport")
        let codes = [
            CardError.transport(""), .cancelled, .malformedCommand, .malformedResponse,
            .unexpectedStatus(.success, command: ""), .fileNotFound, .securityStatusNotSatisfied,
            .pin(.invalidFormat(.signature)), .pin(.wrong(triesLeft: 1)), .pin(.locked), .malformedData(""),
            .invalidArgument(""),
        ].map(\.code)
        #expect(Set(codes).count == codes.count)
    }

    @Test("DigestInfo prefixes (RFC 8017 §9.2 Note 1) and length checks")
    func digestInfo() throws {
        let h = [UInt8](repeating: 7, count: 32)
        #expect(DigestInfo.sha256(h) == Self.hex("3031300d060960864801650304020105000420") + h)
        #expect(DigestInfo.sha384([UInt8](repeating: 0, count: 48)).count == 19 + 48)
        #expect(DigestInfo.sha512([UInt8](repeating: 0, count: 64)).count == 19 + 64)
        #expect(throws: CardError.self) { try DigestInfo.encode(h, algorithm: .sha384) }
        let decoded = try #require(DigestInfo.decode(DigestInfo.sha256(h)))
        #expect(decoded.algorithm == .sha256 && decoded.hash == h)
        #expect(DigestInfo.decode(Array(DigestInfo.sha256(h).dropLast())) == nil)
    }
}

/// A transport that answers from a script and records what it was sent.
actor ScriptedTransport: CardTransport {
    var script: [ResponseAPDU]
    private(set) var sent: [CommandAPDU] = []
    init(_ script: [ResponseAPDU]) { self.script = script }
    func transmit(_ command: CommandAPDU) async throws -> ResponseAPDU {
        sent.append(command)
        return script.isEmpty ? ResponseAPDU(sw: StatusWord(0x6100)) : script.removeFirst()
    }
}

@Suite("61 xx and 6C xx completion (ISO/IEC 7816-4 §7.6.1)")
struct CompletionTests {
    @Test("61 xx is followed by GET RESPONSE until 90 00, data concatenated")
    func getResponse() async throws {
        let t = ScriptedTransport([
            ResponseAPDU(sw: StatusWord(0x6104)),
            ResponseAPDU(data: [1, 2, 3, 4], sw: StatusWord(0x6102)),
            ResponseAPDU(data: [5, 6], sw: .success),
        ])
        let r = try await t.completingResponses.transmit(CommandAPDU(cla: 0x80, ins: 0x2A, p1: 0, p2: 0x80, data: [1], le: 256))
        #expect(r == ResponseAPDU(data: [1, 2, 3, 4, 5, 6], sw: .success))
        let sent = await t.sent
        #expect(sent.count == 3)
        #expect(sent[1].bytes == [0x00, 0xC0, 0x00, 0x00, 0x04])
        #expect(sent[2].bytes == [0x00, 0xC0, 0x00, 0x00, 0x02])
    }

    @Test("6C xx resends the command once with the exact Le")
    func wrongLength() async throws {
        let t = ScriptedTransport([ResponseAPDU(sw: StatusWord(0x6C20)), ResponseAPDU(data: Array(repeating: 0x41, count: 32), sw: .success)])
        let command = CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 256)
        let r = try await t.completingResponses.transmit(command)
        #expect(r.data.count == 32)
        let sent = await t.sent
        #expect(sent == [command, CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 32)])
    }

    @Test("an endless 61 xx chain ends with malformedResponse")
    func endlessChain() async {
        let t = ScriptedTransport([])
        await #expect(throws: CardError.malformedResponse) {
            _ = try await t.completingResponses.transmit(CommandAPDU(cla: 0, ins: 0xB0, p1: 0, p2: 0, le: 4))
        }
        #expect(await t.sent.count <= 302)
    }
}
