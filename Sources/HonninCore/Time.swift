import Foundation

/// The source of wall-clock time. Logic never calls `Date()` itself: it is given a clock, so
/// tests can fix time and every decision about expiry is reproducible.
public protocol WallClock: Sendable {
    func now() -> Date
}

/// The operating system's clock.
public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// The source of cryptographic randomness. Logic asks for bytes through this protocol so that
/// tests can make identifiers and keys reproducible.
public protocol RandomSource: Sendable {
    func bytes(_ count: Int) -> [UInt8]
}

/// The operating system's cryptographically secure generator (`getrandom(2)` on Linux,
/// `arc4random_buf` on Apple platforms, through `SystemRandomNumberGenerator`).
public struct SystemRandom: RandomSource {
    public init() {}
    public func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var out = [UInt8]()
        out.reserveCapacity(count + 8)
        while out.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { out.append(contentsOf: $0) }
        }
        return Array(out.prefix(count))
    }
}

/// RFC 3339 timestamps with millisecond precision in UTC, as used in the API and in audit entries.
public enum Timestamp {
    public static func format(_ date: Date) -> String {
        // Whole seconds through the formatter (which writes UTC as `Z`), milliseconds by hand:
        // formatting a binary fraction directly can print .122 for .123.
        let ms = milliseconds(date)
        let fraction = ((ms % 1000) + 1000) % 1000  // 0...999 also before 1970
        let base = Date.ISO8601FormatStyle().format(Date(timeIntervalSince1970: Double((ms - fraction) / 1000)))
        let digits = String(fraction)
        return base.dropLast() + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Milliseconds since the Unix epoch (nearest), the storage form of instants.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    public static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
