import Foundation
import HTTPTypes
import HonninCore
import HonninPolicy
import HonninProofing
import Hummingbird

/// `GET /verify/{id}?t=<flow token>`: the hosted verification page a business sends a person to
/// (the `url` from `POST /v1/verifications`).
///
/// The server renders what the flow allows: the method choice (the flow's allowed methods in
/// rank order, with the documents each needs and how long it takes, from the catalogue) and the
/// attributes that will be shared — or, once the person's part is done, the flow's state and a
/// link back to the business. The method step runs in the page's script, which calls the method
/// endpoints (`…/methods/{method}/start` and `…/submit`) with the flow token, read from the
/// address bar: the token is never written into the page.
///
/// Japanese first; English with `?lang=en` or `Accept-Language`. Strict CSP with a per-response
/// nonce for the one inline script and style; `Permissions-Policy` lets only this origin use the
/// camera.
struct HostedPages {
    let service: VerificationService
    /// For CSP nonces.
    var random: any RandomSource = SystemRandom()

    func register(on router: Router<HonninRequestContext>) {
        router.get("verify/{id}") { request, context in
            try await page(request, context)
        }
    }

    func page(_ request: Request, _ context: HonninRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let requested = query["lang"].flatMap { Language(rawValue: String($0)) }
        let header = request.headers[.acceptLanguage]
        // 1. The flow: an id that does not parse is as unknown as one that is not stored.
        guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .verification) else {
            return errorPage(.notFound, language: requested ?? Language.negotiate(acceptLanguage: header))
        }
        let flow: VerificationFlow
        do {
            flow = try await service.find(id)
        } catch let e as RequestError where e.kind == .notFound {
            return errorPage(.notFound, language: requested ?? Language.negotiate(acceptLanguage: header))
        }
        // 2. The token must be this flow's (constant-time comparison in the service).
        do {
            try service.authorize(.person(token: query["t"].map(String.init) ?? ""), flow)
        } catch is RequestError {
            return errorPage(.forbidden, language: requested ?? Language.negotiate(acceptLanguage: header))
        }
        // 3. The language: asked for, else the browser's if it names one we serve, else the flow's.
        let language = requested ?? (Self.namesServedLanguage(header) ? Language.negotiate(acceptLanguage: header) : flow.locale)
        return flowPage(flow, language: language)
    }

    /// True when an `Accept-Language` header lists a language this page is written in.
    static func namesServedLanguage(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { part in
            let tag = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return Language(rawValue: String(tag.split(separator: "-").first ?? "")) != nil
        }
    }

    // MARK: Pages

    func flowPage(_ flow: VerificationFlow, language l: Language) -> Response {
        let nonce = Bytes.base64URL(random.bytes(18))
        let catalogue = service.policy.catalogue
        let body: String
        let awaitingPerson = flow.state == .created || flow.state == .methodChosen
        if awaitingPerson {
            body = methodChoice(flow, language: l) + scriptData(flow, language: l, nonce: nonce)
        } else {
            body = stateView(flow, catalogue: catalogue, language: l)
        }
        let csp = [
            "default-src 'none'", awaitingPerson ? "script-src 'nonce-\(nonce)'" : nil, "style-src 'nonce-\(nonce)'",
            "img-src 'self' blob: data:", "media-src 'self' blob:", "connect-src 'self'", "form-action 'self'", "frame-ancestors 'none'",
            "base-uri 'none'",
        ].compactMap { $0 }.joined(separator: "; ")
        return html(document(body, language: l, nonce: nonce), status: .ok, language: l, csp: csp)
    }

    /// The allowed methods in rank order, and the attributes the business will receive.
    func methodChoice(_ flow: VerificationFlow, language l: Language) -> String {
        let catalogue = service.policy.catalogue
        let shared = flow.requestedAttributes.map { "<li>\(escape($0.label.text(l)))</li>" }.joined()
        let methods = flow.allowedMethods.compactMap { catalogue.proofingMethod($0) }.map { m in
            let documents = m.documents.compactMap { d in catalogue.documents.first { $0.id == d } }
            let needs = documents.isEmpty
                ? "<p>\(Self.t("needs.none", l))</p>"
                : "<ul class=\"docs\">" + documents.map { "<li>\(escape(l == .ja ? $0.ja : $0.en))</li>" }.joined() + "</ul>"
            let userTime = m.user_seconds.map { "<dt>\(Self.t("time.user", l))</dt><dd>\(escape(Self.duration($0, l)))</dd>" } ?? ""
            return """
                <li class="method" data-method="\(escape(m.id))"><h3 id="m-\(escape(m.id))">\(escape(l == .ja ? m.ja : m.en))</h3>
                <p>\(escape(m.description.text(l)))</p>
                <h4>\(Self.t(documents.count > 1 ? "needs.one_of" : "needs", l))</h4>\(needs)
                <dl>\(userTime)<dt>\(Self.t("time.review", l))</dt><dd>\(escape(m.review_time.text(l)))</dd></dl>
                <button type="button" class="choose" data-method="\(escape(m.id))" aria-describedby="m-\(escape(m.id))">\(Self.t("choose", l))</button></li>
                """
        }.joined(separator: "\n")
        return """
            <p>\(Self.t("intro", l))</p>
            <p class="note">\(Self.t("expires", l))\(escape(Self.japanTime(flow.expiresAt, l)))</p>
            <section aria-labelledby="shared-h"><h2 id="shared-h">\(Self.t("shared", l))</h2>
            <p>\(Self.t("shared.note", l))</p><ul class="shared">\(shared)</ul></section>
            <section id="methods" aria-labelledby="methods-h"><h2 id="methods-h">\(Self.t("methods", l))</h2>
            <noscript><p class="error">\(Self.t("noscript", l))</p></noscript>
            <ol class="methods">
            \(methods)
            </ol></section>
            <section id="step" hidden></section>
            """
    }

    /// The data the script needs: the flow id, the language and its texts. No token, no
    /// personal data. `<`, `>` and `&` are escaped so the JSON cannot end the element.
    func scriptData(_ flow: VerificationFlow, language l: Language, nonce: String) -> String {
        struct Payload: Encodable {
            let id: String
            let lang: String
            let methods: [String: String]
            let text: [String: String]
        }
        let catalogue = service.policy.catalogue
        let data = Payload(
            id: flow.id.rawValue, lang: l.rawValue,
            methods: Dictionary(
                uniqueKeysWithValues: flow.allowedMethods.compactMap { catalogue.proofingMethod($0) }.map { ($0.id, l == .ja ? $0.ja : $0.en) }),
            text: Dictionary(uniqueKeysWithValues: Self.scriptTexts.map { ($0, Self.text[$0]!.text(l)) }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: (try? encoder.encode(data)) ?? Data("{}".utf8), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
        return """

            <script type="application/json" id="honnin-data">\(json)</script>
            <script nonce="\(nonce)">\(HostedAssets.script)</script>
            """
    }

    /// A flow that no longer waits for the person: its state, and the way back.
    func stateView(_ flow: VerificationFlow, catalogue: MethodCatalogue, language l: Language) -> String {
        let (heading, message): (String, String) =
            switch flow.state {
            case .approved: (Self.t("state.approved", l), Self.t("state.approved.text", l))
            case .needsReview:
                (
                    Self.t("state.needs_review", l),
                    Self.t("state.needs_review.text", l)
                        + (flow.method.flatMap { catalogue.proofingMethod($0) }.map {
                            Self.t("state.needs_review.time", l) + escape($0.review_time.text(l)) + (l == .ja ? "です。" : ".")
                        } ?? "")
                )
            case .rejected: (Self.t("state.rejected", l), Self.t("state.rejected.text", l))
            case .expired: (Self.t("state.expired", l), Self.t("state.expired.text", l))
            case .cancelled: (Self.t("state.cancelled", l), Self.t("state.cancelled.text", l))
            case .evidenceSubmitted, .verifying, .created, .methodChosen: (Self.t("state.processing", l), Self.t("state.processing.text", l))
            }
        let back = Self.returnLink(flow).map { "<p><a class=\"button\" href=\"\(escape($0))\">\(Self.t("return", l))</a></p>" } ?? ""
        return """
            <section class="state state-\(flow.state.rawValue)" aria-labelledby="state-h" data-state="\(flow.state.rawValue)">
            <h2 id="state-h">\(heading)</h2><p>\(message)</p>\(back)</section>
            """
    }

    /// The business's `return_url` with the flow id and status only (nothing personal).
    static func returnLink(_ flow: VerificationFlow) -> String? {
        guard let url = flow.returnURL, var components = URLComponents(string: url) else { return nil }
        components.queryItems = (components.queryItems ?? []) + [
            URLQueryItem(name: "verification_id", value: flow.id.rawValue), URLQueryItem(name: "status", value: flow.state.rawValue),
        ]
        return components.string
    }

    enum Failure { case notFound, forbidden }

    /// A friendly page for an unknown flow (404) or a link without its flow's token (403).
    func errorPage(_ failure: Failure, language l: Language) -> Response {
        let nonce = Bytes.base64URL(random.bytes(18))
        let (status, heading, message): (HTTPResponse.Status, String, String) =
            switch failure {
            case .notFound: (.notFound, Self.t("error.not_found", l), Self.t("error.not_found.text", l))
            case .forbidden: (.forbidden, Self.t("error.forbidden", l), Self.t("error.forbidden.text", l))
            }
        let body = "<section class=\"state\" aria-labelledby=\"state-h\"><h2 id=\"state-h\">\(heading)</h2><p>\(message)</p></section>"
        let csp = "default-src 'none'; style-src 'nonce-\(nonce)'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        // The language link drops the query (a bad token is of no use in either language).
        return html(document(body, language: l, nonce: nonce), status: status, language: l, csp: csp)
    }

    func document(_ body: String, language l: Language, nonce: String) -> String {
        let other: Language = l == .ja ? .en : .ja
        // On a flow page the script keeps the token when switching; the plain link is the
        // fallback (and the whole link on error pages).
        let switchLink = "<a id=\"lang-switch\" href=\"?lang=\(other.rawValue)\" lang=\"\(other.rawValue)\" hreflang=\"\(other.rawValue)\" data-lang=\"\(other.rawValue)\">\(other == .en ? "English" : "日本語")</a>"
        return """
            <!doctype html>
            <html lang="\(l.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">
            <title>\(Self.t("title", l)) — Honnin</title>
            <style nonce="\(nonce)">\(HostedAssets.style)</style></head>
            <body><header class="bar">\(switchLink)</header>
            <main id="main"><h1>\(Self.t("title", l))</h1>
            \(body)
            </main></body></html>
            """
    }

    func html(_ text: String, status: HTTPResponse.Status, language: Language, csp: String) -> Response {
        Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentLanguage: language.rawValue, .contentSecurityPolicy: csp,
                .cacheControl: "no-store", HTTPField.Name("Permissions-Policy")!: "camera=(self), microphone=(), geolocation=()",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Text

    static func t(_ id: String, _ l: Language) -> String { escape(text[id]!.text(l)) }

    /// `30` → 約30秒 / about 30 seconds; whole minutes from 60 s.
    static func duration(_ seconds: Int, _ l: Language) -> String {
        if seconds < 60 { return l == .ja ? "約\(seconds)秒" : "about \(seconds) seconds" }
        let minutes = (seconds + 30) / 60
        return l == .ja ? "約\(minutes)分" : "about \(minutes) minute\(minutes == 1 ? "" : "s")"
    }

    /// Japan time (the flow's deadline as the person reads it), `2026-11-30 09:00`.
    static func japanTime(_ date: Date, _ l: Language) -> String {
        let c = CalendarDate.japan.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let hm = String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
        return l == .ja
            ? "\(c.year ?? 0)年\(c.month ?? 0)月\(c.day ?? 0)日 \(hm)（日本時間）"
            : String(format: "%04d-%02d-%02d ", c.year ?? 0, c.month ?? 0, c.day ?? 0) + hm + " (Japan time)"
    }

    /// The texts the script shows, in the page's language.
    static let scriptTexts = [
        "back", "document_type", "document_sides", "camera_start", "camera_capture", "camera_retake", "camera_stop", "camera_refused",
        "camera_unavailable", "camera_preview", "file_choose", "preview_of", "image_needed", "image_type", "image_too_large", "details",
        "details_note", "submit", "sending", "sent", "network_error", "unexpected_error", "retry_attempt", "reload", "gender_female",
        "gender_male", "gender_other", "select", "kana_hint", "starting", "choose_document", "required",
    ]

    /// Every text of the hosted pages, by stable message id (`hosted.<id>`), Japanese first.
    static let text: [String: LocalizedMessage] = {
        let rows: [(String, String, String)] = [
            ("title", "本人確認", "Identity verification"),
            ("intro", "サービスを利用するため、本人確認をお願いします。下の方法から1つ選んでください。",
                "To use the service, please verify your identity. Choose one of the methods below."),
            ("expires", "このページの有効期限：", "This page is valid until "),
            ("shared", "サービスに提供される情報", "What the service will receive"),
            ("shared.note", "本人確認が終わると、次の情報だけがサービスに提供されます。",
                "When the verification is complete, only the following is given to the service."),
            ("methods", "確認方法を選ぶ", "Choose a method"),
            ("needs", "必要なもの", "What you need"),
            ("needs.one_of", "必要なもの（次のいずれか1点）", "What you need (one of these)"),
            ("needs.none", "本人確認書類は不要です。", "No identity document is needed."),
            ("time.user", "手続きの目安", "Your time"),
            ("time.review", "確認にかかる時間", "Time to a decision"),
            ("choose", "この方法で進む", "Continue with this method"),
            ("noscript", "このページを使うには JavaScript を有効にしてください。", "Please turn on JavaScript to use this page."),
            ("state.approved", "本人確認が完了しました", "Your identity is verified"),
            ("state.approved.text", "ご協力ありがとうございました。サービスに戻って手続きを続けてください。",
                "Thank you. Please return to the service to continue."),
            ("state.needs_review", "提出を受け付けました", "We have received your submission"),
            ("state.needs_review.text", "担当者が内容を確認します。", "A reviewer will check it. "),
            ("state.needs_review.time", "確認にかかる時間は通常、", "This usually takes "),
            ("state.rejected", "本人確認ができませんでした", "We could not verify your identity"),
            ("state.rejected.text", "詳しくはサービスにお問い合わせください。", "Please contact the service for details."),
            ("state.expired", "有効期限が切れました", "This link has expired"),
            ("state.expired.text", "もう一度本人確認をするには、サービスから新しいリンクを受け取ってください。",
                "To verify your identity, please get a new link from the service."),
            ("state.cancelled", "この本人確認は取り消されました", "This verification was cancelled"),
            ("state.cancelled.text", "必要な場合は、サービスから新しいリンクを受け取ってください。",
                "If you still need to verify, please get a new link from the service."),
            ("state.processing", "確認しています", "Checking your submission"),
            ("state.processing.text", "少し待ってから、このページを再読み込みしてください。", "Please wait a moment, then reload this page."),
            ("return", "サービスに戻る", "Return to the service"),
            ("error.not_found", "ページが見つかりません", "Page not found"),
            ("error.not_found.text", "リンクが正しいか確認し、サービスから受け取ったリンクをもう一度開いてください。",
                "Please check the link and open the one you received from the service again."),
            ("error.forbidden", "このリンクは使えません", "This link cannot be used"),
            ("error.forbidden.text", "リンクの一部が欠けているか、別の本人確認のリンクです。サービスから受け取ったリンクをそのまま開いてください。",
                "Part of the link may be missing, or it belongs to another verification. Please open the link you received from the service as it is."),
            // Script texts.
            ("back", "方法を選び直す", "Choose another method"),
            ("document_type", "本人確認書類の種類", "Type of identity document"),
            ("document_sides", "書類を撮影する", "Photograph the document"),
            ("camera_start", "カメラで撮影", "Use the camera"),
            ("camera_capture", "撮影する", "Take the photo"),
            ("camera_retake", "撮り直す", "Take it again"),
            ("camera_stop", "カメラを止める", "Stop the camera"),
            ("camera_refused", "カメラの使用が許可されませんでした。代わりに「写真を選ぶ」から画像を選んでください。",
                "The camera was not allowed. Please use “Choose a photo” instead."),
            ("camera_unavailable", "カメラを使えません。代わりに「写真を選ぶ」から画像を選んでください。",
                "The camera is not available. Please use “Choose a photo” instead."),
            ("camera_preview", "カメラの映像", "Camera view"),
            ("file_choose", "写真を選ぶ（JPEG・PNG）", "Choose a photo (JPEG or PNG)"),
            ("preview_of", "撮影した画像：", "Photo taken: "),
            ("image_needed", "この面の写真を撮影するか、選んでください。", "Please take or choose a photo of this side."),
            ("image_type", "JPEG か PNG の画像を選んでください。", "Please choose a JPEG or PNG picture."),
            ("image_too_large", "画像が大きすぎます。もう少し小さな画像にしてください。", "The picture is too large. Please use a smaller one."),
            ("details", "あなたの情報", "Your details"),
            ("details_note", "書類に書かれているとおりに入力してください。", "Type them exactly as they appear on the document."),
            ("submit", "送信する", "Submit"),
            ("sending", "送信中", "Sending"),
            ("sent", "送信しました。結果を表示します。", "Sent. Showing the result."),
            ("network_error", "通信できませんでした。接続を確かめて、もう一度「送信する」を押してください。",
                "The connection failed. Please check it and press “Submit” again."),
            ("unexpected_error", "問題が発生しました。しばらくしてからもう一度お試しください。", "Something went wrong. Please try again later."),
            ("retry_attempt", "やり直す", "Start again"),
            ("reload", "最新の状態を表示", "Show the current status"),
            ("gender_female", "女性", "Female"),
            ("gender_male", "男性", "Male"),
            ("gender_other", "その他", "Other"),
            ("select", "選択してください", "Please choose"),
            ("kana_hint", "カタカナで入力してください（ひらがなも可）。", "In katakana (hiragana is accepted)."),
            ("starting", "準備しています…", "Preparing…"),
            ("choose_document", "書類の種類を選んでください。", "Please choose a type of document."),
            ("required", "必須", "required"),
        ]
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.0, LocalizedMessage(id: "hosted.\($0.0)", ja: $0.1, en: $0.2)) })
    }()
}

/// The hosted page's stylesheet and script (`Resources/hosted/`), inlined with the response's
/// CSP nonce.
enum HostedAssets {
    static let style = PageAssets.load("hosted", "verify.css")
    static let script = PageAssets.script("hosted", "verify.js")
}

/// The pages' files in the HonninHTTP bundle (`Resources/<directory>/<file>`).
enum PageAssets {
    static func load(_ directory: String, _ file: String) -> String {
        guard let url = Bundle.module.url(forResource: file, withExtension: nil, subdirectory: directory),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("\(directory)/\(file) missing from the HonninHTTP bundle (a packaging error)") }
        return text
    }

    /// A page's script with the shared DOM helpers (`shared/dom.js`) before it.
    static func script(_ directory: String, _ file: String) -> String {
        load("shared", "dom.js") + "\n" + load(directory, file)
    }
}
