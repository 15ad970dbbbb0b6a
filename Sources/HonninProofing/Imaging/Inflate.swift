/// zlib (RFC 1950) around DEFLATE (RFC 1951), decoding into a buffer of exactly the size the caller expects.
///
/// The output size is known before decoding (PNG: from IHDR, PNG 3rd ed. §7.2 and §8.2), so the output is allocated
/// once and any attempt to write past it is refused at once: this is the decompression-bomb guard, independent of the
/// compression ratio.
enum Zlib {
    /// Decompresses a complete zlib stream whose uncompressed length must be exactly `expectedSize`.
    ///
    /// 1. Check the two-byte header (RFC 1950 §2.2): CM = 8, CINFO ≤ 7, FCHECK, no preset dictionary (PNG §10.1).
    /// 2. Inflate blocks until BFINAL (RFC 1951 §3.2.3), never writing past `expectedSize`.
    /// 3. Check the Adler-32 trailer (RFC 1950 §2.2, §8.2) and that nothing follows it.
    static func decompress(_ input: UnsafeBufferPointer<UInt8>, expectedSize: Int) throws(ImageError) -> [UInt8] {
        guard input.count >= 2 else { throw .malformed("zlib stream too short") }
        let cmf = input[0]
        let flg = input[1]
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (UInt16(cmf) << 8 | UInt16(flg)) % 31 == 0 else {
            throw .malformed("bad zlib header")
        }
        guard flg & 0x20 == 0 else { throw .malformed("zlib preset dictionary") }
        guard expectedSize >= 0 else { throw .malformed("negative output size") }

        var output = [UInt8](repeating: 0, count: expectedSize)
        try output.withUnsafeMutableBufferPointer { (out) throws(ImageError) in
            var inflater = Inflater(input: input, position: 2, output: out)
            try inflater.run()
            // Step 3: the trailer starts on the next byte boundary.
            inflater.alignToByte()
            inflater.rewindBufferedBytes()
            guard inflater.position + 4 <= input.count else { throw .malformed("zlib stream ended early") }
            let p = inflater.position
            let stored = UInt32(input[p]) << 24 | UInt32(input[p + 1]) << 16 | UInt32(input[p + 2]) << 8
                | UInt32(input[p + 3])
            guard p + 4 == input.count else { throw .malformed("data after zlib stream") }
            guard inflater.outputPosition == out.count else {
                throw .malformed("decompressed data shorter than expected")
            }
            guard Adler32.checksum(UnsafeBufferPointer(out)) == stored else { throw .malformed("Adler-32 mismatch") }
        }
        return output
    }
}

/// A canonical Huffman code for DEFLATE (RFC 1951 §3.2.2), decoded with a 9-bit lookup table and a bit-serial
/// fallback for longer codes.
struct InflateHuffman: Sendable {
    static let fastBits = 9
    /// Indexed by the next 9 input bits (LSB first); 0 = not decidable from 9 bits, else `length << 9 | symbol`.
    var fast: [UInt16]
    /// Number of codes of each length 0...15.
    var counts: [Int]
    /// Symbols ordered by code (length, then symbol value).
    var symbols: [UInt16]

    /// Builds the code from code lengths (RFC 1951 §3.2.2 steps 1–3). Over-subscribed codes are malformed; incomplete
    /// codes are accepted (a lone distance code is legal) and an unused bit pattern fails when decoded.
    init(lengths: ArraySlice<UInt8>) throws(ImageError) {
        var counts = [Int](repeating: 0, count: 16)
        for length in lengths { counts[Int(length)] += 1 }
        counts[0] = 0
        // Step 1 check: the Kraft sum must not exceed 1.
        var left = 1
        for length in 1...15 {
            left <<= 1
            left -= counts[length]
            guard left >= 0 else { throw .malformed("over-subscribed Huffman code") }
        }
        // Step 2: the first index of each length in the sorted symbol list.
        var offsets = [Int](repeating: 0, count: 16)
        for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
        var symbols = [UInt16](repeating: 0, count: offsets[15] + counts[15])
        for (symbol, length) in lengths.enumerated() where length != 0 {
            symbols[offsets[Int(length)]] = UInt16(symbol)
            offsets[Int(length)] += 1
        }
        // Step 3: canonical codes in order; short ones fill every table slot that starts with their reversed bits.
        var fast = [UInt16](repeating: 0, count: 1 << InflateHuffman.fastBits)
        var code = 0
        var index = 0
        for length in 1...15 {
            for _ in 0..<counts[length] {
                if length <= InflateHuffman.fastBits {
                    var reversed = 0
                    for bit in 0..<length where code & (1 << bit) != 0 { reversed |= 1 << (length - 1 - bit) }
                    var slot = reversed
                    while slot < fast.count {
                        fast[slot] = UInt16(length << 9) | symbols[index]
                        slot += 1 << length
                    }
                }
                code += 1
                index += 1
            }
            code <<= 1
        }
        self.fast = fast
        self.counts = counts
        self.symbols = symbols
    }

    /// RFC 1951 §3.2.6: the fixed literal/length and distance codes.
    static let fixedLiteral: InflateHuffman = {
        var lengths = [UInt8](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        // The lengths above are a complete code, so construction cannot fail; fall back to an empty code otherwise.
        return (try? InflateHuffman(lengths: lengths[...])) ?? InflateHuffman.emptyCode
    }()
    static let fixedDistance: InflateHuffman = {
        let lengths = [UInt8](repeating: 5, count: 32)
        return (try? InflateHuffman(lengths: lengths[...])) ?? InflateHuffman.emptyCode
    }()
    private static let emptyCode = InflateHuffman(
        fast: [UInt16](repeating: 0, count: 1 << fastBits), counts: [Int](repeating: 0, count: 16), symbols: [])

    private init(fast: [UInt16], counts: [Int], symbols: [UInt16]) {
        self.fast = fast
        self.counts = counts
        self.symbols = symbols
    }
}

/// RFC 1951 §3.2.5: base values and extra bits of length codes 257...285 and distance codes 0...29.
private let lengthBase: [Int] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
]
private let lengthExtra: [Int] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
private let distanceBase: [Int] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
]
private let distanceExtra: [Int] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]
/// RFC 1951 §3.2.7: the order in which code-length code lengths are sent.
private let codeLengthOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

/// DEFLATE block decoder (RFC 1951 §3.2.3) over a bounded output buffer.
struct Inflater {
    let input: UnsafeBufferPointer<UInt8>
    /// Next input byte not yet in `bitBuffer`.
    var position: Int
    /// Bits are packed least-significant first (RFC 1951 §3.1.1).
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    let output: UnsafeMutableBufferPointer<UInt8>
    var outputPosition = 0

    init(input: UnsafeBufferPointer<UInt8>, position: Int, output: UnsafeMutableBufferPointer<UInt8>) {
        self.input = input
        self.position = position
        self.output = output
    }

    private mutating func refill() {
        while bitCount <= 56, position < input.count {
            bitBuffer |= UInt64(input[position]) << UInt64(bitCount)
            position += 1
            bitCount += 8
        }
    }

    /// Reads `n` ≤ 32 bits, least-significant first.
    private mutating func bits(_ n: Int) throws(ImageError) -> Int {
        if bitCount < n {
            refill()
            guard bitCount >= n else { throw .malformed("zlib stream ended early") }
        }
        let value = Int(truncatingIfNeeded: bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return value
    }

    mutating func alignToByte() {
        let drop = bitCount & 7
        bitBuffer >>= UInt64(drop)
        bitCount -= drop
    }

    /// After `alignToByte`, gives back whole bytes still held in the bit buffer so `position` is the next byte.
    mutating func rewindBufferedBytes() {
        position -= bitCount / 8
        bitBuffer = 0
        bitCount = 0
    }

    /// Decodes one symbol: the 9-bit table first, else walk the canonical code one bit at a time (RFC 1951 §3.2.2).
    private mutating func decode(_ code: InflateHuffman) throws(ImageError) -> Int {
        if bitCount < 15 { refill() }
        let entry = code.fast[Int(truncatingIfNeeded: bitBuffer & 0x1FF)]
        if entry != 0 {
            let length = Int(entry >> 9)
            guard length <= bitCount else { throw .malformed("zlib stream ended early") }
            bitBuffer >>= UInt64(length)
            bitCount -= length
            return Int(entry & 0x1FF)
        }
        var value = 0
        var first = 0
        var index = 0
        for length in 1...15 {
            guard length <= bitCount else { throw .malformed("zlib stream ended early") }
            value |= Int(truncatingIfNeeded: (bitBuffer >> UInt64(length - 1)) & 1)
            let count = code.counts[length]
            if value - first < count {
                bitBuffer >>= UInt64(length)
                bitCount -= length
                return Int(code.symbols[index + value - first])
            }
            index += count
            first += count
            first <<= 1
            value <<= 1
        }
        throw .malformed("invalid Huffman code in zlib stream")
    }

    /// RFC 1951 §3.2.3: blocks until BFINAL.
    mutating func run() throws(ImageError) {
        var final = false
        while !final {
            final = try bits(1) == 1
            switch try bits(2) {
            case 0: try storedBlock()
            case 1: try codesBlock(literal: InflateHuffman.fixedLiteral, distance: InflateHuffman.fixedDistance)
            case 2:
                let (literal, distance) = try dynamicCodes()
                try codesBlock(literal: literal, distance: distance)
            default: throw .malformed("reserved DEFLATE block type")
            }
        }
    }

    /// RFC 1951 §3.2.4: byte-aligned LEN, NLEN = ~LEN, then LEN literal bytes.
    private mutating func storedBlock() throws(ImageError) {
        alignToByte()
        rewindBufferedBytes()
        guard position + 4 <= input.count else { throw .malformed("zlib stream ended early") }
        let length = Int(input[position]) | Int(input[position + 1]) << 8
        let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
        position += 4
        guard length ^ 0xFFFF == complement else { throw .malformed("stored block length check failed") }
        guard position + length <= input.count else { throw .malformed("zlib stream ended early") }
        guard outputPosition + length <= output.count else {
            throw .malformed("decompressed data larger than expected")
        }
        for i in 0..<length { output[outputPosition + i] = input[position + i] }
        outputPosition += length
        position += length
    }

    /// RFC 1951 §3.2.7: HLIT, HDIST, HCLEN, the code-length code, then run-length coded literal and distance lengths.
    private mutating func dynamicCodes() throws(ImageError) -> (InflateHuffman, InflateHuffman) {
        let literalCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeLengthCount = try bits(4) + 4
        guard literalCount <= 286, distanceCount <= 30 else { throw .malformed("bad DEFLATE code counts") }
        var codeLengthLengths = [UInt8](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengthLengths[codeLengthOrder[i]] = UInt8(try bits(3)) }
        let codeLengthCode = try InflateHuffman(lengths: codeLengthLengths[...])

        let total = literalCount + distanceCount
        var lengths = [UInt8](repeating: 0, count: total)
        var i = 0
        while i < total {
            let symbol = try decode(codeLengthCode)
            var repeatValue: UInt8 = 0
            var repeatCount: Int
            switch symbol {
            case 0...15:
                lengths[i] = UInt8(symbol)
                i += 1
                continue
            case 16:
                guard i > 0 else { throw .malformed("DEFLATE length repeat with no previous length") }
                repeatValue = lengths[i - 1]
                repeatCount = 3 + (try bits(2))
            case 17: repeatCount = 3 + (try bits(3))
            default: repeatCount = 11 + (try bits(7))
            }
            guard i + repeatCount <= total else { throw .malformed("DEFLATE code lengths overflow") }
            for _ in 0..<repeatCount {
                lengths[i] = repeatValue
                i += 1
            }
        }
        guard lengths[256] != 0 else { throw .malformed("DEFLATE code without end-of-block") }
        return (
            try InflateHuffman(lengths: lengths[0..<literalCount]),
            try InflateHuffman(lengths: lengths[literalCount..<total])
        )
    }

    /// RFC 1951 §3.2.5: literals, end-of-block, and <length, backward distance> pairs.
    private mutating func codesBlock(literal: InflateHuffman, distance: InflateHuffman) throws(ImageError) {
        let capacity = output.count
        while true {
            let symbol = try decode(literal)
            if symbol < 256 {
                guard outputPosition < capacity else { throw .malformed("decompressed data larger than expected") }
                output[outputPosition] = UInt8(truncatingIfNeeded: symbol)
                outputPosition += 1
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < 29 else { throw .malformed("invalid DEFLATE length code") }
            let length = lengthBase[lengthIndex] + (try bits(lengthExtra[lengthIndex]))
            let distanceSymbol = try decode(distance)
            guard distanceSymbol < 30 else { throw .malformed("invalid DEFLATE distance code") }
            let back = distanceBase[distanceSymbol] + (try bits(distanceExtra[distanceSymbol]))
            guard back <= outputPosition else { throw .malformed("DEFLATE distance too far back") }
            guard outputPosition + length <= capacity else {
                throw .malformed("decompressed data larger than expected")
            }
            // Byte by byte: the source may overlap the bytes being written (RFC 1951 §3.2.3, "repeated string").
            var from = outputPosition - back
            for _ in 0..<length {
                output[outputPosition] = output[from]
                outputPosition += 1
                from += 1
            }
        }
    }
}
