import Foundation
import HonninCore
import Testing

/// A small type read both ways, for the tests below.
private struct Sample: Decodable, Equatable, JSONValueDecodable {
    var name: String
    var note: String?
    var count: Int?
    var tags: [String]?
    var code: [UInt8]
    var inner: Inner

    struct Inner: Decodable, Equatable, JSONValueDecodable {
        var flag: String
        init(json: JSONMembers) throws(JSONShapeError) { flag = try json.string("flag") }
        init(from decoder: any Decoder) throws { try self.init(decodingFrom: decoder) }
    }

    init(json: JSONMembers) throws(JSONShapeError) {
        name = try json.string("name")
        note = try json.optionalString("note")
        count = try json.optionalInt("count")
        tags = try json.optionalStrings("tags")
        code = try json.string("code") { Bytes.fromHex($0) }
        inner = try json.decode("inner")
    }

    init(from decoder: any Decoder) throws { try self.init(decodingFrom: decoder) }
}

@Suite("JSONMembers: reading a parsed object by name, errors naming the member")
struct JSONMembersTests {
    static func shape(_ text: String) -> JSONShapeError? {
        do throws(JSONParseError) {
            _ = try Sample(parsing: Array(text.utf8))
            return nil
        } catch {
            if case .shape(let e) = error { return e }
            return nil
        }
    }

    @Test func readsMembersAndTreatsNullAsAbsentForOptionals() throws {
        let text = #"{"name":"a","note":null,"count":3,"tags":["x","y"],"code":"0aff","inner":{"flag":"on"},"extra":[1,{}]}"#
        let sample = try Sample(parsing: Array(text.utf8))
        #expect(sample == (try JSONDecoder().decode(Sample.self, from: Data(text.utf8))))
        #expect(sample.note == nil && sample.count == 3 && sample.tags == ["x", "y"] && sample.code == [0x0a, 0xff] && sample.inner.flag == "on")
        let bare = try Sample(parsing: Array(#"{"name":"","code":"","inner":{"flag":""}}"#.utf8))
        #expect(bare.note == nil && bare.count == nil && bare.tags == nil && bare.code.isEmpty)
    }

    @Test func everyRefusalNamesItsMember() {
        let base = #""name":"a","code":"00","inner":{"flag":"on"}"#
        #expect(Self.shape(#"{"code":"00","inner":{"flag":"on"}}"#) == JSONShapeError(.missing, path: ["name"]))
        #expect(Self.shape(#"{"name":null,"code":"00","inner":{"flag":"on"}}"#) == JSONShapeError(.wrongType, path: ["name"]))
        #expect(Self.shape(#"{"name":1,"code":"00","inner":{"flag":"on"}}"#) == JSONShapeError(.wrongType, path: ["name"]))
        #expect(Self.shape("{\(base),\"note\":false}") == JSONShapeError(.wrongType, path: ["note"]))
        #expect(Self.shape("{\(base),\"count\":1.5}") == JSONShapeError(.invalid, path: ["count"]))
        #expect(Self.shape("{\(base),\"count\":1e300}") == JSONShapeError(.invalid, path: ["count"]))
        #expect(Self.shape("{\(base),\"count\":\"1\"}") == JSONShapeError(.wrongType, path: ["count"]))
        #expect(Self.shape("{\(base),\"tags\":[\"x\",2]}") == JSONShapeError(.wrongType, path: ["tags", "1"]))
        #expect(Self.shape("{\(base),\"tags\":\"x\"}") == JSONShapeError(.wrongType, path: ["tags"]))
        #expect(Self.shape(#"{"name":"a","code":"0g","inner":{"flag":"on"}}"#) == JSONShapeError(.invalid, path: ["code"]))
        #expect(Self.shape(#"{"name":"a","code":"00"}"#) == JSONShapeError(.missing, path: ["inner"]))
        #expect(Self.shape(#"{"name":"a","code":"00","inner":[]}"#) == JSONShapeError(.wrongType, path: ["inner"]))
        #expect(Self.shape(#"{"name":"a","code":"00","inner":{}}"#) == JSONShapeError(.missing, path: ["inner", "flag"]))
        #expect(Self.shape(#"["a"]"#) == JSONShapeError(.wrongType, path: []))
        #expect(JSONShapeError(.missing, path: ["inner", "flag"]).description == "missing inner.flag")
    }

    @Test func syntaxErrorsAreNotShapeErrors() {
        for text in ["", "{", #"{"name":"a","name":"b"}"#, "{\"name\":\"\u{1}\"}"] {
            #expect(throws: JSONParseError.self) { try Sample(parsing: Array(text.utf8)) }
            #expect(Self.shape(text) == nil, "\(text)")
        }
    }

    @Test func decodableGetsTheMatchingDecodingErrors() {
        func error(_ text: String) -> DecodingError? {
            do {
                _ = try JSONDecoder().decode(Sample.self, from: Data(text.utf8))
                return nil
            } catch { return error as? DecodingError }
        }
        guard case .keyNotFound(let key, let context) = error(#"{"name":"a","code":"00","inner":{}}"#) else {
            Issue.record("not keyNotFound")
            return
        }
        #expect(key.stringValue == "flag" && context.codingPath.map(\.stringValue) == ["inner"])
        guard case .typeMismatch(_, let mismatch) = error(#"{"name":2,"code":"00","inner":{"flag":"on"}}"#) else {
            Issue.record("not typeMismatch")
            return
        }
        #expect(mismatch.codingPath.map(\.stringValue) == ["name"])
        guard case .dataCorrupted(let corrupted) = error(#"{"name":"a","code":"zz","inner":{"flag":"on"}}"#) else {
            Issue.record("not dataCorrupted")
            return
        }
        #expect(corrupted.codingPath.map(\.stringValue) == ["code"])
    }
}
