/// Entry points: validate an upload by decoding it fully, bound it, and strip it to the image alone.
public enum ImageSanitizer {
    /// Tells the format from the first bytes (PNG 3rd ed. §5.2 signature; T.81 §B.1.1.3 SOI = FF D8).
    ///
    /// 1. No bytes → `.empty`.
    /// 2. More than `limits.maxBytes` → `.tooLarge` (before looking at anything else).
    /// 3. A full signature → the format; a proper prefix of one → `.truncated`; anything else → `.unsupportedFormat`
    ///    (GIF "GIF8", WebP "RIFF…WEBP", HEIC "ftyp", TIFF, BMP …).
    public static func detectFormat(_ bytes: [UInt8], limits: ImageLimits = .default) throws(ImageError)
        -> ImageFormat
    {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: limits.maxBytes) }
        if bytes.starts(with: PNGCodec.signature) { return .png }
        if bytes.starts(with: [0xFF, 0xD8]) { return .jpeg }
        if PNGCodec.signature.starts(with: bytes) || [0xFF, 0xD8].starts(with: bytes) { throw .truncated }
        throw .unsupportedFormat
    }

    /// Detects the format by signature, checks the limits on the header, decodes fully (to prove the image is valid),
    /// and returns the re-assembled bytes without metadata.
    ///
    /// What is kept — JPEG: SOI, DQT, DHT, SOFn, DRI, SOS with the entropy-coded data actually used (RSTm re-numbered
    /// in place), APP0 JFIF (without thumbnail), APP2 ICC_PROFILE, APP14 Adobe, EOI. PNG: IHDR, PLTE, tRNS, IDAT,
    /// IEND, gAMA, cHRM, sRGB, iCCP. Everything else — EXIF, XMP, IPTC, comments, text and time chunks, APNG
    /// animation chunks, bytes after the end — is removed and named in `removed`.
    public static func sanitize(_ bytes: [UInt8], limits: ImageLimits = .default) throws(ImageError)
        -> SanitizedImage
    {
        let (_, sanitized) = try sanitizeAndDecode(bytes, limits: limits)
        return sanitized
    }

    /// Decodes fully into 8-bit gray, RGB or RGBA pixels (see `DecodedImage`).
    public static func decode(_ bytes: [UInt8], limits: ImageLimits = .default) throws(ImageError) -> DecodedImage {
        switch try detectFormat(bytes, limits: limits) {
        case .png: try PNGCodec.process(bytes, limits: limits, strip: false).0
        case .jpeg: try JPEGCodec.process(bytes, limits: limits, strip: false).0
        }
    }

    /// Both results of one pass: the decoded pixels and the sanitized file.
    public static func sanitizeAndDecode(_ bytes: [UInt8], limits: ImageLimits = .default) throws(ImageError)
        -> (image: DecodedImage, sanitized: SanitizedImage)
    {
        let result =
            switch try detectFormat(bytes, limits: limits) {
            case .png: try PNGCodec.process(bytes, limits: limits, strip: true)
            case .jpeg: try JPEGCodec.process(bytes, limits: limits, strip: true)
            }
        guard let sanitized = result.1 else { throw .malformed("nothing to assemble") }
        return (result.0, sanitized)
    }
}
