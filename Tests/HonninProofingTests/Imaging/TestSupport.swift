import Foundation
import HonninTesting
import Testing
@testable import HonninProofing

/// Where the test data lives, found from this file: `<repo>/Tests/HonninProofingTests/Imaging/TestSupport.swift`.
enum TestPaths {
    /// This file with symlinks resolved (the scratch package reaches the sources through a symlink).
    static let testsFolder = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    static let repositoryRoot = testsFolder.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let vectors = repositoryRoot.appendingPathComponent("Tests/Vectors/imaging")
    /// `../shared/data/faces` beside the repository (read in place, never copied into it).
    static let faces = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data/faces")

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
    static func vector(_ name: String) throws -> [UInt8] { try bytes(vectors.appendingPathComponent(name)) }
}

/// `Tests/Vectors/imaging/expected.json`, written by `make_vectors.py` from Pillow's decoding of each vector.
struct ExpectedFile: Decodable {
    let pillow: String
    let vectors: [ExpectedVector]
    let faces: [ExpectedFace]
}

struct ExpectedVector: Decodable, Sendable, CustomTestStringConvertible {
    struct Sample: Decodable, Sendable {
        let x: Int
        let y: Int
        let value: [Int]
    }
    let file: String
    let format: String
    let width: Int
    let height: Int
    let channels: Int
    let mean: [Double]
    let samples: [Sample]
    let orientation: Int
    let hadLocation: Bool
    let mustNotContain: [String]
    let mustContain: [String]?
    let removed: [String]
    /// PNG: FNV-1a 64 of Pillow's pixels in our layout (must match exactly).
    let fnv1a64: String?
    /// JPEG: Pillow's decoded pixels saved as PNG (compared with a tolerance).
    let reference: String?

    var testDescription: String { file }
}

struct ExpectedFace: Decodable, Sendable, CustomTestStringConvertible {
    let file: String
    let width: Int
    let height: Int
    let channels: Int
    /// EXIF facts as Pillow reads them (`Image.getexif()`).
    let orientation: Int
    let hadLocation: Bool
    let hasExif: Bool
    /// Per channel mean of each cell of an 8×8 grid, row by row, as Pillow decodes the photo.
    let cellMeans: [Double]

    var testDescription: String { file }
}

enum Expected {
    static let file: ExpectedFile? = {
        guard let data = try? Data(contentsOf: TestPaths.vectors.appendingPathComponent("expected.json")) else {
            return nil
        }
        return try? JSONDecoder().decode(ExpectedFile.self, from: data)
    }()
    static var vectors: [ExpectedVector] { file?.vectors ?? [] }
    static var faces: [ExpectedFace] { file?.faces ?? [] }
    /// Small enough for per-prefix and mutation tests.
    static var small: [ExpectedVector] {
        vectors.filter { v in
            let size = (try? FileManager.default.attributesOfItem(
                atPath: TestPaths.vectors.appendingPathComponent(v.file).path)[.size] as? Int) ?? nil
            return (size ?? .max) <= 4000
        }
    }
}

/// Limits that let the small vectors through (the default minimum side is 200).
let smallLimits = ImageLimits(minDimension: 1)

/// FNV-1a 64, as in make_vectors.py.
func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01B3
    }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

extension Array where Element == UInt8 {
    func contains(ascii: String) -> Bool {
        let needle = Array(ascii.utf8)
        guard !needle.isEmpty, needle.count <= count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if Array(self[start..<(start + needle.count)]) == needle { return true }
        }
        return false
    }
}

/// Builds PNG files by hand for negative tests.
enum PNGBuilder {
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var out = be32(UInt32(data.count))
        out += typeBytes + data
        out += be32(CRC32.checksum(typeBytes + data))
        return out
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func ihdr(width: UInt32, height: UInt32, depth: UInt8 = 8, colorType: UInt8 = 0, interlace: UInt8 = 0)
        -> [UInt8]
    {
        chunk("IHDR", be32(width) + be32(height) + [depth, colorType, 0, 0, interlace])
    }

    /// A zlib stream of stored blocks (RFC 1950/1951 §3.2.4), so tests control the exact decompressed bytes.
    static func storedZlib(_ data: [UInt8], adler: UInt32? = nil) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var index = 0
        repeat {
            let n = Swift.min(65535, data.count - index)
            let final: UInt8 = index + n == data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[index..<(index + n)]
            index += n
        } while index < data.count
        let sum = adler ?? data.withUnsafeBufferPointer { Adler32.checksum($0) }
        return out + be32(sum)
    }

    static func file(_ chunks: [[UInt8]]) -> [UInt8] { PNGCodec.signature + chunks.flatMap { $0 } }

    /// Splits a PNG into its chunks (type, data), for rebuilding variants.
    static func chunks(_ png: [UInt8]) -> [(type: String, data: [UInt8])] {
        var out: [(String, [UInt8])] = []
        var p = 8
        while p + 12 <= png.count {
            let length = Int(PNGCodec.readBE32(png, p))
            let type = String(decoding: png[(p + 4)..<(p + 8)], as: UTF8.self)
            out.append((type, Array(png[(p + 8)..<(p + 8 + length)])))
            p += 12 + length
        }
        return out
    }
}

/// Splits and rebuilds JPEG files for negative tests.
enum JPEGBuilder {
    struct Segment {
        var marker: UInt8
        /// Payload without the length field; for SOS also followed by the entropy-coded data in `entropy`.
        var payload: [UInt8]
        var entropy: [UInt8] = []
    }

    static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count + 2
        return [0xFF, marker, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
    }

    /// Segments between SOI and EOI (well-formed input only).
    static func segments(_ jpeg: [UInt8]) -> [Segment] {
        var out: [Segment] = []
        var p = 2
        while p + 1 < jpeg.count {
            let marker = jpeg[p + 1]
            if marker == 0xD9 { break }
            let length = Int(jpeg[p + 2]) << 8 | Int(jpeg[p + 3])
            var s = Segment(marker: marker, payload: Array(jpeg[(p + 4)..<(p + 2 + length)]))
            p += 2 + length
            if marker == 0xDA {
                let start = p
                while p + 1 < jpeg.count
                    && !(jpeg[p] == 0xFF && jpeg[p + 1] != 0 && !(0xD0...0xD7).contains(jpeg[p + 1]))
                {
                    p += 1
                }
                s.entropy = Array(jpeg[start..<p])
            }
            out.append(s)
        }
        return out
    }

    static func file(_ segments: [Segment]) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        for s in segments { out += segment(s.marker, s.payload) + s.entropy }
        return out + [0xFF, 0xD9]
    }

    /// A hand-made 8×8 grayscale baseline JPEG: one DQT of ones, the given DC and AC tables (counts and values),
    /// and the given entropy-coded bytes.
    static func gray8x8(
        dcCounts: [UInt8] = [1] + [UInt8](repeating: 0, count: 15), dcValues: [UInt8] = [0],
        acCounts: [UInt8] = [1] + [UInt8](repeating: 0, count: 15), acValues: [UInt8] = [0x00],
        scan: [UInt8], sofMarker: UInt8 = 0xC0, precision: UInt8 = 8, width: UInt16 = 8, height: UInt16 = 8,
        includeDQT: Bool = true
    ) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        if includeDQT { out += segment(0xDB, [0x00] + [UInt8](repeating: 1, count: 64)) }
        out += segment(
            sofMarker,
            [precision, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 1, 1, 0x11, 0])
        out += segment(0xC4, [0x00] + dcCounts + dcValues)
        out += segment(0xC4, [0x10] + acCounts + acValues)
        out += segment(0xDA, [1, 1, 0x00, 0, 63, 0])
        out += scan
        return out + [0xFF, 0xD9]
    }
}


/// Runs `body` and returns the ImageError it threw, or nil.
func imageError<T>(_ body: () throws(ImageError) -> T) -> ImageError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
