import HonninTesting
import Testing
@testable import HonninProofing

/// The TIFF/EXIF reader (EXIF 2.32 §4.6) on hand-made blocks, hostile ones included.
@Suite struct ExifTests {
    /// A TIFF block: header, then IFD0 at offset 8 with the given entries, then `next` as the next-IFD offset.
    static func tiff(
        little: Bool = true, entries: [(tag: UInt16, type: UInt16, count: UInt32, value: UInt32)],
        next: UInt32 = 0, declaredCount: UInt16? = nil, firstIFD: UInt32 = 8
    ) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { little ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] {
            little ? [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
                : [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        }
        var out: [UInt8] = little ? [0x49, 0x49] : [0x4D, 0x4D]
        out += u16(42) + u32(firstIFD)
        out += u16(declaredCount ?? UInt16(entries.count))
        for e in entries {
            out += u16(e.tag) + u16(e.type) + u32(e.count)
            // SHORT values sit left-justified in the 4-byte field.
            out += e.type == 3 ? u16(UInt16(truncatingIfNeeded: e.value)) + [0, 0] : u32(e.value)
        }
        return out + u32(next)
    }

    @Test func orientationAndGPSInBothByteOrders() {
        for little in [true, false] {
            let block = Self.tiff(
                little: little,
                entries: [(0x010F, 2, 4, 0), (0x0112, 3, 1, 6), (0x8825, 4, 1, 200)])
            let facts = ExifReader.read(block[...])
            #expect(facts == ExifReader.Facts(orientation: .right, hasGPS: true))
        }
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 3, 1, 8)])[...]).orientation == .left)
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 4, 1, 3)])[...]).orientation == .down)
    }

    @Test func invalidValuesGiveTheDefaults() {
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 3, 1, 9)])[...]).orientation == .up)
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 3, 1, 0)])[...]).orientation == .up)
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 2, 1, 6)])[...]).orientation == .up)
        #expect(ExifReader.read([0x49, 0x49, 43, 0, 8, 0, 0, 0][...]) == ExifReader.Facts())
        #expect(ExifReader.read([0x4A, 0x4A, 42, 0, 8, 0, 0, 0][...]) == ExifReader.Facts())
        #expect(ExifReader.read([][...]) == ExifReader.Facts())
    }

    @Test func hostileOffsetsEndTheWalk() {
        // IFD0 pointing at itself as the next IFD: read once, then stop.
        let loop = Self.tiff(entries: [(0x0112, 3, 1, 6)], next: 8)
        #expect(ExifReader.read(loop[...]).orientation == .right)
        // Out-of-range first IFD and next-IFD offsets.
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 3, 1, 6)], firstIFD: 0xFFFF_FFFF)[...]) == .init())
        #expect(ExifReader.read(Self.tiff(entries: [(0x0112, 3, 1, 6)], firstIFD: 7)[...]).orientation == .up)
        #expect(ExifReader.read(Self.tiff(entries: [(0x8825, 4, 1, 0)], next: 0xFFFF_FFF0)[...]).hasGPS)
        // An entry count far beyond the block: the entries that are there are read.
        let long = Self.tiff(entries: [(0x0112, 3, 1, 5), (0x8825, 4, 1, 1)], declaredCount: 0xFFFF)
        #expect(ExifReader.read(long[...]) == ExifReader.Facts(orientation: .leftMirrored, hasGPS: true))
        // A two-IFD cycle: IFD0 → IFD at 26 → IFD0.
        var cycle = Self.tiff(entries: [(0x0112, 3, 1, 2)], next: 26)
        cycle += [0, 0] + [8, 0, 0, 0]  // IFD1 at 26: no entries, next = 8
        #expect(ExifReader.read(cycle[...]).orientation == .upMirrored)
        // The reader gives up after maxIFDs IFDs even when every offset is new.
        var chain: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        for i in 0..<100 {
            let next = UInt32(8 + (i + 1) * 6)
            chain += [0, 0, UInt8(next & 0xFF), UInt8(next >> 8), 0, 0]
        }
        #expect(ExifReader.read(chain[...]) == ExifReader.Facts())
    }

    @Test func randomBlocksNeverTrap() {
        var rng = SplitMix64(state: 0xE1F)
        for _ in 0..<3000 {
            var block: [UInt8] = Bool.random(using: &rng) ? [0x49, 0x49, 42, 0] : [0x4D, 0x4D, 0, 42]
            for _ in 0..<Int.random(in: 0..<80, using: &rng) { block.append(UInt8.random(in: 0...255, using: &rng)) }
            // Small offsets make the random blocks point inside themselves.
            if block.count > 8 && Bool.random(using: &rng) {
                let offset = UInt8.random(in: 0...UInt8(min(block.count, 255)), using: &rng)
                if block[0] == 0x49 { block[4] = offset; block[5] = 0; block[6] = 0; block[7] = 0 }
                else { block[4] = 0; block[5] = 0; block[6] = 0; block[7] = offset }
            }
            _ = ExifReader.read(block[...])
        }
    }

    @Test func hostileExifInsideAJPEGIsStillRemoved() throws {
        let original = try TestPaths.vector("jpeg_gray.jpg")
        let block = Self.tiff(entries: [(0x0112, 3, 1, 6), (0x8825, 4, 1, 0xFFFF_FFFF)], next: 8, declaredCount: 9000)
        let app1 = JPEGBuilder.segment(0xE1, Array("Exif\0\0".utf8) + block)
        let bytes = Array(original[0..<2]) + app1 + Array(original[2...])
        let sanitized = try ImageSanitizer.sanitize(bytes, limits: smallLimits)
        #expect(sanitized.removed == ["APP1 Exif"])
        #expect(sanitized.orientation == .right && sanitized.hadLocation)
        #expect(sanitized.bytes == original)

        // Truncated EXIF payloads of every length are removed without complaint.
        let exif = Array("Exif\0\0".utf8) + block
        for n in 0...exif.count {
            let segment = JPEGBuilder.segment(0xE1, Array(exif.prefix(n)))
            let file = Array(original[0..<2]) + segment + Array(original[2...])
            #expect(try ImageSanitizer.sanitize(file, limits: smallLimits).bytes == original)
        }
    }

    @Test func hostileEXIfChunkInsideAPNGIsStillRemoved() throws {
        let original = try TestPaths.vector("png_gray8.png")
        var chunks = PNGBuilder.chunks(original)
        let loop = Self.tiff(little: false, entries: [(0x0112, 3, 1, 7)], next: 8)
        chunks.insert(("eXIf", loop), at: 1)
        let bytes = PNGBuilder.file(chunks.map { PNGBuilder.chunk($0.type, $0.data) })
        let sanitized = try ImageSanitizer.sanitize(bytes, limits: smallLimits)
        #expect(sanitized.removed == ["eXIf"])
        #expect(sanitized.orientation == .rightMirrored && !sanitized.hadLocation)
        #expect(sanitized.bytes == original)
    }
}
