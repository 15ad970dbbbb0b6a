/// Reads the two facts we keep from EXIF before it is removed: Orientation and whether a GPS IFD was present.
///
/// EXIF 2.32 §4.6 stores metadata as a TIFF structure (TIFF 6.0 §2): an 8-byte header ("II" little-endian or "MM"
/// big-endian, the number 42, the offset of IFD0), then IFDs of 12-byte entries (tag, type, count, value or offset)
/// each followed by the offset of the next IFD. Orientation is tag 0x0112 (SHORT) in IFD0 (EXIF 2.32 §4.6.4 A);
/// the GPS Info IFD pointer is tag 0x8825 (LONG) in IFD0 (EXIF 2.32 §4.6.3 B).
///
/// The reader never fails: EXIF is removed whatever it holds, so a broken EXIF block just yields the defaults.
/// Every offset is checked against the block, and the IFD chain is followed at most `maxIFDs` times with a record
/// of offsets already seen, so hostile offsets (out of range, pointing back, pointing at themselves) end the walk.
enum ExifReader {
    struct Facts: Equatable, Sendable {
        var orientation: ExifOrientation = .up
        var hasGPS = false
    }

    static let maxIFDs = 8
    static let orientationTag: UInt16 = 0x0112
    static let gpsPointerTag: UInt16 = 0x8825

    /// `tiff` starts at the TIFF header (after "Exif\0\0" in a JPEG APP1 segment; the whole eXIf chunk in PNG).
    static func read(_ tiff: ArraySlice<UInt8>) -> Facts {
        let data = Array(tiff)
        var facts = Facts()
        guard data.count >= 8 else { return facts }
        // 1. Byte order and the magic number 42 (TIFF 6.0 §2, "Image File Header").
        let little: Bool
        switch (data[0], data[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return facts
        }
        func u16(_ at: Int) -> UInt16? {
            guard at >= 0, at + 2 <= data.count else { return nil }
            return little
                ? UInt16(data[at]) | UInt16(data[at + 1]) << 8
                : UInt16(data[at]) << 8 | UInt16(data[at + 1])
        }
        func u32(_ at: Int) -> UInt32? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? UInt32(b) << 16 | UInt32(a) : UInt32(a) << 16 | UInt32(b)
        }
        guard u16(2) == 42, let first = u32(4) else { return facts }

        // 2. Walk IFD0 and the chain after it, bounded and loop-checked.
        var offset = Int(first)
        var seen: [Int] = []
        var ifdIndex = 0
        while offset != 0, ifdIndex < maxIFDs, !seen.contains(offset), let entryCount = u16(offset) {
            seen.append(offset)
            // 3. Each 12-byte entry that lies wholly inside the block; a count running past the end is cut short.
            let available = max(0, (data.count - offset - 2) / 12)
            let entries = min(Int(entryCount), available)
            for e in 0..<entries {
                let entry = offset + 2 + 12 * e
                guard let tag = u16(entry), let type = u16(entry + 2), let count = u32(entry + 4) else { break }
                if ifdIndex == 0, tag == orientationTag, count >= 1 {
                    let value: Int? =
                        switch type {
                        case 3: u16(entry + 8).map(Int.init)  // SHORT, left-justified in the value field
                        case 4: u32(entry + 8).map(Int.init)  // LONG, tolerated
                        default: nil
                        }
                    if let value, let orientation = ExifOrientation(rawValue: value) { facts.orientation = orientation }
                }
                if tag == gpsPointerTag { facts.hasGPS = true }
            }
            // 4. The next IFD offset follows the declared entries; stop when it is missing.
            guard entries == Int(entryCount), let next = u32(offset + 2 + 12 * entries) else { break }
            offset = Int(next)
            ifdIndex += 1
        }
        return facts
    }
}
