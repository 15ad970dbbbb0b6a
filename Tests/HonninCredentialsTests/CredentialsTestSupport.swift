import Crypto
import Foundation
import HonninCore

/// Test support for this target: the vectors folders and a reproducible random source.
enum CredentialVectors {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Vectors").standardized

    static func load<T: Decodable>(_ type: T.Type, _ folder: String, _ file: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(file)))
    }
}

/// Deterministic bytes: SHA-256(seed ‖ counter) blocks. Never for production.
final class StreamRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private let seed: [UInt8]
    private var counter: UInt64 = 0
    init(seed: String = "honnin-credentials-tests") { self.seed = Array(seed.utf8) }

    func bytes(_ count: Int) -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        var out = [UInt8]()
        while out.count < count {
            var block = seed
            withUnsafeBytes(of: counter.bigEndian) { block.append(contentsOf: $0) }
            counter += 1
            out.append(contentsOf: SHA256.hash(data: block))
        }
        return Array(out.prefix(count))
    }
}

/// Returns the same byte forever: a broken source, for checking what code does with it.
struct ConstantRandom: RandomSource {
    let byte: UInt8
    func bytes(_ count: Int) -> [UInt8] { [UInt8](repeating: byte, count: count) }
}
