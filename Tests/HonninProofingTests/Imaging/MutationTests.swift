import Foundation
import HonninTesting
import Testing
@testable import HonninProofing

/// A deterministic fuzz pass: seeded byte flips, overwrites, truncations, insertions, deletions and duplications of
/// every small vector. Each mutant must either decode or throw an `ImageError`; a trap would end the test process,
/// which is the failure this test exists to catch. When a mutant is accepted, its sanitized bytes must decode again to
/// the same pixels (the sanitizer never writes a file it would refuse).
///
/// Half of the PNG mutants get their chunk CRCs recomputed, so the mutations reach inflate, the filters and the
/// sample conversion instead of stopping at the CRC check. For a longer run set HONNIN_IMAGING_MUTANTS (e.g. 20000,
/// best with `swift test -c release -Xswiftc -enable-testing`).
@Suite struct MutationTests {
    static let mutantsPerVector =
        ProcessInfo.processInfo.environment["HONNIN_IMAGING_MUTANTS"].flatMap { Int($0) } ?? 160
    /// Tight limits so a mutated header cannot ask for much work.
    static let limits = ImageLimits(maxBytes: 1 << 20, maxDimension: 1024, maxPixels: 1 << 16, minDimension: 1)

    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1: bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 2: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 3: bytes[at] = [0x00, 0xFF, 0x7F, 0x80][Int.random(in: 0..<4, using: &rng)]
            case 4: bytes.removeSubrange(at...)
            case 5:
                let insert = (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes.insert(contentsOf: insert, at: at)
            case 6: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            default:
                let end = min(bytes.count, at + Int.random(in: 1...32, using: &rng))
                bytes.insert(contentsOf: bytes[at..<end], at: end)
            }
        }
        return bytes
    }

    /// Recomputes the CRC of every complete chunk (PNG 3rd ed. §5.3) after the signature.
    static func repairCRCs(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        var p = 8
        while p + 12 <= bytes.count {
            let length = Int(PNGCodec.readBE32(bytes, p))
            guard length <= bytes.count - p - 12 else { break }
            let crc = CRC32.checksum(Array(bytes[(p + 4)..<(p + 8 + length)]))
            bytes.replaceSubrange((p + 8 + length)..<(p + 12 + length), with: PNGBuilder.be32(crc))
            p += 12 + length
        }
        return bytes
    }

    @Test("mutants decode or throw", arguments: Expected.small)
    func mutants(_ vector: ExpectedVector) throws {
        let original = try TestPaths.vector(vector.file)
        var rng = SplitMix64(state: 0x484F_4E4E_494E ^ UInt64(original.count))
        var accepted = 0
        var refused: [String: Int] = [:]
        var unstable: [Int] = []
        for index in 0..<Self.mutantsPerVector {
            var mutant = Self.mutate(original, &rng)
            if vector.format == "png" && index % 2 == 1 { mutant = Self.repairCRCs(mutant) }
            do throws(ImageError) {
                let (image, sanitized) = try ImageSanitizer.sanitizeAndDecode(mutant, limits: Self.limits)
                accepted += 1
                let again = try ImageSanitizer.decode(sanitized.bytes, limits: Self.limits)
                if again.pixels != image.pixels || again.width != image.width { unstable.append(index) }
            } catch {
                refused[error.code, default: 0] += 1
            }
        }
        #expect(unstable.isEmpty, "sanitized output decodes differently for mutants \(unstable)")
        // Sanity: most mutants are refused, and for a checksummed format every refusal has a reason.
        #expect(accepted + refused.values.reduce(0, +) == Self.mutantsPerVector)
        #expect(!refused.isEmpty)
    }
}
