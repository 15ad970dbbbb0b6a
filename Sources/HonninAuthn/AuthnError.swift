import Foundation
import HonninCore

/// Why an authentication request was refused. ``code`` is stable (the API's `code`); ``detail``
/// is for the operator's log and audit trail; ``message`` is what the person reads.
public struct AuthnError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Wrong user name, password, code or key: one answer for all, so nothing reveals
        /// whether an account exists or is locked.
        case invalidCredentials = "invalid_credentials"
        /// Too many consecutive failures for this user name: try again after ``retryAfter``.
        case throttled
        case invalidInput = "invalid_input"
        case usernameTaken = "username_taken"
        case sessionRequired = "session_required"
        /// The request needs a higher AAL: use one of ``next`` (a step-up, not a new login).
        case stepUpRequired = "step_up_required"
        case roleRequired = "role_required"
        case challengeExpired = "challenge_expired"
        /// Unknown or already answered.
        case challengeReused = "challenge_reused"
        case notFound = "not_found"
        case conflict
        /// A WebAuthn check failed; ``detail`` names which (its WebAuthnError code).
        case webAuthn = "webauthn_failed"
        /// The JPKI certificate or signature was refused; ``detail`` carries the JPKI code.
        case jpki = "jpki_failed"
        /// The method is not enrolled for this account, or not configured on this server.
        case methodUnavailable = "method_unavailable"
        /// Storage failed (a server error; the detail is logged).
        case unavailable
    }

    public let code: Code
    public let detail: String
    public var member: String? = nil
    public var retryAfter: TimeInterval? = nil
    public var requiredAAL: Int? = nil
    public var currentAAL: Int? = nil
    public var next: [AuthenticationMethod] = []
    /// A sub-code for webauthn/jpki failures and password rules (`origin_not_allowed`, `blocklisted`…).
    public var reason: String? = nil

    public init(_ code: Code, _ detail: String, member: String? = nil, reason: String? = nil) {
        self.code = code
        self.detail = detail
        self.member = member
        self.reason = reason
    }

    public var description: String { "\(code.rawValue)\(reason.map { "/\($0)" } ?? ""): \(detail)" }

    public var message: LocalizedMessage {
        switch code {
        case .invalidCredentials:
            LocalizedMessage(id: "problem.invalid_credentials", ja: "ユーザー名または認証情報が正しくありません。", en: "The user name or the credentials are not correct.")
        case .throttled:
            LocalizedMessage(
                id: "problem.throttled", ja: "失敗が続いたため、しばらく待ってからもう一度お試しください。", en: "Too many failed attempts. Wait a while and try again.")
        case .invalidInput: LocalizedMessage(id: "problem.invalid_input", ja: "入力内容を確認してください。", en: "Check what you entered.")
        case .usernameTaken: LocalizedMessage(id: "problem.username_taken", ja: "このユーザー名は使えません。", en: "This user name cannot be used.")
        case .sessionRequired: LocalizedMessage(id: "problem.session_required", ja: "ログインしてください。", en: "Sign in first.")
        case .stepUpRequired:
            LocalizedMessage(
                id: "problem.step_up_required", ja: "この操作には追加の認証が必要です。", en: "This needs another authentication factor.")
        case .roleRequired: LocalizedMessage(id: "problem.role_required", ja: "この操作の権限がありません。", en: "You are not allowed to do this.")
        case .challengeExpired:
            LocalizedMessage(id: "problem.challenge_expired", ja: "時間切れです。もう一度お試しください。", en: "This took too long. Try again.")
        case .challengeReused:
            LocalizedMessage(id: "problem.challenge_reused", ja: "この要求はすでに使われています。もう一度お試しください。", en: "This request was already used. Try again.")
        case .notFound: LocalizedMessage(id: "problem.not_found", ja: "見つかりません。", en: "Not found.")
        case .conflict: LocalizedMessage(id: "problem.conflict", ja: "同時に変更されました。もう一度お試しください。", en: "Changed at the same time. Try again.")
        case .webAuthn:
            LocalizedMessage(
                id: "problem.webauthn_failed", ja: "パスキー・セキュリティキーを確認できませんでした。", en: "The passkey or security key could not be verified.")
        case .jpki:
            LocalizedMessage(id: "problem.jpki_failed", ja: "マイナンバーカードの電子証明書を確認できませんでした。", en: "The My Number Card certificate could not be verified.")
        case .methodUnavailable: LocalizedMessage(id: "problem.method_unavailable", ja: "この方法は利用できません。", en: "This method is not available.")
        case .unavailable:
            LocalizedMessage(id: "problem.unavailable", ja: "一時的に処理できません。しばらくしてからお試しください。", en: "Temporarily unavailable. Try again later.")
        }
    }
}
