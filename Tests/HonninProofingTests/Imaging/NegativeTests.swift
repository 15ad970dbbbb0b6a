import Testing
@testable import HonninProofing

/// Each malformed input gives the specific `ImageError` it should.
@Suite struct GeneralNegativeTests {
    @Test func empty() {
        #expect(throws: ImageError.empty) { try ImageSanitizer.decode([]) }
        #expect(throws: ImageError.empty) { try ImageSanitizer.sanitize([]) }
        #expect(ImageError.empty.code == "image_empty")
    }

    @Test func otherFormatsAreUnsupported() {
        let signatures: [[UInt8]] = [
            Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0],  // GIF
            Array("GIF87a".utf8) + [1, 0, 1, 0],
            Array("RIFF".utf8) + [0x20, 0, 0, 0] + Array("WEBPVP8 ".utf8) + [0, 0, 0, 0],  // WebP
            [0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0],  // HEIC
            Array("BM".utf8) + [UInt8](repeating: 0, count: 20),  // BMP
            Array("II*".utf8) + [0, 8, 0, 0, 0],  // TIFF
            [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x00],  // PNG signature with the last byte wrong
            [0xFF, 0xD9],
        ]
        for bytes in signatures {
            #expect(throws: ImageError.unsupportedFormat) { try ImageSanitizer.decode(bytes) }
        }
        #expect(ImageError.unsupportedFormat.code == "image_unsupported_format")
    }

    @Test func oversizeBytesAreRefusedBeforeAnythingElse() throws {
        let bytes = try TestPaths.vector("jpeg_baseline_420.jpg")
        let limits = ImageLimits(maxBytes: 1000, minDimension: 1)
        #expect(throws: ImageError.tooLarge(bytes: bytes.count, limit: 1000)) {
            try ImageSanitizer.sanitize(bytes, limits: limits)
        }
        // Even garbage of that size is refused as too large rather than as an unknown format.
        #expect(throws: ImageError.tooLarge(bytes: 1001, limit: 1000)) {
            try ImageSanitizer.decode([UInt8](repeating: 7, count: 1001), limits: limits)
        }
        #expect(ImageError.tooLarge(bytes: 1, limit: 0).code == "image_too_large")
    }

    @Test("every prefix of a small file is truncated", arguments: [
        "jpeg_tiny_420.jpg", "jpeg_gray_progressive.jpg", "jpeg_progressive_restart.jpg", "png_gray1.png",
        "png_interlaced_tiny.png", "png_fixed_huffman.png", "png_apng.png",
    ])
    func everyPrefixIsTruncated(_ name: String) throws {
        let bytes = try TestPaths.vector(name)
        var wrong: [Int] = []
        for length in 1..<bytes.count {
            let prefix = Array(bytes[0..<length])
            if imageError({ () throws(ImageError) in try ImageSanitizer.sanitize(prefix, limits: smallLimits) })
                != .truncated
            {
                wrong.append(length)
            }
        }
        #expect(wrong.isEmpty, "prefix lengths not reported as truncated: \(wrong.prefix(20))")
        #expect(ImageError.truncated.code == "image_truncated")
    }

    @Test func errorCodesAreStable() {
        #expect(ImageError.dimensionsOutOfRange(width: 0, height: 0).code == "image_dimensions")
        #expect(ImageError.malformed("x").code == "image_malformed")
        #expect(ImageError.unsupportedFeature("x").code == "image_unsupported_feature")
    }

    @Test func limitsHaveTheDocumentedDefaults() {
        let limits = ImageLimits.default
        #expect(limits.maxBytes == 15 * 1024 * 1024)
        #expect(limits.maxDimension == 12_000)
        #expect(limits.maxPixels == 50_000_000)
        #expect(limits.minDimension == 200)
        #expect(limits == ImageLimits())
    }
}

@Suite struct PNGNegativeTests {
    let gray8x8Rows = (0..<8).flatMap { y in [UInt8(0)] + (0..<8).map { x in UInt8(x * 30 + y) } }

    func pngGray8x8(_ idat: [UInt8], extra: [[UInt8]] = []) -> [UInt8] {
        PNGBuilder.file(
            [PNGBuilder.ihdr(width: 8, height: 8)] + extra + [
                PNGBuilder.chunk("IDAT", idat), PNGBuilder.chunk("IEND", []),
            ])
    }

    @Test func handMadeFileDecodes() throws {
        let image = try ImageSanitizer.decode(pngGray8x8(PNGBuilder.storedZlib(gray8x8Rows)), limits: smallLimits)
        #expect(image.channels == 1)
        #expect(image.pixels[9] == 31)
    }

    @Test func badCRC() throws {
        var bytes = try TestPaths.vector("png_gray8.png")
        bytes[8 + 8 + 13] ^= 0x01  // IHDR's CRC
        #expect(throws: ImageError.malformed("CRC mismatch in IHDR")) {
            try ImageSanitizer.decode(bytes, limits: smallLimits)
        }
        var data = try TestPaths.vector("png_gray8.png")
        let idat = try #require(data.firstRange(of: Array("IDAT".utf8)))
        data[idat.upperBound + 3] ^= 0x40  // a byte of compressed data
        #expect(throws: ImageError.malformed("CRC mismatch in IDAT")) {
            try ImageSanitizer.decode(data, limits: smallLimits)
        }
        // Ancillary chunks are checked too.
        let text = pngGray8x8(PNGBuilder.storedZlib(gray8x8Rows), extra: [PNGBuilder.chunk("tEXt", Array("a\0b".utf8))])
        var badText = text
        let t = try #require(text.firstRange(of: Array("tEXt".utf8)))
        badText[t.upperBound] ^= 1
        #expect(throws: ImageError.malformed("CRC mismatch in tEXt")) {
            try ImageSanitizer.sanitize(badText, limits: smallLimits)
        }
    }

    @Test func badAdler32() throws {
        let good = PNGBuilder.storedZlib(gray8x8Rows)
        var bad = good
        bad[bad.count - 1] ^= 0xFF
        #expect(throws: ImageError.malformed("Adler-32 mismatch")) {
            try ImageSanitizer.decode(pngGray8x8(bad), limits: smallLimits)
        }
        // The same on a Pillow-made file: rebuild it with the trailer altered and a correct chunk CRC.
        let chunks = PNGBuilder.chunks(try TestPaths.vector("png_rgb8.png"))
        var stream = chunks.filter { $0.type == "IDAT" }.flatMap(\.data)
        stream[stream.count - 2] ^= 0x10
        let rebuilt = PNGBuilder.file(
            chunks.filter { $0.type == "IHDR" }.map { PNGBuilder.chunk($0.type, $0.data) } + [
                PNGBuilder.chunk("IDAT", stream), PNGBuilder.chunk("IEND", []),
            ])
        #expect(throws: ImageError.malformed("Adler-32 mismatch")) {
            try ImageSanitizer.decode(rebuilt, limits: smallLimits)
        }
    }

    @Test func hostileHeaderIsRefusedBeforeAllocating() {
        // 100000 × 100000 RGBA16 would need 80 GB: refused from IHDR alone, with nothing after it.
        let bomb = PNGBuilder.file([PNGBuilder.ihdr(width: 100_000, height: 100_000, depth: 16, colorType: 6)])
        #expect(throws: ImageError.dimensionsOutOfRange(width: 100_000, height: 100_000)) {
            try ImageSanitizer.sanitize(bomb)
        }
        // Within maxDimension on each side but over maxPixels.
        let wide = PNGBuilder.file([PNGBuilder.ihdr(width: 12_000, height: 12_000)])
        #expect(throws: ImageError.dimensionsOutOfRange(width: 12_000, height: 12_000)) {
            try ImageSanitizer.decode(wide)
        }
        let zero = PNGBuilder.file([PNGBuilder.ihdr(width: 0, height: 10)])
        #expect(throws: ImageError.dimensionsOutOfRange(width: 0, height: 10)) {
            try ImageSanitizer.decode(zero, limits: smallLimits)
        }
        let huge = PNGBuilder.file([PNGBuilder.ihdr(width: 0xFFFF_FFFF, height: 1)])
        #expect(throws: ImageError.malformed("IHDR size out of range")) { try ImageSanitizer.decode(huge) }
    }

    @Test func inflateOutputIsCappedAtTheExpectedSize() {
        // 8×8 gray needs 8 × (1 + 8) = 72 bytes.
        let tooMuch = PNGBuilder.storedZlib(gray8x8Rows + [UInt8](repeating: 0, count: 28))
        #expect(throws: ImageError.malformed("decompressed data larger than expected")) {
            try ImageSanitizer.decode(pngGray8x8(tooMuch), limits: smallLimits)
        }
        let tooLittle = PNGBuilder.storedZlib(Array(gray8x8Rows.prefix(50)))
        #expect(throws: ImageError.malformed("decompressed data shorter than expected")) {
            try ImageSanitizer.decode(pngGray8x8(tooLittle), limits: smallLimits)
        }
    }

    @Test func unknownCriticalChunk() {
        let bytes = pngGray8x8(PNGBuilder.storedZlib(gray8x8Rows), extra: [PNGBuilder.chunk("ABCD", [1, 2, 3])])
        #expect(throws: ImageError.unsupportedFeature("unknown critical PNG chunk")) {
            try ImageSanitizer.sanitize(bytes, limits: smallLimits)
        }
    }

    @Test func unknownAncillaryChunkIsRemoved() throws {
        let bytes = pngGray8x8(PNGBuilder.storedZlib(gray8x8Rows), extra: [PNGBuilder.chunk("prVt", Array("secret".utf8))])
        let sanitized = try ImageSanitizer.sanitize(bytes, limits: smallLimits)
        #expect(sanitized.removed == ["unknown ancillary chunk"], "names come from a fixed list")
        #expect(!sanitized.bytes.contains(ascii: "secret"))
    }

    @Test func structuralErrors() throws {
        let idat = PNGBuilder.chunk("IDAT", PNGBuilder.storedZlib(gray8x8Rows))
        let iend = PNGBuilder.chunk("IEND", [])
        let ihdr = PNGBuilder.ihdr(width: 8, height: 8)
        let cases: [([UInt8], ImageError)] = [
            (PNGBuilder.file([idat, ihdr, iend]), .malformed("IHDR is not the first chunk")),
            (PNGBuilder.file([ihdr, ihdr, idat, iend]), .malformed("duplicate IHDR")),
            (PNGBuilder.file([ihdr, iend]), .malformed("IDAT missing")),
            (
                PNGBuilder.file([ihdr, idat, PNGBuilder.chunk("tEXt", Array("a\0b".utf8)), idat, iend]),
                .malformed("IDAT chunks not consecutive")
            ),
            (PNGBuilder.file([PNGBuilder.ihdr(width: 8, height: 8, depth: 3), idat, iend]),
             .malformed("bad colour type or bit depth")),
            (PNGBuilder.file([PNGBuilder.ihdr(width: 8, height: 8, colorType: 3), idat, iend]),
             .malformed("PLTE missing")),
            (PNGBuilder.file([ihdr, PNGBuilder.chunk("PLTE", [0, 0, 0]), idat, iend]),
             .malformed("PLTE in a gray image")),
            (PNGBuilder.file([ihdr, idat, PNGBuilder.chunk("IEND", [0])]), .malformed("IEND with data")),
            (PNGBuilder.file([PNGBuilder.ihdr(width: 8, height: 8, interlace: 2), idat, iend]),
             .malformed("unknown interlace method")),
            (PNGBuilder.file([ihdr, PNGBuilder.chunk("tRNS", [0]), idat, iend]), .malformed("bad tRNS length")),
            (PNGBuilder.file([ihdr, [0, 0, 0, 0, 0x49, 0x44, 0x41, 0x31, 0, 0, 0, 0], iend]),
             .malformed("invalid chunk type")),
            (PNGBuilder.file([ihdr, [0x80, 0, 0, 0] + Array("IDAT".utf8)]), .malformed("chunk length too large")),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) { try ImageSanitizer.sanitize(bytes, limits: smallLimits) }
        }
    }

    @Test func badFilterTypeAndPaletteIndex() {
        var rows = gray8x8Rows
        rows[9 * 3] = 5
        #expect(throws: ImageError.malformed("unknown PNG filter type")) {
            try ImageSanitizer.decode(pngGray8x8(PNGBuilder.storedZlib(rows)), limits: smallLimits)
        }
        // A two-entry palette and indices up to 240.
        let palette = PNGBuilder.file([
            PNGBuilder.ihdr(width: 8, height: 8, colorType: 3), PNGBuilder.chunk("PLTE", [0, 0, 0, 255, 255, 255]),
            PNGBuilder.chunk("IDAT", PNGBuilder.storedZlib(gray8x8Rows)), PNGBuilder.chunk("IEND", []),
        ])
        #expect(throws: ImageError.malformed("palette index out of range")) {
            try ImageSanitizer.decode(palette, limits: smallLimits)
        }
    }

    @Test func zlibStreamErrors() {
        let stream = PNGBuilder.storedZlib(gray8x8Rows)
        #expect(throws: ImageError.malformed("data after zlib stream")) {
            try ImageSanitizer.decode(pngGray8x8(stream + [0]), limits: smallLimits)
        }
        var header = stream
        header[0] = 0x79
        #expect(throws: ImageError.malformed("bad zlib header")) {
            try ImageSanitizer.decode(pngGray8x8(header), limits: smallLimits)
        }
        var dictionary = stream
        dictionary[1] = 0x20  // FDICT set, FCHECK 0: 0x7820 % 31 == 0
        #expect(throws: ImageError.malformed("zlib preset dictionary")) {
            try ImageSanitizer.decode(pngGray8x8(dictionary), limits: smallLimits)
        }
        #expect(throws: ImageError.malformed("zlib stream ended early")) {
            try ImageSanitizer.decode(pngGray8x8(Array(stream.prefix(30))), limits: smallLimits)
        }
    }
}

@Suite struct JPEGNegativeTests {
    /// DC difference 0 then EOB: a flat 8×8 block of gray 128.
    let flatScan: [UInt8] = [0x3F]

    @Test func handMadeFileDecodes() throws {
        let image = try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan), limits: smallLimits)
        #expect(image.channels == 1 && image.pixels == [UInt8](repeating: 128, count: 64))
    }

    @Test func huffmanCodeOverrun() {
        // AC table: one code '0' for run/size 0xF1 (15 zeros then a coefficient). Four of them run past index 63.
        // Bits: DC '0', then ('0' code, '1' value) × 4, padded with ones: 0010 1010 1111 1111 → 2A FF(00).
        let bytes = JPEGBuilder.gray8x8(acValues: [0xF1], scan: [0x2A, 0xFF, 0x00])
        #expect(throws: ImageError.malformed("coefficient index overrun")) {
            try ImageSanitizer.decode(bytes, limits: smallLimits)
        }
    }

    @Test func invalidHuffmanCode() {
        // The AC table has only the code '0'; the data continues with ones.
        let bytes = JPEGBuilder.gray8x8(scan: [0x7F])
        #expect(throws: ImageError.malformed("invalid Huffman code")) {
            try ImageSanitizer.decode(bytes, limits: smallLimits)
        }
    }

    @Test func invalidHuffmanTables() {
        // Three codes of length 1 cannot exist.
        let oversubscribed = JPEGBuilder.gray8x8(
            dcCounts: [3] + [UInt8](repeating: 0, count: 15), dcValues: [0, 1, 2], scan: flatScan)
        #expect(throws: ImageError.malformed("invalid Huffman table")) {
            try ImageSanitizer.decode(oversubscribed, limits: smallLimits)
        }
        // Two codes of length 1 would use the reserved all-ones code.
        let allOnes = JPEGBuilder.gray8x8(
            dcCounts: [2] + [UInt8](repeating: 0, count: 15), dcValues: [0, 1], scan: flatScan)
        #expect(throws: ImageError.malformed("invalid Huffman table")) {
            try ImageSanitizer.decode(allOnes, limits: smallLimits)
        }
        // More than 256 values.
        let tooMany = JPEGBuilder.gray8x8(
            acCounts: [UInt8](repeating: 0, count: 14) + [200, 200], acValues: [], scan: flatScan)
        #expect(throws: ImageError.malformed("invalid Huffman table")) {
            try ImageSanitizer.decode(tooMany, limits: smallLimits)
        }
    }

    @Test func entropyDataEndingEarly() {
        #expect(throws: ImageError.malformed("entropy-coded data ended early")) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: []), limits: smallLimits)
        }
        let magnitude = JPEGBuilder.gray8x8(dcValues: [16], scan: flatScan)
        #expect(throws: ImageError.malformed("bad DC magnitude category")) {
            try ImageSanitizer.decode(magnitude, limits: smallLimits)
        }
    }

    @Test func missingTables() throws {
        #expect(throws: ImageError.malformed("missing quantization table")) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan, includeDQT: false), limits: smallLimits)
        }
        let segments = JPEGBuilder.segments(try TestPaths.vector("jpeg_baseline_444.jpg"))
        let noDQT = JPEGBuilder.file(segments.filter { $0.marker != 0xDB })
        #expect(throws: ImageError.malformed("missing quantization table")) {
            try ImageSanitizer.decode(noDQT, limits: smallLimits)
        }
        let noDHT = JPEGBuilder.file(segments.filter { $0.marker != 0xC4 })
        #expect(throws: ImageError.malformed("missing Huffman table")) {
            try ImageSanitizer.decode(noDHT, limits: smallLimits)
        }
        let noSOF = JPEGBuilder.file(segments.filter { $0.marker != 0xC0 })
        #expect(throws: ImageError.malformed("SOS before SOF")) { try ImageSanitizer.decode(noSOF, limits: smallLimits) }
        let noScan = JPEGBuilder.file(segments.filter { $0.marker != 0xDA })
        #expect(throws: ImageError.malformed("no scan before EOI")) {
            try ImageSanitizer.decode(noScan, limits: smallLimits)
        }
    }

    @Test func frameDimensions() {
        #expect(throws: ImageError.dimensionsOutOfRange(width: 0, height: 8)) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan, width: 0), limits: smallLimits)
        }
        #expect(throws: ImageError.dimensionsOutOfRange(width: 8, height: 0)) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan, height: 0), limits: smallLimits)
        }
        // 65535 × 65535 from a 200-byte file: refused at SOF, before any coefficient buffer exists.
        #expect(throws: ImageError.dimensionsOutOfRange(width: 65535, height: 65535)) {
            try ImageSanitizer.sanitize(JPEGBuilder.gray8x8(scan: flatScan, width: 65535, height: 65535))
        }
        #expect(throws: ImageError.dimensionsOutOfRange(width: 8, height: 8)) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan))
        }
    }

    @Test func unsupportedProcesses() {
        let cases: [(UInt8, String)] = [
            (0xC9, "arithmetic coding"), (0xCA, "arithmetic coding"), (0xC3, "lossless JPEG"),
            (0xC5, "hierarchical JPEG"), (0xC7, "hierarchical JPEG"),
        ]
        for (marker, reason) in cases {
            #expect(throws: ImageError.unsupportedFeature(reason)) {
                try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan, sofMarker: marker), limits: smallLimits)
            }
        }
        #expect(throws: ImageError.unsupportedFeature("12-bit JPEG")) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan, precision: 12), limits: smallLimits)
        }
        #expect(throws: ImageError.malformed("bad sample precision")) {
            try ImageSanitizer.decode(JPEGBuilder.gray8x8(scan: flatScan, precision: 7), limits: smallLimits)
        }
        // Four components (CMYK / YCCK).
        var cmyk: [UInt8] = [0xFF, 0xD8]
        cmyk += JPEGBuilder.segment(0xC0, [8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0])
        #expect(throws: ImageError.unsupportedFeature("CMYK JPEG")) {
            try ImageSanitizer.decode(cmyk + [0xFF, 0xD9], limits: smallLimits)
        }
    }

    @Test func markersOutOfPlace() throws {
        let flat = JPEGBuilder.gray8x8(scan: flatScan)
        let cases: [([UInt8], ImageError)] = [
            ([0xFF, 0xD8, 0xFF, 0xD8], .malformed("unexpected SOI")),
            ([0xFF, 0xD8, 0xFF, 0x00], .malformed("stuffed zero outside entropy-coded data")),
            ([0xFF, 0xD8, 0xFF, 0x02, 0x00, 0x02], .malformed("reserved marker")),
            ([0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x01], .malformed("bad segment length")),
            ([0xFF, 0xD8, 0xFF, 0xD9], .malformed("no scan before EOI")),
            (Array(flat.dropLast(2)) + JPEGBuilder.segment(0xC0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]) + [0xFF, 0xD9],
             .malformed("more than one frame")),
            ([0xFF, 0xD8] + JPEGBuilder.segment(0xDC, [0, 8]), .unsupportedFeature("DNL marker")),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) { try ImageSanitizer.sanitize(bytes, limits: smallLimits) }
        }
    }

    @Test func restartMarkers() throws {
        let bytes = try TestPaths.vector("jpeg_restart_420.jpg")
        let sos = try #require(bytes.firstRange(of: [0xFF, 0xDA]))
        let rst = try #require(bytes[sos.upperBound...].firstRange(of: [0xFF, 0xD0]))
        var wrong = bytes
        wrong[rst.lowerBound + 1] = 0xD3
        #expect(throws: ImageError.malformed("unexpected restart marker")) {
            try ImageSanitizer.decode(wrong, limits: smallLimits)
        }
        // Junk hidden before a restart marker is cut from the sanitized file.
        var junk = bytes
        junk.insert(contentsOf: Array("HIDDEN".utf8), at: rst.lowerBound)
        let sanitized = try ImageSanitizer.sanitize(junk, limits: smallLimits)
        #expect(sanitized.removed == ["extraneous bytes"])
        #expect(sanitized.bytes == bytes)
    }

    @Test func junkAfterTheLastScanAndBetweenSegmentsIsRemoved() throws {
        let bytes = try TestPaths.vector("jpeg_gray.jpg")
        let eoi = bytes.count - 2
        let padded = Array(bytes[..<eoi]) + Array("HIDDENDATA".utf8) + [0xFF, 0xD9]
        let sanitized = try ImageSanitizer.sanitize(padded, limits: smallLimits)
        #expect(sanitized.removed == ["extraneous bytes"])
        #expect(!sanitized.bytes.contains(ascii: "HIDDENDATA"))
        #expect(try ImageSanitizer.decode(sanitized.bytes, limits: smallLimits).pixels
            == ImageSanitizer.decode(bytes, limits: smallLimits).pixels)
        // Between two segments.
        var between = bytes
        let dqt = try #require(bytes.firstRange(of: [0xFF, 0xDB]))
        between.insert(contentsOf: Array("GAP".utf8), at: dqt.lowerBound)
        let cleaned = try ImageSanitizer.sanitize(between, limits: smallLimits)
        #expect(cleaned.removed == ["extraneous bytes"] && cleaned.bytes == bytes)
    }
}
