/// A JPEG Huffman table (T.81 §B.2.4.2 DHT, Annex C code generation, §F.2.2.3 decoding).
struct JPEGHuffmanTable: Sendable {
    static let lookupBits = 9
    /// Indexed by the next 9 bits (most significant first): `length << 8 | symbol`, or 0 when the code is longer.
    var lookup: [UInt16]
    /// MAXCODE (§F.2.2.3) for lengths 0...16; -1 when there is no code of that length.
    var maxCode: [Int]
    /// VALPTR − MINCODE for lengths 0...16, so that a code's value index is `valueOffset[l] + code`.
    var valueOffset: [Int]
    var values: [UInt8]

    /// Builds the table from BITS (16 counts) and HUFFVAL.
    ///
    /// 1. Annex C, Figure C.1/C.2: HUFFSIZE and HUFFCODE — codes of each length counted up from the previous length's
    ///    last code shifted left.
    /// 2. A code that no longer fits in its length means the counts are over-subscribed: the table is malformed (the
    ///    all-ones code of a length is reserved, §C, so it may not be reached either).
    /// 3. §F.2.2.3, Figure F.15: MINCODE, MAXCODE, VALPTR; plus a 9-bit lookup for short codes.
    init(counts: [Int], values: [UInt8]) throws(ImageError) {
        var lookup = [UInt16](repeating: 0, count: 1 << JPEGHuffmanTable.lookupBits)
        var maxCode = [Int](repeating: -1, count: 18)
        var valueOffset = [Int](repeating: 0, count: 18)
        var code = 0
        var index = 0
        for length in 1...16 {
            let n = counts[length - 1]
            if n > 0 {
                valueOffset[length] = index - code
                for _ in 0..<n {
                    // Step 2: the all-ones code of each length is reserved (T.81 Annex C, note to Figure C.2).
                    guard code < (1 << length) - 1 else {
                        throw .malformed("invalid Huffman table")
                    }
                    if length <= JPEGHuffmanTable.lookupBits {
                        let shift = JPEGHuffmanTable.lookupBits - length
                        let first = code << shift
                        for slot in first..<(first + (1 << shift)) {
                            lookup[slot] = UInt16(length << 8) | UInt16(values[index])
                        }
                    }
                    code += 1
                    index += 1
                }
                maxCode[length] = code - 1
            }
            code <<= 1
        }
        self.lookup = lookup
        self.maxCode = maxCode
        self.valueOffset = valueOffset
        self.values = values
    }
}

/// Reads the entropy-coded segment of one scan most-significant bit first (T.81 §F.2.2.5), removing stuffed zero
/// bytes after 0xFF (§B.1.1.5) and stopping at restart markers.
///
/// Past a marker the reader supplies zero bits so that a lookahead never reads out of bounds; consuming one of those
/// bits means the encoded data ended early, which is malformed. It also remembers where each loaded byte ended in the
/// input, so the sanitizer can cut each restart interval exactly after the last byte the decoder used.
struct JPEGBitReader {
    let data: UnsafeBufferPointer<UInt8>
    /// Next input byte not yet loaded.
    private(set) var position: Int
    /// End of the scan's entropy-coded data (the first 0xFF of the marker that ends it).
    let end: Int
    /// The low `count` bits are unread, most significant first.
    private var buffer: UInt64 = 0
    private var count = 0
    /// Zero bits appended after a marker or the end; they sit at the bottom of the buffer.
    private var padding = 0
    /// A restart marker sits at `position`.
    private(set) var atMarker = false
    /// Input end offsets of the last 16 loaded bytes, and how many bytes were loaded since the interval began.
    private var loadedEnds = [Int](repeating: 0, count: 16)
    private var loaded = 0
    private(set) var intervalStart: Int

    init(data: UnsafeBufferPointer<UInt8>, start: Int, end: Int) {
        self.data = data
        position = start
        self.end = end
        intervalStart = start
    }

    /// Loads bytes until at least 57 bits are buffered.
    private mutating func fill() {
        while count <= 56 {
            if atMarker || position >= end {
                buffer <<= 8
                count += 8
                padding += 8
                continue
            }
            let byte = data[position]
            if byte != 0xFF {
                buffer = buffer << 8 | UInt64(byte)
                count += 8
                position += 1
            } else {
                var next = position + 1
                while next < end && data[next] == 0xFF { next += 1 }
                if next < end && data[next] == 0x00 {
                    buffer = buffer << 8 | 0xFF
                    count += 8
                    position = next + 1
                } else {
                    atMarker = true
                    continue
                }
            }
            loadedEnds[loaded & 15] = position
            loaded += 1
        }
    }

    private mutating func consume(_ n: Int) throws(ImageError) {
        count -= n
        guard count >= padding else { throw .malformed("entropy-coded data ended early") }
    }

    /// RECEIVE(s) (§F.2.2.4): the next `s` ≤ 16 bits as an unsigned number.
    mutating func receive(_ s: Int) throws(ImageError) -> Int {
        if s == 0 { return 0 }
        if count < s { fill() }
        let value = Int(truncatingIfNeeded: (buffer >> UInt64(count - s)) & ((1 << UInt64(s)) - 1))
        try consume(s)
        return value
    }

    /// RECEIVE then EXTEND (§F.2.2.1, Figure F.12): `s` bits as a signed magnitude category value.
    mutating func receiveExtended(_ s: Int) throws(ImageError) -> Int {
        let value = try receive(s)
        return value < 1 << (s - 1) ? value - (1 << s) + 1 : value
    }

    /// DECODE (§F.2.2.3): the next Huffman-coded symbol.
    mutating func decode(_ table: JPEGHuffmanTable) throws(ImageError) -> Int {
        if count < 16 { fill() }
        let peek = Int(truncatingIfNeeded: (buffer >> UInt64(count - 16)) & 0xFFFF)
        let entry = table.lookup[peek >> (16 - JPEGHuffmanTable.lookupBits)]
        if entry != 0 {
            try consume(Int(entry >> 8))
            return Int(entry & 0xFF)
        }
        for length in (JPEGHuffmanTable.lookupBits + 1)...16 {
            let code = peek >> (16 - length)
            if code <= table.maxCode[length] {
                let index = table.valueOffset[length] + code
                guard index >= 0, index < table.values.count else { break }
                try consume(length)
                return Int(table.values[index])
            }
        }
        throw .malformed("invalid Huffman code")
    }

    /// Where the data this interval's decoding used ends: just after the last byte any of whose bits were consumed.
    var consumedEnd: Int {
        let unread = (count - padding) / 8
        let lastUsed = loaded - unread - 1
        return lastUsed < 0 ? intervalStart : loadedEnds[lastUsed & 15]
    }

    /// Ends a restart interval (§F.2.1.3, §B.2.1 RSTm): returns the bytes used, checks that the next marker is
    /// RST`expected`, and restarts reading just after it. Bytes left unused before the marker are skipped.
    mutating func restart(expected: Int) throws(ImageError) -> Range<Int> {
        let used = intervalStart..<consumedEnd
        var p = atMarker ? position : consumedEnd
        var found = false
        while p < end {
            if data[p] != 0xFF {
                p += 1
                continue
            }
            var next = p + 1
            while next < end && data[next] == 0xFF { next += 1 }
            guard next < end else { break }
            if data[next] == 0x00 {
                p = next + 1
                continue
            }
            guard Int(data[next]) == 0xD0 + expected else { throw .malformed("unexpected restart marker") }
            p = next + 1
            found = true
            break
        }
        guard found else { throw .malformed("missing restart marker") }
        position = p
        intervalStart = p
        buffer = 0
        count = 0
        padding = 0
        loaded = 0
        atMarker = false
        return used
    }
}
