/// A value that must never reach a log, a `description`, a debugger dump or an error message.
///
/// Personal data (names, addresses, birth dates, document numbers, images) and secrets travel
/// wrapped in `Redacted`. Printing, interpolating, dumping or logging it shows `<redacted>`.
/// Reading the value is explicit (``revealed``), so every place that unwraps it can be found
/// with a search.
///
/// `Redacted` is deliberately not `Encodable`: whoever serialises personal data decides to do
/// so by unwrapping it.
public struct Redacted<Value: Sendable>: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: Value

    public init(_ value: Value) { self.value = value }

    /// The wrapped value. Use only where the value is needed for its purpose (encryption,
    /// comparison, a response the caller is entitled to), never for logging.
    public var revealed: Value { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Applies `transform` to the wrapped value, keeping the result wrapped.
    public func map<T: Sendable>(_ transform: (Value) throws -> T) rethrows -> Redacted<T> {
        Redacted<T>(try transform(value))
    }
}

extension Redacted: Equatable where Value: Equatable {}
extension Redacted: Hashable where Value: Hashable {}
