import HonninTesting
import Testing
@testable import HonninProofing

/// Checksums (PNG Annex D, RFC 1950 §8.2) and the DEFLATE decoder (RFC 1951) on hand-made streams.
@Suite struct InflateTests {
    /// Packs bits least-significant first (RFC 1951 §3.1.1).
    struct BitWriter {
        var bytes: [UInt8] = []
        var used = 0
        mutating func write(_ value: Int, _ count: Int) {
            for i in 0..<count {
                if used == 0 { bytes.append(0) }
                bytes[bytes.count - 1] |= UInt8((value >> i) & 1) << UInt8(used)
                used = (used + 1) & 7
            }
        }
        /// Huffman codes go most-significant bit first.
        mutating func writeCode(_ code: Int, _ length: Int) {
            for i in (0..<length).reversed() { write((code >> i) & 1, 1) }
        }
    }

    func inflate(_ deflate: [UInt8], expected: Int) throws(ImageError) -> [UInt8] {
        let stream: [UInt8] = [0x78, 0x01] + deflate
        return try stream.withUnsafeBufferPointer { (p) throws(ImageError) in
            try Zlib.decompress(p, expectedSize: expected)
        }
    }

    @Test func checkValues() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        let wikipedia = Array("Wikipedia".utf8)
        #expect(wikipedia.withUnsafeBufferPointer { Adler32.checksum($0) } == 0x11E6_0398)
        // Long input crosses the 5552-byte reduction boundary.
        let long = [UInt8](repeating: 0xFF, count: 100_000)
        var s1: UInt64 = 1
        var s2: UInt64 = 0
        for b in long {
            s1 = (s1 + UInt64(b)) % 65521
            s2 = (s2 + s1) % 65521
        }
        #expect(long.withUnsafeBufferPointer { Adler32.checksum($0) } == UInt32(s2 << 16 | s1))
    }

    @Test func storedBlocksRoundTrip() throws {
        var rng = SplitMix64(state: 7)
        let data = (0..<150_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let stream = PNGBuilder.storedZlib(data)
        let out = try stream.withUnsafeBufferPointer { (p) throws(ImageError) in
            try Zlib.decompress(p, expectedSize: data.count)
        }
        #expect(out == data)
    }

    @Test func fixedHuffmanLiteralsAndRepeats() throws {
        // 'a' then <length 5, distance 1>: "aaaaaa". Fixed codes (§3.2.6): literal 97 = 0x30 + 97 in 8 bits;
        // length 5 = symbol 259 = 7-bit code 3; distance 1 = 5-bit code 0.
        var w = BitWriter()
        w.write(1, 1)
        w.write(1, 2)
        w.writeCode(0x30 + 97, 8)
        w.writeCode(3, 7)
        w.writeCode(0, 5)
        w.writeCode(0, 7)  // end of block (256)
        var data = w.bytes
        let adler = Array("aaaaaa".utf8).withUnsafeBufferPointer { Adler32.checksum($0) }
        data += PNGBuilder.be32(adler)
        #expect(try inflate(data, expected: 6) == Array("aaaaaa".utf8))
        #expect(throws: ImageError.malformed("decompressed data larger than expected")) {
            try inflate(data, expected: 5)
        }
    }

    @Test func distanceTooFarBack() {
        // BFINAL, fixed codes, <length 3, distance 1> with nothing written yet.
        #expect(throws: ImageError.malformed("DEFLATE distance too far back")) {
            try inflate([0x03, 0x02, 0x00, 0, 0, 0, 0], expected: 10)
        }
    }

    @Test func invalidCodesAndBlocks() {
        var reserved = BitWriter()
        reserved.write(1, 1)
        reserved.write(3, 2)
        #expect(throws: ImageError.malformed("reserved DEFLATE block type")) {
            try inflate(reserved.bytes + [0, 0, 0, 0], expected: 1)
        }
        // A dynamic block whose code-length code has 19 codes of length 1: over-subscribed.
        var over = BitWriter()
        over.write(1, 1)
        over.write(2, 2)
        over.write(0, 5)
        over.write(0, 5)
        over.write(15, 4)
        for _ in 0..<19 { over.write(1, 3) }
        #expect(throws: ImageError.malformed("over-subscribed Huffman code")) {
            try inflate(over.bytes + [0, 0, 0, 0], expected: 1)
        }
        // HLIT = 30 → 287 literal/length codes: more than RFC 1951 allows.
        var counts = BitWriter()
        counts.write(1, 1)
        counts.write(2, 2)
        counts.write(30, 5)
        counts.write(0, 5)
        counts.write(0, 4)
        #expect(throws: ImageError.malformed("bad DEFLATE code counts")) {
            try inflate(counts.bytes + [0, 0, 0, 0], expected: 1)
        }
        // A repeat of the previous length with no previous length: code-length code {16: '0', 0: '1'}.
        var repeatFirst = BitWriter()
        repeatFirst.write(1, 1)
        repeatFirst.write(2, 2)
        repeatFirst.write(0, 5)
        repeatFirst.write(0, 5)
        repeatFirst.write(0, 4)  // four code-length code lengths: for 16, 17, 18, 0
        repeatFirst.write(1, 3)  // 16 → length 1
        repeatFirst.write(0, 3)  // 17 → unused
        repeatFirst.write(0, 3)  // 18 → unused
        repeatFirst.write(1, 3)  // 0 → length 1
        repeatFirst.writeCode(1, 1)  // symbol 16 (code 1: symbol 0 sorts first) comes first
        repeatFirst.write(0, 2)
        #expect(throws: ImageError.malformed("DEFLATE length repeat with no previous length")) {
            try inflate(repeatFirst.bytes + [0, 0, 0, 0], expected: 1)
        }
        // Stored block whose NLEN is not the complement of LEN.
        #expect(throws: ImageError.malformed("stored block length check failed")) {
            try inflate([0x01, 0x05, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 9), expected: 5)
        }
    }
}
