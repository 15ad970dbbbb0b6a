import Foundation
import Testing
@testable import HonninProofing

/// The Pillow-made vectors of `Tests/Vectors/imaging` (see its README): decoding matches Pillow, and sanitizing keeps
/// the picture while removing the metadata.
@Suite struct VectorTests {
    @Test func expectedFileLoadsWithEveryVector() throws {
        let file = try #require(Expected.file, "Tests/Vectors/imaging/expected.json missing or unreadable")
        #expect(file.vectors.count == 38)
        #expect(file.vectors.contains { $0.format == "jpeg" } && file.vectors.contains { $0.format == "png" })
        #expect(Expected.small.count >= 20)
    }

    @Test("decoded pixels match Pillow's", arguments: Expected.vectors)
    func decodeMatchesPillow(_ vector: ExpectedVector) throws {
        let bytes = try TestPaths.vector(vector.file)
        let image = try ImageSanitizer.decode(bytes, limits: smallLimits)
        #expect(image.width == vector.width)
        #expect(image.height == vector.height)
        #expect(image.channels == vector.channels)
        try #require(image.pixels.count == vector.width * vector.height * vector.channels)

        // PNG is lossless: every sample must be exactly Pillow's. JPEG: within a few levels.
        let tolerance = vector.fnv1a64 == nil ? 4 : 0
        for sample in vector.samples {
            let o = (sample.y * image.width + sample.x) * image.channels
            let ours = image.pixels[o..<(o + image.channels)].map(Int.init)
            #expect(zip(ours, sample.value).allSatisfy { abs($0 - $1) <= tolerance }, "at \(sample.x),\(sample.y)")
        }
        if let hash = vector.fnv1a64 {
            #expect(fnv1a64(image.pixels) == hash)
        }
        if let reference = vector.reference {
            // JPEG: Pillow (libjpeg-turbo: integer IDCT, "fancy" upsampling) and our float IDCT and triangle filter
            // differ by rounding only (seen: mean ≤ 0.35, largest 3).
            let expected = try ImageSanitizer.decode(TestPaths.vector(reference), limits: smallLimits)
            try #require(expected.pixels.count == image.pixels.count)
            var total = 0
            var worst = 0
            for i in image.pixels.indices {
                let d = abs(Int(image.pixels[i]) - Int(expected.pixels[i]))
                total += d
                worst = max(worst, d)
            }
            let meanDifference = Double(total) / Double(image.pixels.count)
            #expect(meanDifference < 0.5, "mean absolute difference \(meanDifference)")
            #expect(worst <= 4, "largest difference \(worst)")
        }
        // Per-channel means, for every vector (the only pixel check for those without a reference file).
        for c in 0..<image.channels {
            var sum = 0
            var i = c
            while i < image.pixels.count {
                sum += Int(image.pixels[i])
                i += image.channels
            }
            let mean = Double(sum) / Double(image.width * image.height)
            #expect(abs(mean - vector.mean[c]) < (vector.format == "png" ? 0.0001 : 0.75), "channel \(c)")
        }
    }

    @Test("sanitizing keeps the picture and removes the metadata", arguments: Expected.vectors)
    func sanitize(_ vector: ExpectedVector) throws {
        let bytes = try TestPaths.vector(vector.file)
        let (image, sanitized) = try ImageSanitizer.sanitizeAndDecode(bytes, limits: smallLimits)
        #expect(sanitized.format.rawValue == vector.format)
        #expect(sanitized.width == vector.width && sanitized.height == vector.height)
        #expect(sanitized.orientation.rawValue == vector.orientation)
        #expect(sanitized.hadLocation == vector.hadLocation)
        #expect(Set(sanitized.removed) == Set(vector.removed), "removed \(sanitized.removed)")
        #expect(Set(sanitized.removed).count == sanitized.removed.count, "each name once")
        for text in vector.mustNotContain {
            #expect(bytes.contains(ascii: text), "the vector itself should carry \(text)")
            #expect(!sanitized.bytes.contains(ascii: text), "\(text) survived sanitizing")
        }
        for text in vector.mustContain ?? [] {
            #expect(sanitized.bytes.contains(ascii: text), "\(text) should be kept")
        }
        if vector.removed.isEmpty {
            #expect(sanitized.bytes == bytes, "a file without metadata comes back unchanged")
        } else {
            #expect(sanitized.bytes.count < bytes.count)
        }
        // The sanitized file decodes to the very same pixels, and sanitizing it again changes nothing.
        let (again, twice) = try ImageSanitizer.sanitizeAndDecode(sanitized.bytes, limits: smallLimits)
        #expect(again.pixels == image.pixels)
        #expect(twice.bytes == sanitized.bytes)
        #expect(twice.removed.isEmpty)
        #expect(twice.orientation == .up && !twice.hadLocation)

        // For the Pillow cross-check by hand: HONNIN_IMAGING_SANITIZED_DIR=/tmp/s swift test; then
        // python3 Tests/Vectors/imaging/make_vectors.py --check /tmp/s
        if let directory = ProcessInfo.processInfo.environment["HONNIN_IMAGING_SANITIZED_DIR"] {
            let parts = vector.file.split(separator: ".", maxSplits: 1)
            let name = "\(parts[0]).sanitized.\(parts.count > 1 ? String(parts[1]) : "")"
            try Data(sanitized.bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name))
        }
    }

    @Test func defaultLimitsAcceptTheLargerVectorsAndRefuseTheSmallOnes() throws {
        let large = try TestPaths.vector("jpeg_baseline_420.jpg")
        #expect(try ImageSanitizer.decode(large).width == 201)
        let png = try TestPaths.vector("png_exif_text.png")
        #expect(try ImageSanitizer.sanitize(png).width == 210)
        let small = try TestPaths.vector("jpeg_baseline_444.jpg")
        #expect(throws: ImageError.dimensionsOutOfRange(width: 64, height: 48)) {
            try ImageSanitizer.decode(small)
        }
        let smallPNG = try TestPaths.vector("png_rgb8.png")
        #expect(throws: ImageError.dimensionsOutOfRange(width: 41, height: 31)) {
            try ImageSanitizer.sanitize(smallPNG)
        }
    }

    @Test func orientationAndLocationSurviveOnlyAsFacts() throws {
        for name in ["jpeg_exif_gps.jpg", "png_exif_text.png"] {
            let sanitized = try ImageSanitizer.sanitize(TestPaths.vector(name))
            #expect(sanitized.orientation == .right)
            #expect(sanitized.hadLocation)
            #expect(!sanitized.bytes.contains(ascii: "Exif") && !sanitized.bytes.contains(ascii: "eXIf"))
            // GPS IFD values: the latitude reference "N" and the rationals are gone with the whole TIFF block.
            #expect(!sanitized.bytes.contains(ascii: "MM\u{0}*") && !sanitized.bytes.contains(ascii: "II*\u{0}"))
        }
    }

    @Test func formatDetection() throws {
        #expect(try ImageSanitizer.detectFormat(TestPaths.vector("png_gray8.png")) == .png)
        #expect(try ImageSanitizer.detectFormat(TestPaths.vector("jpeg_gray.jpg")) == .jpeg)
        #expect(ImageFormat.jpeg.rawValue == "jpeg")
    }
}
