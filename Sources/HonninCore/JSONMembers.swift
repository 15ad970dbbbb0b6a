/// A JSON value of the wrong shape for the type read from it. `path` names the member from the
/// top (`["response", "signature"]`); it is empty when the top-level value itself is wrong.
public struct JSONShapeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A required member is absent.
        case missing
        /// A member is of the wrong JSON type (`null` included, for a required member).
        case wrongType = "wrong_type"
        /// A member has the right JSON type but a value the type refuses (say, not base64url).
        case invalid
    }

    public let kind: Kind
    public let path: [String]

    public init(_ kind: Kind, path: [String]) {
        self.kind = kind
        self.path = path
    }

    public var description: String {
        let at = path.isEmpty ? "the top-level value" : path.joined(separator: ".")
        return switch kind {
        case .missing: "missing \(at)"
        case .wrongType: "wrong JSON type at \(at)"
        case .invalid: "bad value at \(at)"
        }
    }
}

/// A type read from a parsed ``JSONValue`` (the strict ``JSONReader``'s output), with errors that
/// name the member. Types that are also `Decodable` implement `init(from:)` with
/// ``init(decodingFrom:)`` so both ways of reading them share one set of rules.
public protocol JSONValueDecodable {
    init(json: JSONMembers) throws(JSONShapeError)
}

extension JSONValueDecodable {
    /// Parses JSON text with ``JSONReader`` (RFC 8259, unique member names) and reads `Self`.
    public init(parsing bytes: [UInt8]) throws(JSONParseError) {
        let value: JSONValue
        do throws(JSONReaderError) { value = try JSONReader().parse(bytes) } catch { throw .syntax(error) }
        do throws(JSONShapeError) { self = try Self(json: JSONMembers(value)) } catch { throw .shape(error) }
    }

    /// Reads `Self` inside a `Decodable` conformance: the decoder's value becomes a ``JSONValue``,
    /// and a shape error becomes the matching `DecodingError` (missing → `keyNotFound`, wrong type
    /// → `typeMismatch`, invalid → `dataCorrupted`), its coding path naming the member.
    public init(decodingFrom decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        do throws(JSONShapeError) {
            self = try Self(json: JSONMembers(value))
        } catch {
            let keys = decoder.codingPath + error.path.map(MemberKey.init(stringValue:))
            switch error.kind {
            case .missing:
                throw DecodingError.keyNotFound(keys.last ?? MemberKey(stringValue: ""), .init(codingPath: keys.dropLast(), debugDescription: "\(error)"))
            case .wrongType: throw DecodingError.typeMismatch(JSONValue.self, .init(codingPath: keys, debugDescription: "\(error)"))
            case .invalid: throw DecodingError.dataCorrupted(.init(codingPath: keys, debugDescription: "\(error)"))
            }
        }
    }
}

/// Why JSON text did not give the type asked for: not JSON at all, or JSON of the wrong shape.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case syntax(JSONReaderError)
    case shape(JSONShapeError)

    public var description: String {
        switch self {
        case .syntax(let e): "not JSON (\(e.code.rawValue) at byte \(e.offset))"
        case .shape(let e): "\(e)"
        }
    }
}

private struct MemberKey: CodingKey {
    let stringValue: String
    init(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// The members of one JSON object, read by name. Optional members treat `null` as absent; a
/// required member must be present and not `null`. Members not asked for are ignored.
public struct JSONMembers: Sendable {
    public let members: [String: JSONValue]
    /// Where this object sits in the document, for errors.
    public let path: [String]

    /// `value` must be an object.
    public init(_ value: JSONValue, path: [String] = []) throws(JSONShapeError) {
        guard case .object(let members) = value else { throw JSONShapeError(.wrongType, path: path) }
        self.members = members
        self.path = path
    }

    /// The member as given (`null` included), or nil when absent.
    public subscript(name: String) -> JSONValue? { members[name] }

    public func string(_ name: String) throws(JSONShapeError) -> String {
        guard let value = members[name] else { throw JSONShapeError(.missing, path: path + [name]) }
        guard case .string(let text) = value else { throw JSONShapeError(.wrongType, path: path + [name]) }
        return text
    }

    public func optionalString(_ name: String) throws(JSONShapeError) -> String? {
        switch members[name] {
        case nil, .null: nil
        case .string(let text): text
        default: throw JSONShapeError(.wrongType, path: path + [name])
        }
    }

    /// A string member turned into `T` by `read`; nil from `read` is an invalid value.
    public func string<T>(_ name: String, as read: (String) -> T?) throws(JSONShapeError) -> T {
        guard let value = read(try string(name)) else { throw JSONShapeError(.invalid, path: path + [name]) }
        return value
    }

    public func optionalString<T>(_ name: String, as read: (String) -> T?) throws(JSONShapeError) -> T? {
        guard let text = try optionalString(name) else { return nil }
        guard let value = read(text) else { throw JSONShapeError(.invalid, path: path + [name]) }
        return value
    }

    /// An integer member: a JSON number with no fraction that fits an `Int`.
    public func optionalInt(_ name: String) throws(JSONShapeError) -> Int? {
        switch members[name] {
        case nil, .null: return nil
        case .number(let n):
            guard let int = Int(exactly: n) else { throw JSONShapeError(.invalid, path: path + [name]) }
            return int
        default: throw JSONShapeError(.wrongType, path: path + [name])
        }
    }

    /// An array of strings.
    public func optionalStrings(_ name: String) throws(JSONShapeError) -> [String]? {
        switch members[name] {
        case nil, .null: return nil
        case .array(let items):
            var strings: [String] = []
            strings.reserveCapacity(items.count)
            for (i, item) in items.enumerated() {
                guard case .string(let text) = item else { throw JSONShapeError(.wrongType, path: path + [name, String(i)]) }
                strings.append(text)
            }
            return strings
        default: throw JSONShapeError(.wrongType, path: path + [name])
        }
    }

    /// A nested object.
    public func object(_ name: String) throws(JSONShapeError) -> JSONMembers {
        guard let value = members[name] else { throw JSONShapeError(.missing, path: path + [name]) }
        return try JSONMembers(value, path: path + [name])
    }

    /// A nested object read as `T`.
    public func decode<T: JSONValueDecodable>(_ name: String, as type: T.Type = T.self) throws(JSONShapeError) -> T {
        try T(json: object(name))
    }
}
