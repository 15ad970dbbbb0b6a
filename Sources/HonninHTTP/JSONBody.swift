import Foundation
import HTTPTypes
import HonninCore
import Hummingbird

/// Reading and writing JSON bodies with the checks every route shares: `Content-Type`, a size
/// limit enforced before and while reading, and syntax errors told apart from schema errors.
enum JSONBody {
    /// The body's bytes after the shared checks (media type, size, JSON syntax).
    static func collect(from request: Request, limit: Int) async throws -> Data {
        let data = try await bytes(of: request, limit: limit)
        // Syntax first, so "not JSON" and "JSON of the wrong shape" get different codes.
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw Problems.malformedJSON()
        }
        return data
    }

    /// The body's bytes after the media type and size checks.
    private static func bytes(of request: Request, limit: Int) async throws -> Data {
        guard let contentType = request.headers[.contentType],
            contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
        else { throw Problems.unsupportedMediaType() }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problems.payloadTooLarge(limit: limit)
        }
        do {
            return Data(try await request.body.collect(upTo: limit).readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problems.payloadTooLarge(limit: limit)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let data = try await collect(from: request, limit: limit)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as Problem {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw shapeProblem(.missing, member: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw shapeProblem(.wrongType, member: context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch let DecodingError.dataCorrupted(context) {
            throw shapeProblem(.invalid, member: context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch {
            throw shapeProblem(.invalid, member: "")
        }
    }

    /// Types that read themselves from a ``JSONValue`` are parsed once, with the strict
    /// ``JSONReader`` (RFC 8259, unique member names), and get the same problems.
    static func decode<T: Decodable & JSONValueDecodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let data = try await bytes(of: request, limit: limit)
        do throws(JSONParseError) {
            return try T(parsing: Array(data))
        } catch {
            switch error {
            case .syntax: throw Problems.malformedJSON()
            case .shape(let shape): throw shapeProblem(shape.kind, member: shape.path.joined(separator: "."))
            }
        }
    }

    /// `member` is the path from the top (`response.signature`).
    private static func shapeProblem(_ kind: JSONShapeError.Kind, member: String) -> Problem {
        switch kind {
        case .missing:
            Problems.validationFailed(
                LocalizedMessage(id: "validation.missing_member", ja: "「\(member)」がありません。", en: "Member \"\(member)\" is missing."))
        case .wrongType:
            Problems.validationFailed(
                LocalizedMessage(id: "validation.wrong_type", ja: "「\(member)」の型が正しくありません。", en: "Member \"\(member)\" has the wrong type."))
        case .invalid where !member.isEmpty:
            Problems.validationFailed(
                LocalizedMessage(id: "validation.invalid_member", ja: "「\(member)」の値が正しくありません。", en: "Member \"\(member)\" has an invalid value."))
        case .invalid:
            Problems.validationFailed(
                LocalizedMessage(id: "validation.invalid", ja: "本文の形式が正しくありません。", en: "The body does not have the expected form."))
        }
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}
