/// Errors that infrastructure throws (I/O, storage, malformed input). Each carries a stable
/// ``Code`` that clients and tests compare on, and an operator-facing `reason` that may go to
/// the log but never to a client. Equality compares the code only.
public struct HonninError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable machine-readable error code. Open set: new codes are added as static members.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Codable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let notFound = Code("not_found")
        public static let invalidInput = Code("invalid_input")
        public static let storage = Code("storage_error")
        public static let cryptography = Code("cryptography_error")
        public static let keyUnavailable = Code("key_unavailable")
        public static let conflict = Code("conflict")
        public static let configuration = Code("configuration_error")
        public static let databaseTooNew = Code("database_too_new")
        public static let erased = Code("erased")
    }

    public let code: Code
    /// Operator detail: for logs and the audit trail only. Never contains personal data.
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { "\(code.rawValue): \(reason)" }
    public static func == (a: HonninError, b: HonninError) -> Bool { a.code == b.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
