/// PNG (W3C PNG 3rd edition, ISO/IEC 15948): chunk walk, decoding of every colour type and bit depth with Adam7,
/// and re-assembly without metadata chunks.
enum PNGCodec {
    /// PNG 3rd ed. §5.2.
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// PNG 3rd ed. §11.2.1 IHDR, Table 11.1 (allowed colour type / bit depth pairs).
    struct Header: Sendable {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: Int
        var interlaced: Bool

        var samplesPerPixel: Int {
            switch colorType {
            case 2: 3
            case 4: 2
            case 6: 4
            default: 1  // 0 gray, 3 palette index
            }
        }
        var bitsPerPixel: Int { samplesPerPixel * bitDepth }
    }

    /// Chunks kept by the sanitizer: the critical ones, transparency, and the colour-space chunks
    /// (PNG 3rd ed. §11.3.2: gAMA, cHRM, sRGB, iCCP). Everything else ancillary is removed.
    static let keptAncillary: Set<String> = ["tRNS", "gAMA", "cHRM", "sRGB", "iCCP"]

    /// Ancillary chunks reported by name when removed: those of PNG 3rd ed. §11.3, APNG (§11.3.6 acTL, fcTL, fdAT)
    /// and the registered extensions. Any other type is reported as "unknown ancillary chunk", so the names an
    /// uploader can make appear in `removed` (and in logs) come from this fixed list.
    static let namedAncillary: Set<String> = [
        "bKGD", "cHRM", "cICP", "cLLI", "mDCV", "dSIG", "eXIf", "gAMA", "hIST", "iCCP", "iTXt", "pHYs", "sBIT",
        "sPLT", "sRGB", "tEXt", "tIME", "tRNS", "zTXt", "acTL", "fcTL", "fdAT", "oFFs", "pCAL", "sCAL", "sTER",
        "gIFg", "gIFx", "caBX",
    ]

    private struct Chunk {
        var type: String
        /// Offset of the chunk's length field; the chunk occupies `start ..< start + 12 + length`.
        var start: Int
        var dataStart: Int
        var length: Int
    }

    /// Walks, checks, decodes and (when `strip`) re-assembles a PNG.
    ///
    /// 1. Walk every chunk (§5.3): length ≤ 2³¹−1, type of four ASCII letters, CRC-32 over type and data (§5.5).
    /// 2. Enforce the ordering of §5.6: IHDR first, PLTE before IDAT, IDAT consecutive, IEND last; an unknown
    ///    critical chunk (§5.4, first letter upper case) is refused.
    /// 3. On IHDR, check the limits before anything is allocated.
    /// 4. Inflate the IDAT stream to exactly the size IHDR implies, undo the filters (§9), de-interlace (§8.2),
    ///    expand to 8-bit gray, RGB or RGBA.
    /// 5. Keep IHDR, PLTE, tRNS, IDAT, IEND and the colour chunks; drop the rest and anything after IEND.
    static func process(_ bytes: [UInt8], limits: ImageLimits, strip: Bool) throws(ImageError) -> (
        DecodedImage, SanitizedImage?
    ) {
        guard bytes.count >= signature.count else { throw .truncated }
        var position = signature.count
        var header: Header?
        var palette: [UInt8] = []  // RGB triples
        var transparency: [UInt8]?
        var idat: [UInt8] = []
        var kept: [Chunk] = []
        var removed: [String] = []
        var exifFacts: ExifReader.Facts?
        var sawIDAT = false
        var idatEnded = false
        var sawIEND = false

        func noteRemoved(_ name: String) {
            if !removed.contains(name) { removed.append(name) }
        }

        while !sawIEND {
            // Step 1.
            guard position + 8 <= bytes.count else { throw .truncated }
            let length = Int(readBE32(bytes, position))
            guard length <= 0x7FFF_FFFF else { throw .malformed("chunk length too large") }
            let typeBytes = bytes[(position + 4)..<(position + 8)]
            guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                throw .malformed("invalid chunk type")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            let dataStart = position + 8
            guard dataStart + length + 4 <= bytes.count else { throw .truncated }
            let crc = bytes.withUnsafeBufferPointer { all in
                CRC32.update(0, UnsafeBufferPointer(rebasing: all[(position + 4)..<(dataStart + length)]))
            }
            guard crc == readBE32(bytes, dataStart + length) else { throw .malformed("CRC mismatch in \(type)") }
            let chunk = Chunk(type: type, start: position, dataStart: dataStart, length: length)
            let data = bytes[dataStart..<(dataStart + length)]
            position = dataStart + length + 4

            // Step 2.
            if header == nil && type != "IHDR" { throw .malformed("IHDR is not the first chunk") }
            if sawIDAT && type != "IDAT" { idatEnded = true }
            switch type {
            case "IHDR":
                guard header == nil else { throw .malformed("duplicate IHDR") }
                let parsed = try parseHeader(data)
                try limits.check(width: parsed.width, height: parsed.height)  // Step 3.
                header = parsed
                kept.append(chunk)
            case "PLTE":
                guard let h = header, !sawIDAT, palette.isEmpty else { throw .malformed("PLTE out of place") }
                guard h.colorType != 0, h.colorType != 4 else { throw .malformed("PLTE in a gray image") }
                guard length % 3 == 0, length >= 3, length <= 768 else { throw .malformed("bad PLTE length") }
                palette = Array(data)
                kept.append(chunk)
            case "tRNS":
                guard let h = header, transparency == nil else { throw .malformed("duplicate tRNS") }
                if sawIDAT {
                    // Out of order (§5.6) but ancillary: ignored and removed rather than refused.
                    noteRemoved(type)
                    continue
                }
                switch h.colorType {
                case 0: guard length == 2 else { throw .malformed("bad tRNS length") }
                case 2: guard length == 6 else { throw .malformed("bad tRNS length") }
                case 3:
                    guard !palette.isEmpty, length <= palette.count / 3 else { throw .malformed("bad tRNS length") }
                default: throw .malformed("tRNS in an image with alpha")
                }
                transparency = Array(data)
                kept.append(chunk)
            case "IDAT":
                guard !idatEnded else { throw .malformed("IDAT chunks not consecutive") }
                sawIDAT = true
                idat.append(contentsOf: data)
                kept.append(chunk)
            case "IEND":
                guard length == 0 else { throw .malformed("IEND with data") }
                sawIEND = true
                kept.append(chunk)
            default:
                guard let first = typeBytes.first, first & 0x20 != 0 else {
                    throw .unsupportedFeature("unknown critical PNG chunk")
                }
                if keptAncillary.contains(type) && !sawIDAT {
                    kept.append(chunk)
                } else {
                    if type == "eXIf" && exifFacts == nil { exifFacts = ExifReader.read(data) }
                    noteRemoved(namedAncillary.contains(type) ? type : "unknown ancillary chunk")
                }
            }
        }
        guard let header else { throw .malformed("IHDR missing") }
        guard sawIDAT else { throw .malformed("IDAT missing") }
        if header.colorType == 3 && palette.isEmpty { throw .malformed("PLTE missing") }

        // Step 4.
        let image = try decodePixels(
            header: header, idat: idat, palette: palette, transparency: transparency)

        guard strip else { return (image, nil) }
        // Step 5.
        if position < bytes.count { noteRemoved("trailing bytes") }
        var output = signature
        output.reserveCapacity(position)
        for chunk in kept { output.append(contentsOf: bytes[chunk.start..<(chunk.dataStart + chunk.length + 4)]) }
        let sanitized = SanitizedImage(
            format: .png, width: header.width, height: header.height,
            orientation: exifFacts?.orientation ?? .up, bytes: output, removed: removed,
            hadLocation: exifFacts?.hasGPS ?? false)
        return (image, sanitized)
    }

    static func readBE32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    /// PNG 3rd ed. §11.2.1: 13 bytes; width and height 1...2³¹−1; Table 11.1 pairs; methods 0; interlace 0 or 1.
    static func parseHeader(_ data: ArraySlice<UInt8>) throws(ImageError) -> Header {
        guard data.count == 13 else { throw .malformed("bad IHDR length") }
        let d = Array(data)
        let width = Int(readBE32(d, 0))
        let height = Int(readBE32(d, 4))
        guard width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else { throw .malformed("IHDR size out of range") }
        let bitDepth = Int(d[8])
        let colorType = Int(d[9])
        let allowed: [Int] =
            switch colorType {
            case 0: [1, 2, 4, 8, 16]
            case 3: [1, 2, 4, 8]
            case 2, 4, 6: [8, 16]
            default: []
            }
        guard allowed.contains(bitDepth) else { throw .malformed("bad colour type or bit depth") }
        guard d[10] == 0, d[11] == 0 else { throw .malformed("unknown compression or filter method") }
        guard d[12] <= 1 else { throw .malformed("unknown interlace method") }
        return Header(width: width, height: height, bitDepth: bitDepth, colorType: colorType, interlaced: d[12] == 1)
    }

    /// A reduced image of the interlaced (or the single, non-interlaced) sequence: PNG 3rd ed. §8.2, Table 8.1.
    struct Pass {
        var x0: Int, y0: Int, dx: Int, dy: Int
    }
    static let adam7: [Pass] = [
        Pass(x0: 0, y0: 0, dx: 8, dy: 8), Pass(x0: 4, y0: 0, dx: 8, dy: 8), Pass(x0: 0, y0: 4, dx: 4, dy: 8),
        Pass(x0: 2, y0: 0, dx: 4, dy: 4), Pass(x0: 0, y0: 2, dx: 2, dy: 4), Pass(x0: 1, y0: 0, dx: 2, dy: 2),
        Pass(x0: 0, y0: 1, dx: 1, dy: 2),
    ]

    /// Output channels: gray → 1 (4, RGBA, with tRNS), RGB → 3 (4 with tRNS), palette → 3 (4 with tRNS),
    /// gray+alpha → 4 (gray replicated), RGBA → 4.
    static func outputChannels(_ header: Header, hasTransparency: Bool) -> Int {
        switch header.colorType {
        case 0: hasTransparency ? 4 : 1
        case 2, 3: hasTransparency ? 4 : 3
        default: 4
        }
    }

    /// Step 4 of `process`.
    static func decodePixels(header: Header, idat: [UInt8], palette: [UInt8], transparency: [UInt8]?)
        throws(ImageError) -> DecodedImage
    {
        let passes = header.interlaced ? adam7 : [Pass(x0: 0, y0: 0, dx: 1, dy: 1)]
        // Sizes of each reduced image (§8.2) and of the whole filtered stream; checked arithmetic throughout.
        var layout: [(pass: Pass, width: Int, height: Int, rowBytes: Int, offset: Int)] = []
        var total = 0
        for pass in passes {
            let w = header.width > pass.x0 ? (header.width - pass.x0 + pass.dx - 1) / pass.dx : 0
            let h = header.height > pass.y0 ? (header.height - pass.y0 + pass.dy - 1) / pass.dy : 0
            guard w > 0, h > 0 else { continue }
            let (bits, o1) = w.multipliedReportingOverflow(by: header.bitsPerPixel)
            let rowBytes = (bits + 7) / 8
            let (size, o2) = h.multipliedReportingOverflow(by: rowBytes + 1)
            let (sum, o3) = total.addingReportingOverflow(size)
            guard !o1, !o2, !o3 else { throw .dimensionsOutOfRange(width: header.width, height: header.height) }
            layout.append((pass, w, h, rowBytes, total))
            total = sum
        }
        let channels = outputChannels(header, hasTransparency: transparency != nil)
        let (pixelCount, o4) = header.width.multipliedReportingOverflow(by: header.height)
        let (outCount, o5) = pixelCount.multipliedReportingOverflow(by: channels)
        guard !o4, !o5 else { throw .dimensionsOutOfRange(width: header.width, height: header.height) }

        var filtered = try idat.withUnsafeBufferPointer { (input) throws(ImageError) in
            try Zlib.decompress(input, expectedSize: total)
        }
        var pixels = [UInt8](repeating: 0, count: outCount)
        let converter = SampleConverter(
            header: header, channels: channels, palette: palette, transparency: transparency)
        try filtered.withUnsafeMutableBufferPointer { (raw) throws(ImageError) in
            try pixels.withUnsafeMutableBufferPointer { (out) throws(ImageError) in
                for item in layout {
                    let bpp = max(1, header.bitsPerPixel / 8)
                    let stride = item.rowBytes + 1
                    for row in 0..<item.height {
                        let line = item.offset + row * stride
                        try unfilter(
                            raw, line: line, previous: row > 0 ? line - stride : nil, rowBytes: item.rowBytes,
                            bpp: bpp)
                        let y = item.pass.y0 + row * item.pass.dy
                        try converter.convert(
                            raw, from: line + 1, count: item.width, into: out,
                            at: (y * header.width + item.pass.x0) * channels, step: item.pass.dx * channels)
                    }
                }
            }
        }
        return DecodedImage(width: header.width, height: header.height, channels: channels, pixels: pixels)
    }

    /// PNG 3rd ed. §9.2–§9.4: undo filter types 0–4 on one row in place (the previous row is already reconstructed).
    /// Arithmetic is modulo 256.
    static func unfilter(
        _ raw: UnsafeMutableBufferPointer<UInt8>, line: Int, previous: Int?, rowBytes: Int, bpp: Int
    ) throws(ImageError) {
        let filter = raw[line]
        let c = line + 1
        switch filter {
        case 0:
            return
        case 1:  // Sub
            var i = bpp
            while i < rowBytes {
                raw[c + i] = raw[c + i] &+ raw[c + i - bpp]
                i += 1
            }
        case 2:  // Up
            guard let previous else { return }
            let p = previous + 1
            for i in 0..<rowBytes { raw[c + i] = raw[c + i] &+ raw[p + i] }
        case 3:  // Average: floor((left + up) / 2)
            if let previous {
                let p = previous + 1
                for i in 0..<rowBytes {
                    let left = i >= bpp ? Int(raw[c + i - bpp]) : 0
                    raw[c + i] = raw[c + i] &+ UInt8(truncatingIfNeeded: (left + Int(raw[p + i])) >> 1)
                }
            } else {
                var i = bpp
                while i < rowBytes {
                    raw[c + i] = raw[c + i] &+ (raw[c + i - bpp] >> 1)
                    i += 1
                }
            }
        case 4:  // Paeth (§9.4): of left, up, upper-left, the one nearest to left + up − upper-left
            guard let previous else {
                // With no previous row, up and upper-left are 0 and the predictor is always left.
                var i = bpp
                while i < rowBytes {
                    raw[c + i] = raw[c + i] &+ raw[c + i - bpp]
                    i += 1
                }
                return
            }
            let p = previous + 1
            for i in 0..<rowBytes {
                let a = i >= bpp ? Int(raw[c + i - bpp]) : 0
                let b = Int(raw[p + i])
                let cc = i >= bpp ? Int(raw[p + i - bpp]) : 0
                let estimate = a + b - cc
                let pa = abs(estimate - a)
                let pb = abs(estimate - b)
                let pc = abs(estimate - cc)
                let predictor = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : cc)
                raw[c + i] = raw[c + i] &+ UInt8(truncatingIfNeeded: predictor)
            }
        default:
            throw .malformed("unknown PNG filter type")
        }
    }
}

/// Expands one reconstructed row of samples (PNG 3rd ed. §7.2 packing, most significant bits first) to 8-bit output
/// pixels. Sub-byte gray is scaled to 0...255 (×255, ×85, ×17, PNG §13.12); 16-bit samples keep their high byte;
/// palette indices are looked up (an index beyond PLTE is malformed, §11.2.3); tRNS gives alpha (§11.3.1.1).
struct SampleConverter {
    let header: PNGCodec.Header
    let channels: Int
    /// RGBA per palette entry (alpha from tRNS, 255 beyond it).
    let paletteRGBA: [UInt8]
    let paletteCount: Int
    /// The tRNS gray or RGB key at the image's own bit depth.
    let key: [Int]?

    init(header: PNGCodec.Header, channels: Int, palette: [UInt8], transparency: [UInt8]?) {
        self.header = header
        self.channels = channels
        paletteCount = palette.count / 3
        var rgba = [UInt8](repeating: 255, count: paletteCount * 4)
        for i in 0..<paletteCount {
            rgba[i * 4] = palette[i * 3]
            rgba[i * 4 + 1] = palette[i * 3 + 1]
            rgba[i * 4 + 2] = palette[i * 3 + 2]
            if header.colorType == 3, let transparency, i < transparency.count { rgba[i * 4 + 3] = transparency[i] }
        }
        paletteRGBA = rgba
        if header.colorType != 3, let transparency {
            key = stride(from: 0, to: transparency.count - 1, by: 2).map {
                Int(transparency[$0]) << 8 | Int(transparency[$0 + 1])
            }
        } else {
            key = nil
        }
    }

    func convert(
        _ raw: UnsafeMutableBufferPointer<UInt8>, from start: Int, count: Int,
        into out: UnsafeMutableBufferPointer<UInt8>, at firstOutput: Int, step: Int
    ) throws(ImageError) {
        let depth = header.bitDepth
        var o = firstOutput
        switch header.colorType {
        case 0, 3:
            let scale = depth == 1 ? 255 : depth == 2 ? 85 : depth == 4 ? 17 : 1
            let mask = depth >= 8 ? 0xFF : (1 << depth) - 1
            for x in 0..<count {
                let value: Int
                if depth == 16 {
                    value = Int(raw[start + 2 * x]) << 8 | Int(raw[start + 2 * x + 1])
                } else if depth == 8 {
                    value = Int(raw[start + x])
                } else {
                    let bit = x * depth
                    value = (Int(raw[start + (bit >> 3)]) >> (8 - depth - (bit & 7))) & mask
                }
                if header.colorType == 3 {
                    guard value < paletteCount else { throw .malformed("palette index out of range") }
                    out[o] = paletteRGBA[value * 4]
                    out[o + 1] = paletteRGBA[value * 4 + 1]
                    out[o + 2] = paletteRGBA[value * 4 + 2]
                    if channels == 4 { out[o + 3] = paletteRGBA[value * 4 + 3] }
                } else {
                    let gray = UInt8(truncatingIfNeeded: depth == 16 ? value >> 8 : value * scale)
                    if channels == 1 {
                        out[o] = gray
                    } else {
                        out[o] = gray
                        out[o + 1] = gray
                        out[o + 2] = gray
                        out[o + 3] = key?.first == value ? 0 : 255
                    }
                }
                o += step
            }
        case 2:
            let bytesPerSample = depth / 8
            for x in 0..<count {
                let p = start + x * 3 * bytesPerSample
                out[o] = raw[p]
                out[o + 1] = raw[p + bytesPerSample]
                out[o + 2] = raw[p + 2 * bytesPerSample]
                if channels == 4, let key {
                    let r = depth == 16 ? Int(raw[p]) << 8 | Int(raw[p + 1]) : Int(raw[p])
                    let g = depth == 16 ? Int(raw[p + 2]) << 8 | Int(raw[p + 3]) : Int(raw[p + 1])
                    let b = depth == 16 ? Int(raw[p + 4]) << 8 | Int(raw[p + 5]) : Int(raw[p + 2])
                    out[o + 3] = (key.count == 3 && key[0] == r && key[1] == g && key[2] == b) ? 0 : 255
                }
                o += step
            }
        case 4:
            let bytesPerSample = depth / 8
            for x in 0..<count {
                let p = start + x * 2 * bytesPerSample
                let gray = raw[p]
                out[o] = gray
                out[o + 1] = gray
                out[o + 2] = gray
                out[o + 3] = raw[p + bytesPerSample]
                o += step
            }
        default:  // 6
            let bytesPerSample = depth / 8
            for x in 0..<count {
                let p = start + x * 4 * bytesPerSample
                out[o] = raw[p]
                out[o + 1] = raw[p + bytesPerSample]
                out[o + 2] = raw[p + 2 * bytesPerSample]
                out[o + 3] = raw[p + 3 * bytesPerSample]
                o += step
            }
        }
    }
}
