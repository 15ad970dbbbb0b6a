import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Runs the real `honnin` executable, for tests that need a separate process (crash safety,
/// signals, subcommands running beside a server). Test support only.
public enum HonninBinary {
    /// `$HONNIN_BINARY`, else `honnin` next to the running test bundle.
    public static func url() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["HONNIN_BINARY"] { return URL(fileURLWithPath: path) }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("honnin")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "honnin binary not found; run `swift build` first"])
    }

    /// Runs a subcommand to completion; returns exit status, stdout and stderr.
    public static func run(_ arguments: [String], environment: [String: String] = [:], cwd: URL? = nil, input: String? = nil) throws -> (
        status: Int32, stdout: String, stderr: String
    ) {
        let p = Process()
        p.executableURL = try url()
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let inPipe = Pipe()
        p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
        try p.run()
        if let input {
            inPipe.fileHandleForWriting.write(Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

/// A `honnin serve` process on a free loopback port, with JSON logs collected.
public final class ServerProcess: @unchecked Sendable {
    public let process = Process()
    public private(set) var port = 0
    private let errPipe = Pipe()
    private let lock = NSLock()
    private var collected = Data()

    /// Starts the server and waits until it logs that it listens (at most `timeout` seconds).
    public init(dataDir: String, extra: [String] = [], environment: [String: String] = [:], cwd: URL? = nil, timeout: TimeInterval = 30) throws {
        process.executableURL = try HonninBinary.url()
        process.arguments = ["serve", "--data-dir", dataDir, "--log-format", "json"] + (extra.contains("--port") ? [] : ["--port", "0"]) + extra
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, b in b }
        if let cwd { process.currentDirectoryURL = cwd }
        process.standardError = errPipe
        process.standardOutput = FileHandle.nullDevice
        errPipe.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self, !d.isEmpty else { return }
            self.lock.withLock { self.collected.append(d) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = logLines.first(where: { ($0["msg"] as? String) == "listening" }), let p = line["port"] as? String, let n = Int(p) {
                port = n
                return
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "server did not start: \(logText)"])
    }

    public var logText: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// The JSON log lines parsed so far.
    public var logLines: [[String: Any]] {
        logText.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    public func kill(_ signal: Int32) {
        Foundation.kill(process.processIdentifier, signal)
    }

    /// Waits for the process to exit; returns its status.
    @discardableResult
    public func wait(timeout: TimeInterval = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { return nil }
        errPipe.fileHandleForReading.readabilityHandler = nil
        let rest = errPipe.fileHandleForReading.readDataToEndOfFile()
        lock.withLock { collected.append(rest) }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// A minimal HTTP client over URLSession for process-level tests.
public struct HTTPTestClient: Sendable {
    public let base: URL
    public let token: String?
    let session: URLSession

    public init(base: URL, token: String? = nil) {
        self.base = base
        self.token = token
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 10
        session = URLSession(configuration: config)
    }

    public func request(_ method: String, _ path: String, json: Any? = nil, headers: [String: String] = [:]) async throws -> (status: Int, body: Data) {
        var r = URLRequest(url: URL(string: path, relativeTo: base)!)
        r.httpMethod = method
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { r.setValue(value, forHTTPHeaderField: name) }
        if let json {
            r.setValue("application/json", forHTTPHeaderField: "Content-Type")
            r.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        // Shielded from the caller's cancellation, as URLSessionHTTPClient is (cancelling a running
        // URLSession task can deadlock FoundationNetworking on Linux).
        let request = r
        let session = self.session
        let (data, response) = try await Task { try await session.data(for: request) }.value
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    public func object(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}
