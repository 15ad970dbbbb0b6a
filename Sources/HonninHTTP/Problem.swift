import Foundation
import HTTPTypes
import HonninCore
import Hummingbird

/// A client error or server error as the client sees it: RFC 9457 `application/problem+json`
/// with a stable `code`. Only this public projection ever reaches a client; operator detail
/// goes to the log.
public struct Problem: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let title: LocalizedMessage
    /// A more specific explanation for this occurrence, if any.
    public let detail: LocalizedMessage?
    public let headers: HTTPFields
    /// The request member the problem concerns (e.g. `images.front`), as an extension member.
    public let member: String?
    /// Further extension members (RFC 9457 §3.2), e.g. `required_aal` and `next` for a step-up.
    public let extensions: [String: JSONValue]

    public init(
        _ status: HTTPResponse.Status, code: String, title: LocalizedMessage, detail: LocalizedMessage? = nil,
        headers: HTTPFields = [:], member: String? = nil, extensions: [String: JSONValue] = [:]
    ) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.headers = headers
        self.member = member
        self.extensions = extensions
    }

    public static let contentType = "application/problem+json"

    /// Renders the problem in the language the request prefers (`Accept-Language`, Japanese
    /// by default).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let language = Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
        var headers = self.headers
        headers[.contentType] = Self.contentType
        headers[.contentLanguage] = language.rawValue
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers,
            body: .init(byteBuffer: body(language: language, instance: request.uri.path, requestID: context.id)))
    }

    /// The JSON body, in `language`.
    func body(language: Language, instance: String, requestID: String?) -> ByteBuffer {
        var object: [String: Any] = [
            "type": "urn:honnin:problem:\(code)",
            "title": title.text(language),
            "status": Int(status.code),
            "code": code,
            "message_id": title.id,
            "instance": instance,
        ]
        if let detail { object["detail"] = detail.text(language) }
        if let member { object["member"] = member }
        if let requestID { object["request_id"] = requestID }
        for (key, value) in extensions where object[key] == nil {
            if let data = try? JSONEncoder().encode(value), let any = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) {
                object[key] = any
            }
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return ByteBuffer(bytes: data)
    }
}

/// Every problem Honnin's API can answer, with its status and its text in both languages.
/// Codes are stable: clients branch on them. Message ids are `problem.<code>`.
public enum Problems {
    static func message(_ code: String, ja: String, en: String) -> LocalizedMessage {
        LocalizedMessage(id: "problem.\(code)", ja: ja, en: en)
    }

    public static func notFound() -> Problem {
        Problem(.notFound, code: "not_found", title: message("not_found", ja: "指定されたURLは存在しません。", en: "No such resource."))
    }

    public static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> Problem {
        var headers = HTTPFields()
        headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        return Problem(
            .methodNotAllowed, code: "method_not_allowed",
            title: message("method_not_allowed", ja: "このURLではそのHTTPメソッドは使えません。", en: "This method is not allowed on this resource."),
            headers: headers)
    }

    public static func missingAPIKey() -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"honnin\""
        return Problem(
            .unauthorized, code: "missing_api_key",
            title: message(
                "missing_api_key", ja: "APIキーが必要です（Authorization: Bearer ヘッダー）。",
                en: "An API key is required (Authorization: Bearer header)."),
            headers: headers)
    }

    public static func invalidAPIKey() -> Problem {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"honnin\", error=\"invalid_token\""
        return Problem(
            .unauthorized, code: "invalid_api_key",
            title: message("invalid_api_key", ja: "APIキーが無効か、失効しています。", en: "The API key is invalid or revoked."),
            headers: headers)
    }

    public static func malformedJSON() -> Problem {
        Problem(
            .badRequest, code: "malformed_json",
            title: message("malformed_json", ja: "リクエスト本文が正しいJSONではありません。", en: "The request body is not valid JSON."))
    }

    public static func validationFailed(_ detail: LocalizedMessage) -> Problem {
        Problem(
            .unprocessableContent, code: "validation_failed",
            title: message("validation_failed", ja: "リクエストの内容に誤りがあります。", en: "The request content is invalid."),
            detail: detail)
    }

    public static func unsupportedMediaType() -> Problem {
        Problem(
            .unsupportedMediaType, code: "unsupported_media_type",
            title: message(
                "unsupported_media_type", ja: "Content-Type は application/json にしてください。",
                en: "The Content-Type must be application/json."))
    }

    public static func payloadTooLarge(limit: Int) -> Problem {
        Problem(
            .contentTooLarge, code: "payload_too_large",
            title: message("payload_too_large", ja: "リクエスト本文が大きすぎます。", en: "The request body is too large."),
            detail: LocalizedMessage(
                id: "problem.payload_too_large.limit", ja: "上限は \(limit) バイトです。", en: "The limit is \(limit) bytes."))
    }

    public static func badRequest() -> Problem {
        Problem(.badRequest, code: "bad_request", title: message("bad_request", ja: "リクエストが不正です。", en: "The request is malformed."))
    }

    public static func recordNotFound() -> Problem {
        Problem(.notFound, code: "record_not_found", title: message("record_not_found", ja: "記録が見つかりません。", en: "No such record."))
    }

    public static func recordErased() -> Problem {
        Problem(
            .gone, code: "record_erased",
            title: message("record_erased", ja: "この記録は消去済みです（復元できません）。", en: "This record was erased and cannot be recovered."))
    }

    public static func notReady() -> Problem {
        Problem(
            .serviceUnavailable, code: "not_ready",
            title: message("not_ready", ja: "データベースに接続できません。", en: "The database is not reachable."))
    }

    public static func internalError() -> Problem {
        Problem(
            .internalServerError, code: "internal_error",
            title: message(
                "internal_error", ja: "サーバー内部でエラーが発生しました。", en: "An internal error occurred on the server."))
    }

    /// Maps a Hummingbird framework error (raised before our handlers) to a problem.
    static func from(_ error: HTTPError, maxBody: Int) -> Problem {
        switch error.status {
        case .notFound: return notFound()
        case .contentTooLarge: return payloadTooLarge(limit: maxBody)
        case .unsupportedMediaType: return unsupportedMediaType()
        case .methodNotAllowed: return methodNotAllowed(allowed: [])
        case .unauthorized: return invalidAPIKey()
        default:
            if (400..<500).contains(error.status.code) { return badRequest() }
            return internalError()
        }
    }
}
