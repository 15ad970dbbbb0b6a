import Foundation
@testable import HonninCredentials
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Tables of ISO/IEC 18004:2015 and its Annex I.2 example, stored as data (Tests/Vectors/qr/README.md).
struct QRVectors: Decodable {
    struct Capacity: Decodable {
        let version: Int
        let level: String
        let numeric: Int
        let alphanumeric: Int
        let byte: Int
    }
    struct AnnexI2: Decodable {
        let input: String
        let version: Int
        let level: String
        let dataCodewords: String
        let errorCorrectionCodewords: String
        let mask: Int
    }
    let totalCodewords: [Int]
    let remainderBits: [Int]
    let capacity: [Capacity]
    let formatInformation: [String: [String]]
    let versionInformation: [String: String]
    let generatorPolynomials: [String: [Int]]
    let alignmentPatterns: [String: [Int]]
    let annexI2: AnnexI2

    static let folder = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent("../Vectors/qr").standardized

    static func load() throws -> QRVectors {
        try JSONDecoder().decode(QRVectors.self, from: Data(contentsOf: folder.appendingPathComponent("iso18004.json")))
    }
}

enum QRTestSupport {
    static func level(_ letter: String) -> QRCode.ErrorCorrectionLevel? {
        QRCode.ErrorCorrectionLevel.allCases.first { $0.description == letter }
    }

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while let j = s.index(i, offsetBy: 2, limitedBy: s.endIndex), i < s.endIndex {
            out.append(UInt8(s[i..<j], radix: 16) ?? 0)
            i = j
        }
        return out
    }

    /// A typical TOTP enrolment URI (Key Uri Format), about 100 bytes.
    static let typicalURI =
        "otpauth://totp/Honnin:alice%40example.jp?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Honnin&period=30"

    /// Reads the 15 format bits from both copies in the reading order of §7.9.1 (bit 14 first).
    static func formatCopies(_ q: QRCode) -> (Int, Int) {
        let n = q.size
        let first: [(Int, Int)] = [(0, 8), (1, 8), (2, 8), (3, 8), (4, 8), (5, 8), (7, 8), (8, 8), (8, 7), (8, 5), (8, 4),
                                   (8, 3), (8, 2), (8, 1), (8, 0)]
        let second: [(Int, Int)] = (0..<7).map { (8, n - 1 - $0) } + (0..<8).map { (n - 8 + $0, 8) }
        func read(_ cells: [(Int, Int)]) -> Int { cells.reduce(0) { $0 << 1 | (q.isDark(x: $1.0, y: $1.1) ? 1 : 0) } }
        return (read(first), read(second))
    }

    /// Reads the 18 version bits from both 6 × 3 blocks (§7.10): bit 0 at the block's origin.
    static func versionCopies(_ q: QRCode) -> (Int, Int) {
        let n = q.size
        var a = 0
        var b = 0
        for i in 0..<18 {
            if q.isDark(x: n - 11 + i % 3, y: i / 3) { a |= 1 << i }
            if q.isDark(x: i / 3, y: n - 11 + i % 3) { b |= 1 << i }
        }
        return (a, b)
    }
}

@Suite("QR Code: tables of ISO/IEC 18004:2015")
struct QRCodeTableTests {
    @Test("symbol size is 17 + 4V for every version (§6.3.1)")
    func sizes() throws {
        for v in 1...40 {
            let q = try QRCode.encode("1", minimumVersion: v, mask: 0)
            #expect(q.version == v)
            #expect(q.size == 17 + 4 * v)
            #expect(q.matrix.count == q.size && q.matrix.allSatisfy { $0.count == q.size })
        }
    }

    @Test("codeword and remainder-bit counts from the drawn function patterns equal Table 1")
    func table1() throws {
        let vectors = try QRVectors.load()
        for v in 1...40 {
            #expect(QRCode.totalCodewords(version: v) == vectors.totalCodewords[v - 1], "version \(v)")
            #expect(QRCode.remainderBits(version: v) == vectors.remainderBits[v - 1], "version \(v)")
        }
    }

    @Test("Table 9 block structure is consistent: every level leaves data codewords, blocks differ by at most one")
    func table9() {
        for v in 1...40 {
            for level in QRCode.ErrorCorrectionLevel.allCases {
                let blocks = QRCode.blockCount[level.index][v - 1]
                let ecc = QRCode.eccPerBlock[level.index][v - 1]
                #expect(QRCode.dataCodewords(version: v, level: level) > 0)
                #expect(QRCode.totalCodewords(version: v) / blocks > ecc)
                if level.index > 0 {
                    let lower = QRCode.ErrorCorrectionLevel.allCases[level.index - 1]
                    #expect(QRCode.dataCodewords(version: v, level: level) < QRCode.dataCodewords(version: v, level: lower))
                }
            }
        }
    }

    @Test("character capacities match Table 7 exactly: the maximum fits, one more does not")
    func capacities() throws {
        for row in try QRVectors.load().capacity {
            let level = try #require(QRTestSupport.level(row.level))
            for (filler, count) in [("7", row.numeric), ("A", row.alphanumeric), ("a", row.byte)] {
                let fits = String(repeating: filler, count: count)
                let q = try QRCode.encode(fits, level: level, minimumVersion: row.version, maximumVersion: row.version, mask: 0)
                #expect(q.version == row.version && q.segments.count == 1)
                #expect(throws: QRCodeError.self, "\(row.version)-\(row.level) \(filler)×\(count + 1)") {
                    try QRCode.encode(fits + filler, level: level, minimumVersion: row.version, maximumVersion: row.version, mask: 0)
                }
            }
        }
    }

    @Test("format information for every level and mask equals Table C.1")
    func formatInformation() throws {
        let table = try QRVectors.load().formatInformation
        for level in QRCode.ErrorCorrectionLevel.allCases {
            let row = try #require(table[level.description])
            #expect(row.count == 8)
            for (mask, bits) in row.enumerated() {
                #expect(QRCode.formatBits(level: level, mask: mask) == Int(bits, radix: 2), "\(level) mask \(mask)")
            }
        }
    }

    @Test("version information for versions 7…40 equals Table D.1")
    func versionInformation() throws {
        let table = try QRVectors.load().versionInformation
        #expect(table.count == 34)
        for (version, hex) in table {
            let v = try #require(Int(version))
            #expect(QRCode.versionBits(v) == Int(hex, radix: 16), "version \(v)")
        }
    }

    @Test("Reed–Solomon generator polynomials equal Annex A (as powers of α)")
    func generators() throws {
        let table = try QRVectors.load().generatorPolynomials
        #expect(table.count >= 10)
        for (degree, exponents) in table {
            let n = try #require(Int(degree))
            let g = QRCode.generator(degree: n)
            #expect(g.count == n + 1)
            #expect(g.map { QRCode.GF256.log[Int($0)] } == exponents, "degree \(n)")
        }
    }

    @Test("alignment pattern centres equal Table E.1 and are evenly spaced from 6 to size − 7")
    func alignment() throws {
        for (version, centres) in try QRVectors.load().alignmentPatterns {
            let v = try #require(Int(version))
            #expect(QRCode.alignmentCentres(version: v) == centres, "version \(v)")
        }
        #expect(QRCode.alignmentCentres(version: 1).isEmpty)
        for v in 2...40 {
            let c = QRCode.alignmentCentres(version: v)
            #expect(c.count == v / 7 + 2)
            #expect(c.first == 6 && c.last == 17 + 4 * v - 7)
            let steps = Set(zip(c.dropFirst(2), c.dropFirst()).map { $0 - $1 })
            #expect(steps.count <= 1 && steps.allSatisfy { $0 % 2 == 0 }, "version \(v)")
            // The first gap takes up the slack, so it is never wider than the others; version 32 (6, 34, 60…)
            // is the one exception in Table E.1.
            if c.count > 2, v != 32 { #expect(c[1] - c[0] <= c[2] - c[1], "version \(v)") }
        }
    }

    @Test("Annex I.2: \"01234567\" as 1-M gives the standard's codewords and mask 010")
    func annexI2() throws {
        let ex = try QRVectors.load().annexI2
        let level = try #require(QRTestSupport.level(ex.level))
        let q = try QRCode.encode(ex.input, level: level)
        #expect(q.version == ex.version)
        #expect(q.segments == [QRCode.Segment(mode: .numeric, count: 8, range: 0..<8)])
        let data = QRCode.dataCodewordSequence(
            Array(ex.input.utf8), segments: q.segments, version: q.version, level: level, eci: false)
        #expect(data == QRTestSupport.hex(ex.dataCodewords))
        let message = QRCode.finalMessage(data, version: q.version, level: level)
        #expect(message == QRTestSupport.hex(ex.dataCodewords) + QRTestSupport.hex(ex.errorCorrectionCodewords))
        #expect(q.mask == ex.mask)
    }
}

@Suite("QR Code: encoding")
struct QRCodeEncodingTests {
    @Test("function patterns, format and version information are in place for every version")
    func structure() throws {
        let vectors = try QRVectors.load()
        for v in 1...40 {
            let q = try QRCode.encode("HONNIN", level: .quartile, minimumVersion: v, mask: v % 8)
            let n = q.size
            for (fx, fy) in [(0, 0), (n - 7, 0), (0, n - 7)] {
                for dy in -1...7 {
                    for dx in -1...7 {
                        let ring = max(abs(dx - 3), abs(dy - 3))
                        let x = fx + dx
                        let y = fy + dy
                        guard x >= 0, y >= 0, x < n, y < n else { continue }
                        #expect(q.isDark(x: x, y: y) == (ring <= 1 || ring == 3), "finder at \(x),\(y) v\(v)")
                    }
                }
            }
            for i in 8..<(n - 8) {
                #expect(q.isDark(x: i, y: 6) == (i % 2 == 0))
                #expect(q.isDark(x: 6, y: i) == (i % 2 == 0))
            }
            #expect(q.isDark(x: 8, y: n - 8), "dark module")
            let expected = try #require(vectors.formatInformation[q.level.description]?[q.mask])
            let (a, b) = QRTestSupport.formatCopies(q)
            #expect(a == Int(expected, radix: 2) && b == a, "format v\(v)")
            if v >= 7 {
                let (c, d) = QRTestSupport.versionCopies(q)
                #expect(c == Int(vectors.versionInformation[String(v)] ?? "", radix: 16) && d == c, "version info v\(v)")
            }
        }
    }

    @Test("segments: one mode per kind of text, and the base32 secret of an otpauth URI goes alphanumeric")
    func segmentation() throws {
        func modes(_ s: String) throws -> [QRCode.Mode] { try QRCode.encode(s).segments.map(\.mode) }
        #expect(try modes("0123456789") == [.numeric])
        #expect(try modes("HELLO WORLD $%*+-./:") == [.alphanumeric])
        #expect(try modes("hello, world") == [.byte])
        #expect(try modes("本人確認") == [.byte])
        #expect(try QRCode.encode("").segments.isEmpty)
        let q = try QRCode.encode(QRTestSupport.typicalURI)
        #expect(q.segments.map(\.mode) == [.byte, .alphanumeric, .byte])
        #expect(q.segments.map(\.count).reduce(0, +) == QRTestSupport.typicalURI.utf8.count)
        #expect(q.segments[1].count == 32)
        // The mixed plan is never longer than byte mode alone.
        let bytes = Array(QRTestSupport.typicalURI.utf8)
        for c in 0..<3 {
            let plan = QRCode.segment(bytes, versionClass: c, eciBits: 0)
            #expect(plan.bits <= 4 + QRCode.Mode.byte.countBits(c) + 8 * bytes.count)
        }
        // A short digit run inside text is not worth a mode switch.
        #expect(try modes("abc12def") == [.byte])
    }

    @Test("ECI 26 (UTF-8) is written by default for non-ASCII data only, and can be turned off (§7.4.2)")
    func eci() throws {
        let ja = try QRCode.encode("本人確認")
        #expect(ja.hasUTF8ECI)
        let data = QRCode.dataCodewordSequence(
            Array("本人確認".utf8), segments: ja.segments, version: ja.version, level: ja.level, eci: true)
        #expect(data[0] == 0x71 && data[1] >> 4 == 0xA)  // 0111 00011010 0100…
        #expect(try !QRCode.encode("本人確認", eci: .never).hasUTF8ECI)
        #expect(try !QRCode.encode("otpauth://totp/x").hasUTF8ECI)
        #expect(try !QRCode.encode(bytes: [0xFF, 0x00, 0x80]).hasUTF8ECI)  // bytes are not assumed to be UTF-8
        // The header costs 12 bits: "本人a" (7 bytes, 68 bits) fits 1-H (72 bits) only without it.
        #expect(try QRCode.encode("本人a", level: .high, eci: .never).version == 1)
        #expect(try QRCode.encode("本人a", level: .high).version == 2)
    }

    @Test("the chosen mask has the lowest penalty of the eight; a forced mask is used as given")
    func masks() throws {
        for text in [QRTestSupport.typicalURI, "01234567", "本人確認のテスト"] {
            let chosen = try QRCode.encode(text)
            var scores: [Int] = []
            for m in 0...7 {
                let forced = try QRCode.encode(text, mask: m)
                #expect(forced.mask == m && forced.version == chosen.version)
                scores.append(QRCode.penalty(forced.matrix.flatMap { $0 }.map { $0 ? 1 : 0 }, size: forced.size))
            }
            let best = try #require(scores.min())
            #expect(scores[chosen.mask] == best)
            #expect(scores.firstIndex(of: best) == chosen.mask)
        }
    }

    @Test("penalty rules N1–N4 on hand-computed matrices (§7.8.3.1)")
    func penalty() {
        let n = 21
        // All light: N1 = 42 lines × (3 + 16), N2 = 400 blocks × 3, N3 = 0, N4 = 10 × 10.
        #expect(QRCode.penalty([UInt8](repeating: 0, count: n * n), size: n) == 798 + 1200 + 0 + 100)
        // A checkerboard scores nothing.
        #expect(QRCode.penalty((0..<(n * n)).map { UInt8(($0 / n + $0 % n + 1) % 2) }, size: n) == 0)
        // One 1:1:3:1:1 run in row 10, columns 7…13, light around: N1 = 774, N2 = 1152, N3 = 40, N4 = 90.
        var m = [UInt8](repeating: 0, count: n * n)
        for x in [7, 9, 10, 11, 13] { m[10 * n + x] = 1 }
        #expect(QRCode.penalty(m, size: n) == 774 + 1152 + 40 + 90)
    }

    @Test("boostLevel raises the level only while the symbol size stays the same")
    func boost() throws {
        #expect(try QRCode.encode("HELLO").level == .medium)
        let boosted = try QRCode.encode("HELLO", boostLevel: true)
        #expect(boosted.level == .high && boosted.version == 1)
        let big = try QRCode.encode(String(repeating: "A", count: 20), boostLevel: true)
        #expect(big.version == 1 && big.level == .medium)
    }

    @Test("typed errors with stable codes for input that cannot be encoded")
    func errors() {
        #expect(throws: QRCodeError.dataTooLong(requiredBits: 4 + 16 + 8 * 2954, availableBits: 2956 * 8)) {
            try QRCode.encode(String(repeating: "a", count: 2954), level: .low)
        }
        #expect(throws: QRCodeError.dataTooLong(requiredBits: 4 + 8 + 8 * 15, availableBits: 16 * 8)) {
            try QRCode.encode(String(repeating: "a", count: 15), maximumVersion: 1)
        }
        // Input far beyond any symbol is rejected before work proportional to its length.
        let huge = [UInt8](repeating: 0x41, count: 5_000_000)
        let start = Date()
        #expect(throws: QRCodeError.dataTooLong(requiredBits: 4 + 14 + 10 * 1_666_666 + 7, availableBits: 2334 * 8)) {
            try QRCode.encode(bytes: huge)
        }
        #expect(Date().timeIntervalSince(start) < 1)
        #expect(throws: QRCodeError.self) { try QRCode.encode(bytes: [UInt8](repeating: 0xFF, count: 7089)) }
        #expect(throws: QRCodeError.invalidVersionRange(minimum: 0, maximum: 40)) { try QRCode.encode("x", minimumVersion: 0) }
        #expect(throws: QRCodeError.invalidVersionRange(minimum: 1, maximum: 41)) { try QRCode.encode("x", maximumVersion: 41) }
        #expect(throws: QRCodeError.invalidVersionRange(minimum: 5, maximum: 4)) {
            try QRCode.encode("x", minimumVersion: 5, maximumVersion: 4)
        }
        #expect(throws: QRCodeError.invalidMask(8)) { try QRCode.encode("x", mask: 8) }
        #expect(throws: QRCodeError.invalidMask(-1)) { try QRCode.encode("x", mask: -1) }
        #expect(QRCodeError.dataTooLong(requiredBits: 1, availableBits: 0).code == "qr_data_too_long")
        #expect(QRCodeError.invalidMask(9).code == "qr_invalid_mask")
        #expect(QRCodeError.invalidVersionRange(minimum: 0, maximum: 0).code == "qr_invalid_version_range")
        #expect(QRCodeError.invalidRenderParameter("x").code == "qr_invalid_render_parameter")
    }
}

/// Collects the elements of an SVG document.
final class SVGCollector: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var title = ""
    private var inTitle = false
    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        elements.append((elementName, attributeDict))
        inTitle = elementName == "title"
    }
    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        inTitle = false
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { title += string } }
}

@Suite("QR Code: rendering")
struct QRCodeRenderingTests {
    @Test("SVG: well-formed, one path of unit squares = the dark modules, quiet zone, title, nothing external")
    func svg() throws {
        let q = try QRCode.encode(QRTestSupport.typicalURI)
        let title = "二段階認証の QR コード / QR code for two-step verification <Honnin> & \"co\""
        let svg = try q.svg(title: title)
        let collector = SVGCollector()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        #expect(parser.parse())
        #expect(collector.title == title)
        let names = collector.elements.map(\.name)
        #expect(names == ["svg", "title", "rect", "path"])
        let root = try #require(collector.elements.first?.attributes)
        let side = q.size + 8
        #expect(root["viewBox"] == "0 0 \(side) \(side)")
        #expect(root["role"] == "img")
        #expect(root["shape-rendering"] == "crispEdges")
        let d = try #require(collector.elements.last?.attributes["d"])
        var squares = Set<[Int]>()
        var count = 0
        for part in d.split(separator: "M") {
            #expect(part.hasSuffix("h1v1h-1z"))
            let xy = part.dropLast("h1v1h-1z".count).split(separator: " ").compactMap { Int($0) }
            #expect(xy.count == 2)
            squares.insert(xy)
            count += 1
        }
        #expect(count == q.darkModuleCount)
        var expected = Set<[Int]>()
        for y in 0..<q.size { for x in 0..<q.size where q.isDark(x: x, y: y) { expected.insert([x + 4, y + 4]) } }
        #expect(squares == expected)
        let lower = svg.lowercased()
        for banned in ["<script", "href", "url(", "<image", "<foreignobject", "javascript:", "<style", "<use"] {
            #expect(!lower.contains(banned), "\(banned)")
        }
        let attributes = collector.elements.flatMap { $0.attributes.keys }
        #expect(!attributes.contains { $0.lowercased().hasPrefix("on") || $0.contains(":") })
        #expect(try q.svg(title: "x", quietZone: 0).contains("viewBox=\"0 0 \(q.size) \(q.size)\""))
        #expect(throws: QRCodeError.invalidRenderParameter("quiet zone -1 is not within 0…64")) { try q.svg(title: "x", quietZone: -1) }
    }

    @Test("PBM and PGM: header, dimensions, every module's pixels and a light quiet zone")
    func bitmaps() throws {
        let q = try QRCode.encode("Honnin 本人")
        for scale in [1, 3, 4] {
            let side = (q.size + 8) * scale
            let pbm = try q.pbm(scale: scale)
            let header = Array("P4\n\(side) \(side)\n".utf8)
            #expect(Array(pbm.prefix(header.count)) == header)
            let rowBytes = (side + 7) / 8
            #expect(pbm.count == header.count + rowBytes * side)
            let pgm = try q.pgm(scale: scale)
            let pgmHeader = Array("P5\n\(side) \(side)\n255\n".utf8)
            #expect(Array(pgm.prefix(pgmHeader.count)) == pgmHeader)
            #expect(pgm.count == pgmHeader.count + side * side)
            func black(_ px: Int, _ py: Int) -> Bool {
                pbm[header.count + py * rowBytes + px / 8] & UInt8(0x80 >> (px % 8)) != 0
            }
            var mismatches = 0
            for my in -4..<(q.size + 4) {
                for mx in -4..<(q.size + 4) {
                    for (ox, oy) in [(0, 0), (scale - 1, scale - 1)] {
                        let px = (mx + 4) * scale + ox
                        let py = (my + 4) * scale + oy
                        if black(px, py) != q.isDark(x: mx, y: my) { mismatches += 1 }
                        if (pgm[pgmHeader.count + py * side + px] == 0) != q.isDark(x: mx, y: my) { mismatches += 1 }
                    }
                }
            }
            #expect(mismatches == 0)
        }
        #expect(throws: QRCodeError.self) { try q.pbm(scale: 0) }
        #expect(throws: QRCodeError.self) { try q.pbm(scale: 65) }
        #expect(throws: QRCodeError.self) { try q.pgm(scale: 2, quietZone: 65) }
        #expect(throws: QRCodeError.self) { try q.pgm(scale: -3) }
    }

    @Test("throughput: encodes per second of a typical ~100-byte otpauth URI (reported, not asserted)")
    func throughput() throws {
        let start = Date()
        var count = 0
        var sink = 0
        while Date().timeIntervalSince(start) < 1 {
            sink &+= try QRCode.encode(QRTestSupport.typicalURI).mask
            count += 1
        }
        let perSecond = Double(count) / Date().timeIntervalSince(start)
        print("QR throughput: \(Int(perSecond)) encodes/s of a \(QRTestSupport.typicalURI.utf8.count)-byte URI (version \(try QRCode.encode(QRTestSupport.typicalURI).version)-M, this build's optimisation) [\(sink % 8)]")
        #expect(count > 0)
    }
}

/// Independent decoders: zbar (Debian `zbar-tools`, `zbarimg`) and zxing-cpp (PyPI `zxing-cpp`, in the
/// repository's `.venv`). Each test runs when its decoder is present, fails when it is missing and the `CI`
/// environment variable is set, and is skipped otherwise.
enum QRDecoders {
    static let isCI: Bool = {
        guard let v = ProcessInfo.processInfo.environment["CI"]?.lowercased() else { return false }
        return !v.isEmpty && v != "0" && v != "false"
    }()

    static let zbarimg: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/zbarimg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let repositoryRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The repository's venv Python when it can import zxingcpp and PIL.
    static let zxingPython: String? = {
        let candidates = [
            repositoryRoot.appendingPathComponent(".venv/bin/python").path,
            FileManager.default.currentDirectoryPath + "/.venv/bin/python",
        ]
        for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
            if let r = try? run(python, ["-c", "import zxingcpp, PIL"]), r.status == 0 { return python }
        }
        return nil
    }()

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: Data, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, o, String(decoding: e, as: UTF8.self))
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let text: String
        var level: QRCode.ErrorCorrectionLevel = .medium
        var minimumVersion = 1
        var mask: Int?
        var eci: QRCode.ECIPolicy = .utf8WhenNonASCII
        var description: String { name }
    }

    /// otpauth URIs of several lengths and every level, the three modes, Japanese UTF-8 with and without ECI,
    /// versions 1…40, every mask.
    static let cases: [Case] = {
        let secret32 = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        var c: [Case] = [
            Case(name: "otpauth short", text: "otpauth://totp/Honnin?secret=JBSWY3DPEHPK3PXP"),
            Case(name: "otpauth typical", text: QRTestSupport.typicalURI),
            Case(
                name: "otpauth long",
                text: "otpauth://totp/Honnin%20%E6%9C%AC%E4%BA%BA:alice.yamada%2Btest%40example.co.jp?secret=\(secret32)\(secret32)"
                    + "&issuer=Honnin%20%E6%9C%AC%E4%BA%BA&algorithm=SHA256&digits=8&period=30"
                    + "&image=https%3A%2F%2Fid.example.jp%2Fstatic%2Flogo.png"),
            Case(name: "numeric 8", text: "01234567"),
            Case(name: "numeric 1000", text: String((0..<1000).map { Character(String($0 * 7 % 10)) })),
            Case(name: "alphanumeric", text: "HTTPS://EXAMPLE.JP/ENROL/ABC-123 $%*+./:"),
            Case(name: "alphanumeric 600", text: String(repeating: "HONNIN-QR/", count: 60)),
            Case(name: "byte", text: "hello, world — ascii and a few bytes ~!@#^&()_{}|"),
            Case(name: "Japanese UTF-8", text: "本人確認のための二段階認証を設定します。アプリで読み取ってください。"),
            Case(name: "Japanese UTF-8, 2 characters", text: "本人"),
            // Without ECI both readers guess the charset; this sentence is not valid Shift_JIS, so both take
            // UTF-8 (zbar reads the short "本人" without ECI as Shift_JIS: 譛ｬ莠ｺ).
            Case(name: "Japanese UTF-8 without ECI", text: "本人確認のための二段階認証を設定します。", eci: .never),
            Case(name: "mixed 1200", text: String(repeating: "Honnin 本人 12345678 ABCDEF ", count: 40)),
            Case(name: "version 40-M full", text: String(repeating: "z", count: 2331)),
            Case(name: "version 40-L full", text: String(repeating: "0123456789", count: 708) + "012345678", level: .low),
        ]
        for level in QRCode.ErrorCorrectionLevel.allCases {
            c.append(Case(name: "otpauth typical \(level)", text: QRTestSupport.typicalURI, level: level))
        }
        for v in [2, 5, 7, 10, 14, 21, 25, 27, 32, 35, 40] {
            let text = v < 6 ? "HONNIN 2FA" : QRTestSupport.typicalURI
            c.append(Case(name: "forced version \(v)", text: text, minimumVersion: v))
        }
        for m in 0...7 {
            c.append(Case(name: "otpauth mask \(m)", text: QRTestSupport.typicalURI, level: .quartile, mask: m))
        }
        return c
    }()

    /// Encodes every case into a PBM (scale 4, quiet zone 4) in a fresh temporary folder.
    static func render() throws -> (folder: URL, items: [(Case, QRCode, URL)]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("honnin-qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var items: [(Case, QRCode, URL)] = []
        for (i, c) in cases.enumerated() {
            let q = try QRCode.encode(c.text, level: c.level, minimumVersion: c.minimumVersion, mask: c.mask, eci: c.eci)
            let url = folder.appendingPathComponent("\(i).pbm")
            try Data(q.pbm(scale: 4, quietZone: 4)).write(to: url)
            items.append((c, q, url))
        }
        return (folder, items)
    }
}

@Suite("QR Code: independent decoders", .serialized)
struct QRCodeDecoderTests {
    @Test(
        "zbarimg (zbar) decodes every symbol to the input text",
        .enabled(if: QRDecoders.zbarimg != nil || QRDecoders.isCI, "zbarimg not on PATH (apt-get install zbar-tools); CI=1 makes this fail")
    )
    func zbar() throws {
        let zbarimg = try #require(QRDecoders.zbarimg, "CI is set but zbarimg (Debian zbar-tools) is not installed")
        let (folder, items) = try QRDecoders.render()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(items.map(\.1.version).max() == 40 && items.map(\.1.version).min() == 1)
        for (c, q, url) in items {
            let r = try QRDecoders.run(zbarimg, ["--raw", "-q", url.path])
            #expect(r.status == 0, "\(c) (\(q.version)-\(q.level) mask \(q.mask)): zbarimg exit \(r.status)")
            #expect(String(decoding: r.stdout, as: UTF8.self) == c.text + "\n", "\(c) (\(q.version)-\(q.level))")
        }
        print("zbarimg decoded \(items.count) symbols, versions \(Set(items.map(\.1.version)).sorted())")
    }

    @Test(
        "zxing-cpp decodes every symbol to the input text and reports our version, level, mask and ECI",
        .enabled(if: QRDecoders.zxingPython != nil || QRDecoders.isCI, "no .venv Python with zxing-cpp (.venv/bin/pip install zxing-cpp pillow); CI=1 makes this fail")
    )
    func zxing() throws {
        let python = try #require(QRDecoders.zxingPython, "CI is set but .venv/bin/python cannot import zxingcpp and PIL")
        let (folder, items) = try QRDecoders.render()
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = """
            import json, sys, zxingcpp, PIL.Image
            for path in sys.argv[1:]:
                image = PIL.Image.open(path)
                found = []
                for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
                    found.append({"text": r.text, "extra": {k: str(v) for k, v in dict(r.extra).items()}})
                eci = [r.text.startswith("5D 51 32") for r in zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.HexECI)]
                print(json.dumps({"found": found, "eci": eci}))
            """
        let r = try QRDecoders.run(python, ["-c", script] + items.map(\.2.path))
        #expect(r.status == 0, "\(r.stderr)")
        struct Line: Decodable {
            struct Found: Decodable {
                let text: String
                let extra: [String: String]
            }
            let found: [Found]
            let eci: [Bool]
        }
        let lines = String(decoding: r.stdout, as: UTF8.self).split(separator: "\n")
        try #require(lines.count == items.count)
        for ((c, q, _), line) in zip(items, lines) {
            let decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
            #expect(decoded.found.count == 1, "\(c)")
            guard let f = decoded.found.first else { continue }
            #expect(f.text == c.text, "\(c)")
            #expect(f.extra["Version"] == String(q.version), "\(c)")
            #expect(f.extra["ECLevel"] == q.level.description, "\(c)")
            #expect(f.extra["DataMask"] == String(q.mask), "\(c)")
            #expect(decoded.eci == [q.hasUTF8ECI], "\(c)")
        }
        print("zxing-cpp decoded \(items.count) symbols, versions \(Set(items.map(\.1.version)).sorted())")
    }
}
