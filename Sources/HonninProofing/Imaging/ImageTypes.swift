// Imaging (part of HonninProofing, no dependencies): decode, bound and strip uploaded ID-document photos (JPEG, PNG) without any C library.
// Layer 1 (formats): no dependencies, not even Foundation. Every parser here reads hostile input: each malformed
// input ends in a typed `ImageError`, never a trap, an unbounded allocation or a loop that input can stretch.

/// The two container formats an upload may use, told apart by signature only (PNG 3rd ed. §5.2; T.81 B.1.1.3 SOI).
public enum ImageFormat: String, Sendable, Codable {
    case jpeg, png
}

/// Size limits checked before any pixel buffer is allocated.
///
/// Order of checks (each cheaper than the next, so hostile input is refused as early as possible):
/// 1. `maxBytes` on the upload itself;
/// 2. width, height and width×height from the header (PNG IHDR, JPEG SOFn) — the decompression-bomb guard;
/// 3. only then are coefficient / pixel buffers allocated, sized exactly from the checked header.
public struct ImageLimits: Sendable, Equatable {
    /// Largest accepted upload in bytes.
    public var maxBytes: Int
    /// Largest accepted width and largest accepted height.
    public var maxDimension: Int
    /// Largest accepted width × height.
    public var maxPixels: Int
    /// Smallest accepted width and smallest accepted height (an ID photo smaller than this is useless).
    public var minDimension: Int

    public init(
        maxBytes: Int = 15 * 1024 * 1024,
        maxDimension: Int = 12_000,
        maxPixels: Int = 50_000_000,
        minDimension: Int = 200
    ) {
        self.maxBytes = maxBytes
        self.maxDimension = maxDimension
        self.maxPixels = maxPixels
        self.minDimension = minDimension
    }

    public static let `default` = ImageLimits()

    /// Step 2 of the order above: throws `.dimensionsOutOfRange` for zero, too small, too large or too many pixels.
    func check(width: Int, height: Int) throws(ImageError) {
        let low = max(1, minDimension)
        guard width >= low, height >= low, width <= maxDimension, height <= maxDimension else {
            throw .dimensionsOutOfRange(width: width, height: height)
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= maxPixels else {
            throw .dimensionsOutOfRange(width: width, height: height)
        }
    }
}

/// Why an image was refused. `code` is stable and is what API problem responses carry; the associated strings are
/// short operator-facing reasons that never contain image content.
public enum ImageError: Error, Equatable, Sendable {
    /// No bytes at all.
    case empty
    /// Not JPEG or PNG by signature (GIF, WebP, HEIC, TIFF, … end here too).
    case unsupportedFormat
    /// The upload is larger than `ImageLimits.maxBytes`.
    case tooLarge(bytes: Int, limit: Int)
    /// Width or height is zero, below `minDimension`, above `maxDimension`, or width × height is above `maxPixels`.
    case dimensionsOutOfRange(width: Int, height: Int)
    /// The input ended before the format said it would.
    case truncated
    /// A structural error (bad CRC, bad Huffman table, marker out of place, …).
    case malformed(String)
    /// Valid by its standard but not supported here (12-bit JPEG, arithmetic coding, lossless, hierarchical, CMYK, …).
    case unsupportedFeature(String)

    /// Stable machine code used in API problem responses.
    public var code: String {
        switch self {
        case .empty: "image_empty"
        case .unsupportedFormat: "image_unsupported_format"
        case .tooLarge: "image_too_large"
        case .dimensionsOutOfRange: "image_dimensions"
        case .truncated: "image_truncated"
        case .malformed: "image_malformed"
        case .unsupportedFeature: "image_unsupported_feature"
        }
    }
}

/// A fully decoded image: 8 bits per sample, row-major, `channels` interleaved samples per pixel.
public struct DecodedImage: Sendable {
    public let width: Int
    public let height: Int
    /// 1 (gray), 3 (RGB) or 4 (RGBA). 16-bit PNG samples are reduced to their most significant byte.
    public let channels: Int
    /// `width * height * channels` samples.
    public let pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

/// TIFF/EXIF tag 0x0112 Orientation (EXIF 2.32 §4.6.4 A, TIFF 6.0 p. 36): how the stored rows map onto the scene.
public enum ExifOrientation: Int, Sendable, Codable {
    case up = 1, upMirrored, down, downMirrored, leftMirrored, right, rightMirrored, left
}

/// What `ImageSanitizer.sanitize` returns: the image re-assembled without metadata, and a few facts read on the way.
public struct SanitizedImage: Sendable {
    public let format: ImageFormat
    public let width: Int
    public let height: Int
    /// Read from EXIF before it was removed (default `.up`), so a viewer can still rotate the picture.
    public let orientation: ExifOrientation
    /// The re-assembled file: same encoded image data, without metadata.
    public let bytes: [UInt8]
    /// Names of what was removed, each once, in order of first appearance (e.g. "APP1 Exif", "COM", "tEXt",
    /// "trailing bytes"); never any content.
    public let removed: [String]
    /// An EXIF GPS IFD pointer (tag 0x8825) was present.
    public let hadLocation: Bool
}
