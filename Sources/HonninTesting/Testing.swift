import Foundation
import HonninCore
import HonninStore
import Logging
import Synchronization

/// A clock that stands still until told to move. Test support only.
public final class FixedClock: WallClock {
    private let current: Mutex<Date>
    public init(_ date: Date = Date(timeIntervalSince1970: 1_798_761_600)) { current = Mutex(date) }  // 2027-01-01T00:00:00Z
    public func now() -> Date { current.withLock { $0 } }
    public func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a seeded generator, so seeded runs repeat.
/// Test support only: never a source of secrets.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(state: UInt64) { self.state = state }
    public init(seed: UInt64) { self.state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Deterministic "randomness" (``SplitMix64``) so identifiers and keys repeat across runs.
/// Test support only: never a source of secrets.
public final class SeededRandom: RandomSource {
    private let generator: Mutex<SplitMix64>
    public init(seed: UInt64 = 0x484F_4E4E_494E) { generator = Mutex(SplitMix64(seed: seed)) }
    public func bytes(_ count: Int) -> [UInt8] {
        generator.withLock { g in
            var out = [UInt8]()
            out.reserveCapacity(count + 8)
            while out.count < count {
                let z = g.next()
                withUnsafeBytes(of: z) { out.append(contentsOf: $0) }
            }
            return Array(out.prefix(count))
        }
    }
}

/// A fresh directory under the system temporary directory, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    public let url: URL
    public init(_ label: String = "honnin-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    public var path: String { url.path }
    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Reads a file's bytes, or an empty array if it does not exist.
public func fileBytes(_ path: String) -> [UInt8] {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs in these bytes.
    public func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var i = 0
        let last = count - needle.count
        while i <= last {
            if self[i] == first, self[i..<(i + needle.count)].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}

/// An in-memory store and vault wired with deterministic clock and randomness.
public struct InMemoryHarness: Sendable {
    public let clock = FixedClock()
    public let random = SeededRandom()
    public let keys: InMemoryKeyMaterialStore
    public let store: InMemoryStore
    public let vault: Vault
    public let apiKeys: APIKeyService
    public let signingKey: AuditSigningKey

    public init(checkpointInterval: Int64 = 4) throws {
        keys = InMemoryKeyMaterialStore(random: random)
        signingKey = try keys.auditSigningKey()
        store = InMemoryStore(appender: AuditAppender(signingKey: signingKey, interval: checkpointInterval))
        vault = Vault(repository: store, keys: keys, clock: clock, random: random)
        apiKeys = APIKeyService(repository: store, clock: clock, random: random)
    }
}

/// Collects every log line (message and metadata rendered as text) in memory. Test support only.
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    public init() {}
    public var text: String { lines.withLock { $0.joined(separator: "\n") } }
    func add(_ line: String) { lines.withLock { $0.append(line) } }

    public func logger(label: String = "test") -> Logger {
        Logger(label: label) { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { _, b in b }
            capture.add("\(event.level) \(event.message) \(all.map { "\($0)=\($1)" }.sorted().joined(separator: " "))")
        }
    }
}
