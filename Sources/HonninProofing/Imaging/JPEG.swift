/// JPEG (ITU-T T.81 | ISO/IEC 10918-1, JFIF 1.02): marker walk, Huffman-coded sequential and progressive decoding
/// of 8-bit images with 1 or 3 components, and re-assembly without metadata segments.
enum JPEGCodec {
    /// Walks, decodes and (when `strip`) re-assembles a JPEG; see `JPEGDecoder.parse` for the steps.
    static func process(_ bytes: [UInt8], limits: ImageLimits, strip: Bool) throws(ImageError) -> (
        DecodedImage, SanitizedImage?
    ) {
        try bytes.withUnsafeBufferPointer { (data) throws(ImageError) -> (DecodedImage, SanitizedImage?) in
            var decoder = JPEGDecoder(data: data, limits: limits)
            try decoder.parse()
            let image = try decoder.render()
            guard strip else { return (image, nil) }
            return (image, decoder.assemble(width: image.width, height: image.height))
        }
    }
}

/// T.81 Figure A.6: `zigzag[k]` is the natural (row-major) index of the k-th coefficient in zig-zag order.
let jpegZigzag: [Int] = {
    var order: [Int] = []
    for diagonal in 0..<15 {
        let low = max(0, diagonal - 7)
        let high = min(diagonal, 7)
        // Even diagonals run up and to the right (row decreasing), odd ones down and to the left.
        let rows = diagonal % 2 == 0 ? Array((low...high).reversed()) : Array(low...high)
        for row in rows { order.append(row * 8 + (diagonal - row)) }
    }
    return order
}()

struct JPEGDecoder {
    /// A piece of the sanitized output, in file order.
    enum Piece {
        case copy(Range<Int>)
        case restartMarker(Int)
        case bytes([UInt8])
    }

    /// A frame component (T.81 §B.2.2) with its geometry (§A.1.1) and where its coefficients live.
    struct Component {
        var id: UInt8
        var h: Int
        var v: Int
        var quantSelector: Int
        /// Samples: ⌈X·H/Hmax⌉ × ⌈Y·V/Vmax⌉.
        var width = 0
        var height = 0
        /// Blocks holding real samples, and blocks including the padding of whole MCUs (§A.2.4).
        var blocksX = 0
        var blocksY = 0
        var paddedBlocksX = 0
        var paddedBlocksY = 0
        /// First coefficient of this component in `coefficients`.
        var offset = 0
        /// The quantisation table in force at the first scan of the component (natural order), once latched.
        var quant: [Int]?
    }

    struct Frame {
        var progressive: Bool
        var width: Int
        var height: Int
        var components: [Component]
        var hMax: Int
        var vMax: Int
        var mcusX: Int
        var mcusY: Int
    }

    /// More scans than this is refused: every scan walks all blocks of its components, so the count bounds the work.
    static let maxScans = 128
    /// More table definitions than this is refused (each costs a table build).
    static let maxTables = 1024

    let data: UnsafeBufferPointer<UInt8>
    let limits: ImageLimits
    var quantTables: [[Int]?] = Array(repeating: nil, count: 4)
    var dcTables: [JPEGHuffmanTable?] = Array(repeating: nil, count: 4)
    var acTables: [JPEGHuffmanTable?] = Array(repeating: nil, count: 4)
    var restartInterval = 0
    var frame: Frame?
    var coefficients: [Int16] = []
    var scanCount = 0
    var tableCount = 0
    var sawJFIF = false
    var adobeTransform: Int?
    var pieces: [Piece] = []
    var removed: [String] = []
    var removedSet: Set<String> = []
    var exif: ExifReader.Facts?

    init(data: UnsafeBufferPointer<UInt8>, limits: ImageLimits) {
        self.data = data
        self.limits = limits
    }

    mutating func noteRemoved(_ name: String) {
        if removedSet.insert(name).inserted { removed.append(name) }
    }

    private func u16(_ at: Int) -> Int { Int(data[at]) << 8 | Int(data[at + 1]) }

    private func payloadStarts(_ payload: Range<Int>, with prefix: [UInt8]) -> Bool {
        guard payload.count >= prefix.count else { return false }
        for (i, byte) in prefix.enumerated() where data[payload.lowerBound + i] != byte { return false }
        return true
    }

    // MARK: - Marker walk

    /// Walks the file from SOI to EOI (T.81 §B.2, Table B.1), interpreting tables and decoding each scan as it comes
    /// (tables may change between scans, §B.2.4).
    ///
    /// 1. Find the next marker: 0xFF, optional 0xFF fill bytes (§B.1.1.2), a code. Bytes before a 0xFF are
    ///    extraneous and dropped.
    /// 2. Standalone markers: EOI ends the image (anything after it is removed); SOI again, or 0xFF00, is malformed;
    ///    a stray RSTm or TEM is dropped.
    /// 3. Other markers have a 2-byte length (§B.1.1.4) that must fit in the input, else the file is truncated.
    /// 4. SOF0/1/2 define the frame (limits checked here); other SOFn, DAC, DHP, EXP, DNL are unsupported features;
    ///    DHT, DQT, DRI define tables; SOS decodes a scan; APPn and COM are kept or removed (see `application`).
    mutating func parse() throws(ImageError) {
        guard data.count >= 2, data[0] == 0xFF, data[1] == 0xD8 else { throw .unsupportedFormat }
        var position = 2
        while true {
            // Step 1.
            guard position < data.count else { throw .truncated }
            if data[position] != 0xFF {
                noteRemoved("extraneous bytes")
                while position < data.count && data[position] != 0xFF { position += 1 }
                continue
            }
            while position < data.count && data[position] == 0xFF { position += 1 }
            guard position < data.count else { throw .truncated }
            let code = data[position]
            let markerStart = position - 1
            position += 1
            // Step 2.
            switch code {
            case 0xD9:
                guard scanCount > 0 else { throw .malformed("no scan before EOI") }
                if position < data.count { noteRemoved("trailing bytes") }
                return
            case 0xD8: throw .malformed("unexpected SOI")
            case 0x00: throw .malformed("stuffed zero outside entropy-coded data")
            case 0xD0...0xD7, 0x01:
                noteRemoved("stray marker")
                continue
            default: break
            }
            // Step 3.
            guard position + 2 <= data.count else { throw .truncated }
            let length = u16(position)
            guard length >= 2 else { throw .malformed("bad segment length") }
            let segmentEnd = position + length
            guard segmentEnd <= data.count else { throw .truncated }
            let payload = (position + 2)..<segmentEnd
            let whole = markerStart..<segmentEnd
            position = segmentEnd
            // Step 4.
            switch code {
            case 0xC0, 0xC1, 0xC2:
                try parseFrame(progressive: code == 0xC2, payload)
                pieces.append(.copy(whole))
            case 0xC3: throw .unsupportedFeature("lossless JPEG")
            case 0xC5, 0xC6, 0xC7, 0xDE, 0xDF: throw .unsupportedFeature("hierarchical JPEG")
            case 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF: throw .unsupportedFeature("arithmetic coding")
            case 0xC8: throw .unsupportedFeature("JPEG extension")
            case 0xF7: throw .unsupportedFeature("JPEG-LS")
            case 0xDC: throw .unsupportedFeature("DNL marker")
            case 0xC4:
                try parseHuffmanTables(payload)
                pieces.append(.copy(whole))
            case 0xDB:
                try parseQuantizationTables(payload)
                pieces.append(.copy(whole))
            case 0xDD:
                guard payload.count == 2 else { throw .malformed("bad DRI length") }
                restartInterval = u16(payload.lowerBound)
                pieces.append(.copy(whole))
            case 0xDA:
                position = try scan(header: whole, payload: payload)
            case 0xE0...0xEF:
                application(Int(code) - 0xE0, payload: payload, whole: whole)
            case 0xFE:
                noteRemoved("COM")
            case 0xF0...0xFD:
                noteRemoved("JPG\(Int(code) - 0xF0)")
            default:
                throw .malformed("reserved marker")
            }
        }
    }

    /// APPn segments (T.81 §B.2.4.6) and what we do with each:
    /// - APP0 "JFIF" (JFIF 1.02 §"JFIF APP0 marker"): kept, without its optional thumbnail;
    /// - APP2 "ICC_PROFILE" (ICC.1 Annex B.4): kept, it defines the colours;
    /// - APP14 "Adobe": kept, its transform flag says whether 3 components are YCbCr or RGB;
    /// - everything else, notably APP1 Exif (EXIF 2.32 §4.5.4) and XMP, APP13 Photoshop/IPTC, APP2 MPF: removed.
    ///   Orientation and the GPS pointer are read from the first Exif segment first.
    mutating func application(_ n: Int, payload: Range<Int>, whole: Range<Int>) {
        switch n {
        case 0:
            if payloadStarts(payload, with: Array("JFIF\0".utf8)) && payload.count >= 14 {
                sawJFIF = true
                if payload.count == 14 {
                    pieces.append(.copy(whole))
                } else {
                    // Keep version, units and densities; zero the thumbnail size and drop its pixels.
                    var segment: [UInt8] = [0xFF, 0xE0, 0x00, 0x10]
                    segment.append(contentsOf: data[payload.lowerBound..<(payload.lowerBound + 12)])
                    segment.append(contentsOf: [0, 0])
                    pieces.append(.bytes(segment))
                    noteRemoved("APP0 JFIF thumbnail")
                }
            } else if payloadStarts(payload, with: Array("JFXX\0".utf8)) {
                noteRemoved("APP0 JFXX")
            } else {
                noteRemoved("APP0")
            }
        case 1:
            if payloadStarts(payload, with: Array("Exif\0".utf8)) {
                if exif == nil && payload.count > 6 {
                    exif = ExifReader.read(Array(data[(payload.lowerBound + 6)..<payload.upperBound])[...])
                }
                noteRemoved("APP1 Exif")
            } else if payloadStarts(payload, with: Array("http://ns.adobe.com/xap/1.0/\0".utf8))
                || payloadStarts(payload, with: Array("http://ns.adobe.com/xmp/extension/\0".utf8))
            {
                noteRemoved("APP1 XMP")
            } else {
                noteRemoved("APP1")
            }
        case 2:
            if payloadStarts(payload, with: Array("ICC_PROFILE\0".utf8)) {
                pieces.append(.copy(whole))
            } else if payloadStarts(payload, with: Array("MPF\0".utf8)) {
                noteRemoved("APP2 MPF")
            } else {
                noteRemoved("APP2")
            }
        case 13:
            noteRemoved(payloadStarts(payload, with: Array("Photoshop 3.0\0".utf8)) ? "APP13 IPTC" : "APP13")
        case 14:
            if payloadStarts(payload, with: Array("Adobe".utf8)) && payload.count >= 12 {
                adobeTransform = Int(data[payload.lowerBound + 11])
                if payload.count == 12 {
                    pieces.append(.copy(whole))
                } else {
                    var segment: [UInt8] = [0xFF, 0xEE, 0x00, 0x0E]
                    segment.append(contentsOf: data[payload.lowerBound..<(payload.lowerBound + 12)])
                    pieces.append(.bytes(segment))
                    noteRemoved("APP14 extra bytes")
                }
            } else {
                noteRemoved("APP14")
            }
        default:
            noteRemoved("APP\(n)")
        }
    }

    // MARK: - Tables and frame

    /// SOFn (T.81 §B.2.2): P, Y, X, Nf, then Ci, Hi|Vi, Tqi per component.
    ///
    /// 1. 8-bit precision only (12-bit is an unsupported feature).
    /// 2. Limits on X and Y before anything is allocated (Y = 0 would need DNL, unsupported: refused as a dimension).
    /// 3. 1 or 3 components with sampling factors 1...4 whose ratios to the maxima are whole numbers.
    /// 4. Geometry (§A.1.1, §A.2.4) and one zeroed coefficient buffer for all components.
    mutating func parseFrame(progressive: Bool, _ payload: Range<Int>) throws(ImageError) {
        guard frame == nil else { throw .malformed("more than one frame") }
        guard payload.count >= 6 else { throw .malformed("bad SOF length") }
        let p = payload.lowerBound
        // Step 1.
        switch data[p] {
        case 8: break
        case 12, 16: throw .unsupportedFeature("\(data[p])-bit JPEG")
        default: throw .malformed("bad sample precision")
        }
        // Step 2.
        let height = u16(p + 1)
        let width = u16(p + 3)
        try limits.check(width: width, height: height)
        // Step 3.
        let count = Int(data[p + 5])
        guard payload.count == 6 + 3 * count else { throw .malformed("bad SOF length") }
        switch count {
        case 1, 3: break
        case 4: throw .unsupportedFeature("CMYK JPEG")
        case 0: throw .malformed("frame without components")
        default: throw .unsupportedFeature("\(count)-component JPEG")
        }
        var components: [Component] = []
        for i in 0..<count {
            let q = p + 6 + 3 * i
            let id = data[q]
            let h = Int(data[q + 1] >> 4)
            let v = Int(data[q + 1] & 0x0F)
            let tq = Int(data[q + 2])
            guard (1...4).contains(h), (1...4).contains(v) else { throw .malformed("bad sampling factor") }
            guard tq <= 3 else { throw .malformed("bad quantization table selector") }
            guard !components.contains(where: { $0.id == id }) else { throw .malformed("duplicate component id") }
            components.append(Component(id: id, h: h, v: v, quantSelector: tq))
        }
        if count == 1 {
            // A single-component frame is always non-interleaved: its MCU is one block (§A.2.2).
            components[0].h = 1
            components[0].v = 1
        }
        let hMax = components.map(\.h).max() ?? 1
        let vMax = components.map(\.v).max() ?? 1
        for c in components where hMax % c.h != 0 || vMax % c.v != 0 {
            throw .unsupportedFeature("non-integral sampling ratio")
        }
        // Step 4. Sizes are bounded by the limits check, but the arithmetic is checked anyway.
        let mcusX = (width + 8 * hMax - 1) / (8 * hMax)
        let mcusY = (height + 8 * vMax - 1) / (8 * vMax)
        var total = 0
        for i in components.indices {
            var c = components[i]
            c.width = (width * c.h + hMax - 1) / hMax
            c.height = (height * c.v + vMax - 1) / vMax
            c.blocksX = (c.width + 7) / 8
            c.blocksY = (c.height + 7) / 8
            c.paddedBlocksX = mcusX * c.h
            c.paddedBlocksY = mcusY * c.v
            c.offset = total
            let (blocks, o1) = c.paddedBlocksX.multipliedReportingOverflow(by: c.paddedBlocksY)
            let (coefficientCount, o2) = blocks.multipliedReportingOverflow(by: 64)
            let (sum, o3) = total.addingReportingOverflow(coefficientCount)
            guard !o1, !o2, !o3 else { throw .dimensionsOutOfRange(width: width, height: height) }
            total = sum
            components[i] = c
        }
        coefficients = [Int16](repeating: 0, count: total)
        frame = Frame(
            progressive: progressive, width: width, height: height, components: components, hMax: hMax,
            vMax: vMax, mcusX: mcusX, mcusY: mcusY)
    }

    /// DHT (T.81 §B.2.4.2): one or more of Tc|Th, 16 counts L1...L16, then the values.
    mutating func parseHuffmanTables(_ payload: Range<Int>) throws(ImageError) {
        var p = payload.lowerBound
        while p < payload.upperBound {
            guard p + 17 <= payload.upperBound else { throw .malformed("bad DHT length") }
            let tableClass = Int(data[p] >> 4)
            let id = Int(data[p] & 0x0F)
            guard tableClass <= 1, id <= 3 else { throw .malformed("bad DHT class or id") }
            var counts: [Int] = []
            for i in 1...16 { counts.append(Int(data[p + i])) }
            let total = counts.reduce(0, +)
            guard total <= 256 else { throw .malformed("invalid Huffman table") }
            guard p + 17 + total <= payload.upperBound else { throw .malformed("bad DHT length") }
            let values = Array(data[(p + 17)..<(p + 17 + total)])
            let table = try JPEGHuffmanTable(counts: counts, values: values)
            tableCount += 1
            guard tableCount <= JPEGDecoder.maxTables else { throw .malformed("too many tables") }
            if tableClass == 0 { dcTables[id] = table } else { acTables[id] = table }
            p += 17 + total
        }
    }

    /// DQT (T.81 §B.2.4.1): one or more of Pq|Tq and 64 values (8- or 16-bit) in zig-zag order.
    mutating func parseQuantizationTables(_ payload: Range<Int>) throws(ImageError) {
        var p = payload.lowerBound
        while p < payload.upperBound {
            let precision = Int(data[p] >> 4)
            let id = Int(data[p] & 0x0F)
            guard precision <= 1, id <= 3 else { throw .malformed("bad DQT precision or id") }
            let size = precision == 0 ? 64 : 128
            guard p + 1 + size <= payload.upperBound else { throw .malformed("bad DQT length") }
            var table = [Int](repeating: 0, count: 64)
            for k in 0..<64 {
                table[jpegZigzag[k]] = precision == 0 ? Int(data[p + 1 + k]) : u16(p + 1 + 2 * k)
            }
            tableCount += 1
            guard tableCount <= JPEGDecoder.maxTables else { throw .malformed("too many tables") }
            quantTables[id] = table
            p += 1 + size
        }
    }

    // MARK: - Scans

    struct ScanComponent {
        var index: Int
        var dc: JPEGHuffmanTable?
        var ac: JPEGHuffmanTable?
    }

    /// Finds the end of the entropy-coded data that starts at `start`: the first 0xFF (of a run of 0xFF) followed by
    /// a code other than 0x00 (stuffing, §B.1.1.5) or RSTm. Running off the end of the input means truncation.
    func entropyDataEnd(from start: Int) throws(ImageError) -> Int {
        var p = start
        let count = data.count
        while p < count {
            if data[p] != 0xFF {
                p += 1
                continue
            }
            var q = p + 1
            while q < count && data[q] == 0xFF { q += 1 }
            guard q < count else { throw .truncated }
            let code = data[q]
            if code == 0x00 || (0xD0...0xD7).contains(code) {
                p = q + 1
                continue
            }
            return p
        }
        throw .truncated
    }

    /// SOS (T.81 §B.2.3) and its entropy-coded data; returns the offset of the marker that follows.
    ///
    /// 1. Parse Ns, Csj/Tdj/Taj, Ss, Se, Ah/Al; check them against the frame and the process (§G.1.1.1.1 for
    ///    progressive scans; sequential scans are decoded as Ss=0, Se=63 whatever they say).
    /// 2. Require the Huffman tables the scan will use, and latch each component's quantisation table at its first scan.
    /// 3. Decode every MCU (§F.2.2, §G.1.2), restart intervals included (§F.2.1.3).
    /// 4. Record the scan for the output: its header, then each interval cut to the bytes decoding used.
    mutating func scan(header: Range<Int>, payload: Range<Int>) throws(ImageError) -> Int {
        guard var frame else { throw .malformed("SOS before SOF") }
        scanCount += 1
        guard scanCount <= JPEGDecoder.maxScans else { throw .malformed("too many scans") }
        // Step 1.
        let p = payload.lowerBound
        guard payload.count >= 1 else { throw .malformed("bad SOS length") }
        let ns = Int(data[p])
        guard (1...4).contains(ns), payload.count == 4 + 2 * ns else { throw .malformed("bad SOS length") }
        var selected: [(index: Int, dc: Int, ac: Int)] = []
        for j in 0..<ns {
            let id = data[p + 1 + 2 * j]
            guard let index = frame.components.firstIndex(where: { $0.id == id }) else {
                throw .malformed("scan names an unknown component")
            }
            guard !selected.contains(where: { $0.index == index }) else { throw .malformed("component twice in scan") }
            let dc = Int(data[p + 2 + 2 * j] >> 4)
            let ac = Int(data[p + 2 + 2 * j] & 0x0F)
            guard dc <= 3, ac <= 3 else { throw .malformed("bad Huffman table selector") }
            selected.append((index, dc, ac))
        }
        var ss = Int(data[p + 1 + 2 * ns])
        var se = Int(data[p + 2 + 2 * ns])
        var ah = Int(data[p + 3 + 2 * ns] >> 4)
        var al = Int(data[p + 3 + 2 * ns] & 0x0F)
        if frame.progressive {
            guard ss <= se, se <= 63, ah <= 13, al <= 13 else { throw .malformed("bad progressive scan parameters") }
            if ss == 0 {
                guard se == 0 else { throw .malformed("progressive DC scan with AC coefficients") }
            } else {
                guard ns == 1 else { throw .malformed("progressive AC scan with several components") }
            }
        } else {
            (ss, se, ah, al) = (0, 63, 0, 0)
        }
        if ns > 1 {
            let blocks = selected.reduce(0) { $0 + frame.components[$1.index].h * frame.components[$1.index].v }
            guard blocks <= 10 else { throw .malformed("too many blocks in an MCU") }
        }
        // Step 2.
        let needDC = ss == 0 && ah == 0
        let needAC = se > 0
        var scanComponents: [ScanComponent] = []
        for s in selected {
            let dc = dcTables[s.dc]
            let ac = acTables[s.ac]
            guard !needDC || dc != nil, !needAC || ac != nil else { throw .malformed("missing Huffman table") }
            if frame.components[s.index].quant == nil {
                guard let table = quantTables[frame.components[s.index].quantSelector] else {
                    throw .malformed("missing quantization table")
                }
                frame.components[s.index].quant = table
            }
            scanComponents.append(ScanComponent(index: s.index, dc: dc, ac: ac))
        }
        self.frame = frame
        // Step 3.
        let start = payload.upperBound
        let end = try entropyDataEnd(from: start)
        var reader = JPEGBitReader(data: data, start: start, end: end)
        var store = coefficients
        coefficients = []
        let intervals = try store.withUnsafeMutableBufferPointer {
            (coefficients) throws(ImageError) -> [Range<Int>] in
            try decodeScan(
                frame: frame, components: scanComponents, ss: ss, se: se, ah: ah, al: al, reader: &reader,
                coefficients: coefficients)
        }
        coefficients = store
        // Step 4.
        pieces.append(.copy(header))
        for (i, interval) in intervals.enumerated() {
            if i > 0 { pieces.append(.restartMarker((i - 1) & 7)) }
            pieces.append(.copy(interval))
        }
        if intervals.reduce(0, { $0 + $1.count }) + 2 * (intervals.count - 1) < end - start {
            noteRemoved("extraneous bytes")
        }
        return end
    }

    /// Decodes the MCUs of one scan (§F.2.2 sequential, §G.1.2 progressive) into the coefficient buffer.
    /// Returns the byte ranges of the restart intervals actually used.
    func decodeScan(
        frame: Frame, components: [ScanComponent], ss: Int, se: Int, ah: Int, al: Int,
        reader: inout JPEGBitReader, coefficients: UnsafeMutableBufferPointer<Int16>
    ) throws(ImageError) -> [Range<Int>] {
        let single = components.count == 1
        let first = frame.components[components[0].index]
        let mcuCount = single ? first.blocksX * first.blocksY : frame.mcusX * frame.mcusY
        let perRow = single ? first.blocksX : frame.mcusX
        var predictors = [Int](repeating: 0, count: components.count)
        var eobRun = 0
        var intervals: [Range<Int>] = []
        var restartIndex = 0
        let zigzag = jpegZigzag
        let emptyTable = JPEGHuffmanTable.empty
        // The block kinds of §G.1.2: DC first/refine, AC first/refine; or a whole sequential block (§F.2.2).
        let kind: Int =
            !frame.progressive ? 0 : ss == 0 ? (ah == 0 ? 1 : 2) : (ah == 0 ? 3 : 4)

        var mcu = 0
        while mcu < mcuCount {
            if restartInterval > 0 && mcu > 0 && mcu % restartInterval == 0 {
                intervals.append(try reader.restart(expected: restartIndex))
                restartIndex = (restartIndex + 1) & 7
                for i in predictors.indices { predictors[i] = 0 }
                eobRun = 0
            }
            let mx = mcu % perRow
            let my = mcu / perRow
            for (si, sc) in components.enumerated() {
                let c = frame.components[sc.index]
                let dc = sc.dc ?? emptyTable
                let ac = sc.ac ?? emptyTable
                let hCount = single ? 1 : c.h
                let vCount = single ? 1 : c.v
                for v in 0..<vCount {
                    for h in 0..<hCount {
                        let bx = mx * hCount + h
                        let by = my * vCount + v
                        let base = c.offset + (by * c.paddedBlocksX + bx) * 64
                        switch kind {
                        case 0:
                            try decodeSequentialBlock(
                                &reader, coefficients, base, dc, ac, &predictors[si], zigzag)
                        case 1:
                            let t = try reader.decode(dc)
                            guard t <= 15 else { throw .malformed("bad DC magnitude category") }
                            if t != 0 { predictors[si] &+= try reader.receiveExtended(t) }
                            coefficients[base] = Int16(clamping: predictors[si] << al)
                        case 2:
                            if try reader.receive(1) == 1 { coefficients[base] |= Int16(1 << al) }
                        case 3:
                            try decodeACFirst(&reader, coefficients, base, ac, ss, se, al, &eobRun, zigzag)
                        default:
                            try decodeACRefine(&reader, coefficients, base, ac, ss, se, al, &eobRun, zigzag)
                        }
                    }
                }
            }
            mcu += 1
        }
        intervals.append(reader.intervalStart..<reader.consumedEnd)
        return intervals
    }

    /// §F.2.2.1 and §F.2.2.2: DC difference, then run/size coded AC coefficients until EOB or coefficient 63.
    private func decodeSequentialBlock(
        _ reader: inout JPEGBitReader, _ coefficients: UnsafeMutableBufferPointer<Int16>, _ base: Int,
        _ dc: JPEGHuffmanTable, _ ac: JPEGHuffmanTable, _ predictor: inout Int, _ zigzag: [Int]
    ) throws(ImageError) {
        let t = try reader.decode(dc)
        guard t <= 15 else { throw .malformed("bad DC magnitude category") }
        if t != 0 { predictor &+= try reader.receiveExtended(t) }
        coefficients[base] = Int16(clamping: predictor)
        var k = 1
        while k < 64 {
            let rs = try reader.decode(ac)
            let r = rs >> 4
            let s = rs & 0x0F
            if s == 0 {
                if r != 15 { return }  // EOB
                k += 16  // ZRL: sixteen zeros
                continue
            }
            k += r
            guard k < 64 else { throw .malformed("coefficient index overrun") }
            coefficients[base + zigzag[k]] = Int16(clamping: try reader.receiveExtended(s))
            k += 1
        }
    }

    /// §G.1.2.2: the first scan of a spectral band, with end-of-band runs (EOBRUN) spanning blocks.
    private func decodeACFirst(
        _ reader: inout JPEGBitReader, _ coefficients: UnsafeMutableBufferPointer<Int16>, _ base: Int,
        _ ac: JPEGHuffmanTable, _ ss: Int, _ se: Int, _ al: Int, _ eobRun: inout Int, _ zigzag: [Int]
    ) throws(ImageError) {
        if eobRun > 0 {
            eobRun -= 1
            return
        }
        var k = ss
        while k <= se {
            let rs = try reader.decode(ac)
            let r = rs >> 4
            let s = rs & 0x0F
            if s == 0 {
                if r == 15 {
                    k += 16
                    continue
                }
                // EOBr: this block and the next 2^r − 1 + (r extra bits) blocks end here.
                eobRun = (1 << r) - 1
                if r > 0 { eobRun += try reader.receive(r) }
                return
            }
            k += r
            guard k <= se else { throw .malformed("coefficient index overrun") }
            coefficients[base + zigzag[k]] = Int16(clamping: (try reader.receiveExtended(s)) << al)
            k += 1
        }
    }

    /// §G.1.2.3: a refinement scan of a spectral band. Coefficients already non-zero get one correction bit each;
    /// new coefficients (magnitude 1 at this bit position) are placed after skipping `r` still-zero ones.
    private func decodeACRefine(
        _ reader: inout JPEGBitReader, _ coefficients: UnsafeMutableBufferPointer<Int16>, _ base: Int,
        _ ac: JPEGHuffmanTable, _ ss: Int, _ se: Int, _ al: Int, _ eobRun: inout Int, _ zigzag: [Int]
    ) throws(ImageError) {
        let plus = 1 << al
        let minus = -1 << al
        var k = ss
        if eobRun == 0 {
            while k <= se {
                let rs = try reader.decode(ac)
                var r = rs >> 4
                let s = rs & 0x0F
                var value = 0
                if s != 0 {
                    guard s == 1 else { throw .malformed("bad refinement coefficient size") }
                    value = try reader.receive(1) == 1 ? plus : minus
                } else if r != 15 {
                    eobRun = 1 << r
                    if r > 0 { eobRun += try reader.receive(r) }
                    break
                }
                // Skip r zero-history coefficients (refining non-zero ones on the way), then place `value`.
                var placed = false
                while k <= se {
                    let z = base + zigzag[k]
                    let current = Int(coefficients[z])
                    if current != 0 {
                        if try reader.receive(1) == 1 && current & plus == 0 {
                            coefficients[z] = Int16(clamping: current + (current >= 0 ? plus : minus))
                        }
                    } else {
                        if r == 0 {
                            if value != 0 { coefficients[z] = Int16(clamping: value) }
                            placed = true
                            k += 1
                            break
                        }
                        r -= 1
                    }
                    k += 1
                }
                if value != 0 && !placed { throw .malformed("coefficient index overrun") }
            }
        }
        if eobRun > 0 {
            // Inside an end-of-band run only the non-zero coefficients receive correction bits.
            while k <= se {
                let z = base + zigzag[k]
                let current = Int(coefficients[z])
                if current != 0, try reader.receive(1) == 1, current & plus == 0 {
                    coefficients[z] = Int16(clamping: current + (current >= 0 ? plus : minus))
                }
                k += 1
            }
            eobRun -= 1
        }
    }

    // MARK: - Pixels

    /// Inverse DCT of every block, then upsampling and colour conversion into interleaved 8-bit pixels.
    ///
    /// 1. Every component must have been in a scan (else there is nothing to show for it).
    /// 2. Dequantise and inverse-DCT each block holding real samples (T.81 §A.3.3, Annex K.7 float form).
    /// 3. Upsample each component to full size with a triangle filter for 2:1 ratios (3:1 weights, the "fancy"
    ///    upsampling of common decoders), nearest neighbour for other whole ratios.
    /// 4. Convert: 1 component → gray; 3 components → YCbCr→RGB (JFIF 1.02 §"Conversion to and from RGB") unless an
    ///    Adobe APP14 says transform 0, or there is no JFIF/Adobe marker and the component ids are 'R','G','B'.
    mutating func render() throws(ImageError) -> DecodedImage {
        guard let frame else { throw .malformed("no frame") }
        // Step 1.
        var quants: [[Int]] = []
        for c in frame.components {
            guard let q = c.quant else { throw .malformed("component not in any scan") }
            quants.append(q)
        }
        // Step 2. One buffer holds every component's plane (padded to whole blocks).
        var planeOffsets: [Int] = []
        var strides: [Int] = []
        var planeTotal = 0
        for c in frame.components {
            planeOffsets.append(planeTotal)
            strides.append(c.paddedBlocksX * 8)
            planeTotal += c.paddedBlocksX * 8 * c.paddedBlocksY * 8
        }
        var planes = [UInt8](repeating: 0, count: planeTotal)
        coefficients.withUnsafeBufferPointer { coef in
            planes.withUnsafeMutableBufferPointer { out in
                for (i, c) in frame.components.enumerated() {
                    JPEGIDCT.transformComponent(
                        coef, component: c, quant: quants[i], into: out, planeOffset: planeOffsets[i],
                        stride: strides[i])
                }
            }
        }
        coefficients = []
        // Steps 3 and 4.
        let rgbIds = frame.components.map(\.id) == [0x52, 0x47, 0x42]
        let isRGB =
            frame.components.count == 3
            && (adobeTransform.map { $0 == 0 } ?? (!sawJFIF && rgbIds))
        let pixels = JPEGColor.render(
            frame: frame, planes: planes, planeOffsets: planeOffsets, strides: strides, transformYCbCr: !isRGB)
        return DecodedImage(
            width: frame.width, height: frame.height, channels: frame.components.count == 1 ? 1 : 3, pixels: pixels)
    }

    // MARK: - Output

    /// The sanitized file: SOI, the kept segments and scans in their order, EOI.
    func assemble(width: Int, height: Int) -> SanitizedImage {
        var output: [UInt8] = [0xFF, 0xD8]
        output.reserveCapacity(data.count)
        for piece in pieces {
            switch piece {
            case .copy(let range): output.append(contentsOf: data[range])
            case .restartMarker(let n): output.append(contentsOf: [0xFF, UInt8(0xD0 + n)])
            case .bytes(let bytes): output.append(contentsOf: bytes)
            }
        }
        output.append(contentsOf: [0xFF, 0xD9])
        return SanitizedImage(
            format: .jpeg, width: width, height: height, orientation: exif?.orientation ?? .up, bytes: output,
            removed: removed, hadLocation: exif?.hasGPS ?? false)
    }
}

extension JPEGHuffmanTable {
    /// Stands in for a table a scan does not use (never decoded from: `scan` requires every table it needs).
    static let empty = JPEGHuffmanTable()

    private init() {
        lookup = [UInt16](repeating: 0, count: 1 << JPEGHuffmanTable.lookupBits)
        maxCode = [Int](repeating: -1, count: 18)
        valueOffset = [Int](repeating: 0, count: 18)
        values = []
    }
}
