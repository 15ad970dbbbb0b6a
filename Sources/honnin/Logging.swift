import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error: `ts`, `level`, `logger`, `msg`, then metadata.
/// Personal data never reaches a log: it travels as `Redacted` and logs carry ids only.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    static let lock = Mutex<Void>(())

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "ts": ISO8601DateFormatter.withFractional.string(from: Date()),
            "level": event.level.rawValue,
            "logger": label,
            "msg": event.message.description,
        ]
        for (k, v) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, b in b }) { object[k] = Self.plain(v) }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        data.append(0x0A)
        Self.lock.withLock { _ in FileHandle.standardError.write(data) }
    }

    static func plain(_ v: Logger.Metadata.Value) -> Any {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let s): return s.description
        case .array(let a): return a.map(plain)
        case .dictionary(let d): return d.mapValues(plain)
        }
    }
}

extension ISO8601DateFormatter {
    nonisolated(unsafe) static let withFractional: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}

enum LogSetup {
    static let done = Mutex(false)

    /// Bootstraps swift-log once per process.
    static func bootstrap(format: LogFormat, level: String) -> Logger {
        let lvl = Logger.Level(rawValue: level) ?? .info
        done.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                switch format {
                case .json:
                    var h = JSONLogHandler(label: label)
                    h.logLevel = lvl
                    return h
                case .text:
                    var h = StreamLogHandler.standardError(label: label)
                    h.logLevel = lvl
                    return h
                }
            }
        }
        var logger = Logger(label: "honnin")
        logger.logLevel = lvl
        return logger
    }
}
