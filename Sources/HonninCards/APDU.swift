import HonninCore

// Command and response APDUs of ISO/IEC 7816-4. Section numbers below are those of
// ISO/IEC 7816-4:2005 (command-response pairs §5.1, status bytes §5.1.3, transmission
// handling §7.6); the 2013/2020 editions keep the same encodings under other clause numbers.

/// A command APDU (ISO/IEC 7816-4 §5.1): a four-byte header, an optional command data field
/// (length Lc = `data.count`) and an optional expected length Le.
///
/// `le` is the number of response bytes expected (Ne): `nil` means no Le field, `256` is
/// encoded as the short Le byte `00`, `65536` as the extended Le `00 00`.
///
/// The encoding is short whenever it can be (Lc ≤ 255 and Ne ≤ 256) and extended otherwise
/// (Lc ≤ 65535, Ne ≤ 65536), following the four cases of ISO/IEC 7816-4 §5.1 (Table 1):
///
/// | case | short | extended |
/// | --- | --- | --- |
/// | 1 | `CLA INS P1 P2` | — |
/// | 2 | `… Le` | `… 00 Le1 Le2` |
/// | 3 | `… Lc data` | `… 00 Lc1 Lc2 data` |
/// | 4 | `… Lc data Le` | `… 00 Lc1 Lc2 data Le1 Le2` |
///
/// `description` shows the header and the lengths only, never the data field, because the
/// data of a VERIFY command is a PIN.
public struct CommandAPDU: Sendable, Equatable, CustomStringConvertible {
    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    /// The command data field (Nc = `data.count` bytes, at most 65535).
    public var data: [UInt8]
    /// The maximum number of response data bytes expected (Ne, 1…65536), or `nil` for no Le field.
    public var le: Int?

    /// The largest command data field (extended Lc).
    public static let maximumDataLength = 65535
    /// The largest expected response length (extended Le `00 00`).
    public static let maximumResponseLength = 65536

    /// Creates a command. A data field longer than 65535 bytes or an Le outside 1…65536 is a
    /// programming error (no card accepts it) and stops the program.
    public init(cla: UInt8, ins: UInt8, p1: UInt8, p2: UInt8, data: [UInt8] = [], le: Int? = nil) {
        precondition(data.count <= Self.maximumDataLength, "command data field longer than 65535 bytes")
        if let le { precondition((1...Self.maximumResponseLength).contains(le), "Le must be 1…65536") }
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.le = le
    }

    /// Whether the command needs the extended length encoding (ISO/IEC 7816-4 §5.1).
    public var isExtended: Bool { data.count > 255 || (le ?? 0) > 256 }

    /// The ISO/IEC 7816-4 case (1–4) of this command.
    public var apduCase: Int {
        switch (data.isEmpty, le == nil) {
        case (true, true): 1
        case (true, false): 2
        case (false, true): 3
        case (false, false): 4
        }
    }

    /// The encoded command (ISO/IEC 7816-4 §5.1, Table 1).
    ///
    /// 1. Header `CLA INS P1 P2`.
    /// 2. Short form: Lc as one byte (1–255) before the data; Le as one byte, 256 → `00`.
    /// 3. Extended form: a `00` marker, then Lc as two bytes; Le as two bytes (65536 → `00 00`),
    ///    preceded by the `00` marker only when there is no Lc field (case 2E).
    public var bytes: [UInt8] {
        var out: [UInt8] = [cla, ins, p1, p2]
        if isExtended {
            if !data.isEmpty {
                out += [0x00, UInt8(data.count >> 8), UInt8(data.count & 0xFF)]
                out += data
            }
            if let le {
                if data.isEmpty { out.append(0x00) }
                let n = le == 65536 ? 0 : le
                out += [UInt8(n >> 8), UInt8(n & 0xFF)]
            }
        } else {
            if !data.isEmpty {
                out.append(UInt8(data.count))
                out += data
            }
            if let le { out.append(le == 256 ? 0x00 : UInt8(le)) }
        }
        return out
    }

    /// Parses an encoded command (the inverse of ``bytes``), for simulators and bridges that
    /// receive raw bytes. Rejects every encoding that ISO/IEC 7816-4 §5.1 does not define
    /// (Lc = 0, a length field that disagrees with the bytes that follow).
    public init(bytes: [UInt8]) throws(CardError) {
        guard bytes.count >= 4 else { throw .malformedCommand }
        let (cla, ins, p1, p2) = (bytes[0], bytes[1], bytes[2], bytes[3])
        let body = Array(bytes.dropFirst(4))
        func short(_ b: UInt8) -> Int { b == 0 ? 256 : Int(b) }
        func long(_ hi: UInt8, _ lo: UInt8) -> Int { let n = Int(hi) << 8 | Int(lo); return n == 0 ? 65536 : n }
        switch body.count {
        case 0:  // case 1
            self.init(cla: cla, ins: ins, p1: p1, p2: p2)
        case 1:  // case 2S
            self.init(cla: cla, ins: ins, p1: p1, p2: p2, le: short(body[0]))
        default:
            if body[0] != 0 {
                // Short Lc: case 3S (exactly Lc data bytes) or 4S (one more byte: Le).
                let lc = Int(body[0])
                if body.count == 1 + lc {
                    self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[1...]))
                } else if body.count == 2 + lc {
                    self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[1...lc]), le: short(body[lc + 1]))
                } else {
                    throw .malformedCommand
                }
            } else if body.count == 3 {  // case 2E: 00 Le1 Le2
                self.init(cla: cla, ins: ins, p1: p1, p2: p2, le: long(body[1], body[2]))
            } else {
                // Extended Lc: 00 Lc1 Lc2 data [Le1 Le2].
                guard body.count > 3 else { throw .malformedCommand }
                let lc = Int(body[1]) << 8 | Int(body[2])
                guard lc > 0 else { throw .malformedCommand }
                if body.count == 3 + lc {
                    self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[3...]))
                } else if body.count == 5 + lc {
                    self.init(
                        cla: cla, ins: ins, p1: p1, p2: p2, data: Array(body[3..<(3 + lc)]),
                        le: long(body[3 + lc], body[4 + lc]))
                } else {
                    throw .malformedCommand
                }
            }
        }
    }

    public var description: String {
        var s = Bytes.hex([cla, ins, p1, p2]).uppercased()
        if !data.isEmpty { s += " Lc=\(data.count)" }
        if let le { s += " Le=\(le)" }
        return s
    }
}

/// A response APDU (ISO/IEC 7816-4 §5.1): an optional response data field followed by the two
/// status bytes SW1 SW2.
public struct ResponseAPDU: Sendable, Equatable, CustomStringConvertible {
    public var data: [UInt8]
    public var sw: StatusWord

    public init(data: [UInt8] = [], sw: StatusWord) {
        self.data = data
        self.sw = sw
    }

    /// Parses a response as received from a reader: at least the two status bytes, which come last.
    /// Fewer than two bytes is ``CardError/malformedResponse``.
    public init(bytes: [UInt8]) throws(CardError) {
        guard bytes.count >= 2 else { throw .malformedResponse }
        self.data = Array(bytes.dropLast(2))
        self.sw = StatusWord(sw1: bytes[bytes.count - 2], sw2: bytes[bytes.count - 1])
    }

    /// The encoded response: data ‖ SW1 ‖ SW2.
    public var bytes: [UInt8] { data + [sw.sw1, sw.sw2] }

    public var description: String { "\(data.count) bytes, SW \(sw)" }
}

/// The status bytes SW1 SW2 that end every response (ISO/IEC 7816-4 §5.1.3, Tables 5 and 6).
public struct StatusWord: Sendable, Hashable, CustomStringConvertible {
    public let sw1: UInt8
    public let sw2: UInt8

    public init(sw1: UInt8, sw2: UInt8) {
        self.sw1 = sw1
        self.sw2 = sw2
    }

    public init(_ value: UInt16) {
        self.sw1 = UInt8(value >> 8)
        self.sw2 = UInt8(value & 0xFF)
    }

    public var value: UInt16 { UInt16(sw1) << 8 | UInt16(sw2) }

    /// `90 00`: normal processing, no further qualification.
    public static let success = StatusWord(0x9000)
    /// `62 82`: end of file reached before reading Le bytes (a warning; data is returned).
    public static let endOfFileReached = StatusWord(0x6282)
    /// `67 00`: wrong length.
    public static let wrongLength = StatusWord(0x6700)
    /// `69 81`: command incompatible with file structure.
    public static let incompatibleFileStructure = StatusWord(0x6981)
    /// `69 82`: security status not satisfied.
    public static let securityStatusNotSatisfied = StatusWord(0x6982)
    /// `69 83`: authentication method blocked.
    public static let authenticationMethodBlocked = StatusWord(0x6983)
    /// `69 84`: reference data not usable (a blocked PIN, for the residence card and our simulator).
    public static let referenceDataNotUsable = StatusWord(0x6984)
    /// `69 85`: conditions of use not satisfied.
    public static let conditionsOfUseNotSatisfied = StatusWord(0x6985)
    /// `69 86`: command not allowed (no current EF).
    public static let noCurrentEF = StatusWord(0x6986)
    /// `6A 80`: incorrect parameters in the command data field.
    public static let incorrectData = StatusWord(0x6A80)
    /// `6A 82`: file or application not found.
    public static let fileNotFound = StatusWord(0x6A82)
    /// `6A 86`: incorrect parameters P1-P2.
    public static let incorrectP1P2 = StatusWord(0x6A86)
    /// `6B 00`: wrong parameters P1-P2 (for READ BINARY: offset outside the EF).
    public static let wrongP1P2 = StatusWord(0x6B00)
    /// `6D 00`: instruction code not supported or invalid.
    public static let insNotSupported = StatusWord(0x6D00)
    /// `6E 00`: class not supported.
    public static let claNotSupported = StatusWord(0x6E00)
    /// `6F 00`: no precise diagnosis.
    public static let noPreciseDiagnosis = StatusWord(0x6F00)

    /// `90 00` only; a warning such as `62 82` or `61 xx` is not success.
    public var isSuccess: Bool { self == .success }

    /// `63 Cx`: the verification failed or was only queried and `x` tries are left
    /// (ISO/IEC 7816-4 §5.1.3 Table 6; §7.5.6 for VERIFY without data).
    public var retriesLeft: Int? { sw1 == 0x63 && sw2 & 0xF0 == 0xC0 ? Int(sw2 & 0x0F) : nil }

    /// `61 xx`: `xx` more response bytes can be fetched with GET RESPONSE (00 = 256).
    public var bytesAvailable: Int? { sw1 == 0x61 ? (sw2 == 0 ? 256 : Int(sw2)) : nil }

    /// `6C xx`: wrong Le; the exact length is `xx` (00 = 256).
    public var exactLength: Int? { sw1 == 0x6C ? (sw2 == 0 ? 256 : Int(sw2)) : nil }

    public var description: String { Bytes.hex([sw1, sw2]).uppercased() }

    /// What the status means, in Japanese and English, with a stable id `card.sw.XXXX`
    /// (`card.sw.63Cx`, `card.sw.61xx`, `card.sw.6Cxx` for the parametrised ones).
    /// Texts restate ISO/IEC 7816-4 §5.1.3 Tables 5 and 6.
    public var meaning: LocalizedMessage {
        if let n = retriesLeft {
            return LocalizedMessage(
                id: "card.sw.63Cx", ja: "照合に失敗しました（残り\(n)回）。", en: "Verification failed (\(n) tries left).")
        }
        if let n = bytesAvailable {
            return LocalizedMessage(
                id: "card.sw.61xx", ja: "応答データがあと\(n)バイトあります。", en: "\(n) more response bytes are available.")
        }
        if let n = exactLength {
            return LocalizedMessage(
                id: "card.sw.6Cxx", ja: "Le が誤りです（正しい長さは\(n)バイト）。", en: "Wrong Le; the exact length is \(n) bytes.")
        }
        let (ja, en): (String, String) =
            switch value {
            case 0x9000: ("正常に終了しました。", "Normal processing.")
            case 0x6281: ("返されたデータが壊れている可能性があります。", "Part of the returned data may be corrupted.")
            case 0x6282: ("Le バイトを読む前にファイルの終わりに達しました。", "End of file reached before reading Le bytes.")
            case 0x6283: ("選択したファイルは無効化されています。", "Selected file deactivated.")
            case 0x6581: ("メモリの障害です。", "Memory failure.")
            case 0x6700: ("長さが誤っています。", "Wrong length.")
            case 0x6881: ("論理チャネルはサポートされていません。", "Logical channel not supported.")
            case 0x6882: ("セキュアメッセージングはサポートされていません。", "Secure messaging not supported.")
            case 0x6981: ("ファイル構造と合わないコマンドです。", "Command incompatible with file structure.")
            case 0x6982: ("セキュリティ条件が満たされていません。", "Security status not satisfied.")
            case 0x6983: ("認証方法がブロックされています。", "Authentication method blocked.")
            case 0x6984: ("参照データが使用できません（ロックされています）。", "Reference data not usable (blocked).")
            case 0x6985: ("使用条件が満たされていません。", "Conditions of use not satisfied.")
            case 0x6986: ("コマンドは許可されていません（カレント EF がありません）。", "Command not allowed (no current EF).")
            case 0x6A80: ("データフィールドのパラメータが誤っています。", "Incorrect parameters in the command data field.")
            case 0x6A81: ("機能はサポートされていません。", "Function not supported.")
            case 0x6A82: ("ファイルまたはアプリケーションが見つかりません。", "File or application not found.")
            case 0x6A86: ("P1-P2 が誤っています。", "Incorrect parameters P1-P2.")
            case 0x6A88: ("参照データが見つかりません。", "Referenced data not found.")
            case 0x6B00: ("P1-P2 が誤っています（ファイルの範囲外）。", "Wrong parameters P1-P2 (outside the file).")
            case 0x6D00: ("命令コードはサポートされていません。", "Instruction code not supported or invalid.")
            case 0x6E00: ("クラスはサポートされていません。", "Class not supported.")
            case 0x6F00: ("原因を特定できないエラーです。", "No precise diagnosis.")
            default: ("不明なステータスです（\(description)）。", "Unknown status (\(description)).")
            }
        return LocalizedMessage(id: "card.sw.\(description)", ja: ja, en: en)
    }
}
