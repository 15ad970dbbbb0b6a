import Foundation
import Testing
@testable import HonninProofing

/// Real camera photos from `../shared/data/faces` (see the README there), read in place. Each is decoded once
/// (sanitizing decodes fully) and compared with Pillow's decoding on an 8×8 grid of cell means.
@Suite(.enabled(
    if: FileManager.default.fileExists(atPath: TestPaths.faces.path),
    "skipped: ../shared/data/faces not found beside the repository"))
struct FacePhotoTests {
    @Test func everyPhotoInTheFolderHasExpectedFacts() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: TestPaths.faces.path)
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }
        #expect(!names.isEmpty)
        #expect(Set(names) == Set(Expected.faces.map(\.file)), "expected.json lists the photos of the folder")
    }

    @Test("a real photo decodes like Pillow and sanitizes", arguments: Expected.faces)
    func photo(_ face: ExpectedFace) throws {
        let bytes = try TestPaths.bytes(TestPaths.faces.appendingPathComponent(face.file))
        let (image, sanitized) = try ImageSanitizer.sanitizeAndDecode(bytes)
        #expect(image.width == face.width && image.height == face.height)
        #expect(image.channels == face.channels)
        #expect(sanitized.width == face.width && sanitized.height == face.height)

        // 8×8 grid of per-channel cell means, as make_vectors.py computes them from Pillow's pixels.
        var worst = 0.0
        var index = 0
        for gy in 0..<8 {
            for gx in 0..<8 {
                let x0 = gx * image.width / 8
                let x1 = (gx + 1) * image.width / 8
                let y0 = gy * image.height / 8
                let y1 = (gy + 1) * image.height / 8
                for c in 0..<image.channels {
                    var total = 0
                    for y in y0..<y1 {
                        var o = (y * image.width + x0) * image.channels + c
                        for _ in x0..<x1 {
                            total += Int(image.pixels[o])
                            o += image.channels
                        }
                    }
                    let mean = Double(total) / Double((x1 - x0) * (y1 - y0))
                    worst = max(worst, abs(mean - face.cellMeans[index]))
                    index += 1
                }
            }
        }
        #expect(worst < 0.5, "largest cell-mean difference \(worst)")

        // What is stored is the image alone.
        #expect(!sanitized.bytes.contains(ascii: "Exif"))
        #expect(!sanitized.bytes.contains(ascii: "http://ns.adobe.com/xap/1.0/"))
        #expect(sanitized.bytes.count <= bytes.count)
        #expect(sanitized.orientation.rawValue == face.orientation)
        #expect(sanitized.hadLocation == face.hadLocation)
        if face.file.hasSuffix(".jpg") {
            #expect(sanitized.bytes.starts(with: [0xFF, 0xD8]) && sanitized.bytes.suffix(2) == [0xFF, 0xD9])
            #expect(sanitized.removed.contains("APP1 Exif") == face.hasExif)
        } else {
            #expect(sanitized.bytes.starts(with: PNGCodec.signature))
        }
    }
}
