import Foundation
import HTTPTypes
import HonninCore
import Hummingbird

/// Reading and writing JSON bodies with the checks every route shares: `Content-Type`, a size
/// limit enforced before and while reading, and syntax errors told apart from schema errors.
enum JSONBody {
    /// The body's bytes after the shared checks (media type, size, JSON syntax).
    static func collect(from request: Request, limit: Int) async throws -> Data {
        guard let contentType = request.headers[.contentType],
            contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
        else { throw Problems.unsupportedMediaType() }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problems.payloadTooLarge(limit: limit)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problems.payloadTooLarge(limit: limit)
        }
        let data = Data(buffer.readableBytesView)
        // Syntax first, so "not JSON" and "JSON of the wrong shape" get different codes.
        guard (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw Problems.malformedJSON()
        }
        return data
    }

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int) async throws -> T {
        let data = try await collect(from: request, limit: limit)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as Problem {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw Problems.validationFailed(
                LocalizedMessage(
                    id: "validation.missing_member", ja: "「\(key.stringValue)」がありません。", en: "Member \"\(key.stringValue)\" is missing."))
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw Problems.validationFailed(
                LocalizedMessage(id: "validation.wrong_type", ja: "「\(path)」の型が正しくありません。", en: "Member \"\(path)\" has the wrong type."))
        } catch {
            throw Problems.validationFailed(
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
