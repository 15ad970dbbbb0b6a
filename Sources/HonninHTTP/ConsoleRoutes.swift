import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import HonninPolicy
import HonninProofing
import HonninStore
import Hummingbird

/// `/console`: the reviewer console, server-rendered, no script. Reviewers sign in as accounts at
/// `/account/login` (the `honnin_session` cookie), and the console opens only for an account
/// with the `reviewer` role whose session is at AAL2 (two distinct factors, NIST SP 800-63B-4);
/// below that it explains how to step up. Every form post carries the session's CSRF token;
/// images are served only to a signed-in reviewer, never cached. Every view of a case and every
/// decision is in the audit log.
struct ConsoleRoutes {
    let reviews: ReviewService
    let catalogue: MethodCatalogue
    let secureCookies: Bool

    /// The account session cookie (set by the account pages and `/auth/*`).
    static let cookieName = AuthRoutes.cookieName
    static let csp = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func register(on router: Router<HonninRequestContext>) {
        let console = router.group("console")
        console.get("login") { request, _ in
            Response(status: .seeOther, headers: [.location: "/account/login?next=/console&lang=\(Self.language(request).rawValue)", .cacheControl: "no-store"])
        }
        console.post("logout") { request, _ in
            let (session, _) = try await signedIn(request)
            try await checkCSRF(request, session: session)
            try await reviews.authn.revoke(session: session.context.session.id, in: session.context)
            var response = Response(status: .seeOther, headers: [.location: "/account/login?next=/console"])
            response.headers[.setCookie] = "\(Self.cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax\(secureCookies ? "; Secure" : "")"
            return response
        }
        console.get { request, _ in
            let (session, reviewer) = try await signedIn(request)
            return try await queuePage(Self.language(request), session: session, reviewer: reviewer)
        }
        console.get("cases/{id}") { request, context in
            let (session, reviewer) = try await signedIn(request)
            let c = try await reviews.open(try caseID(context), by: reviewer)
            return casePage(Self.language(request), c, session: session, reviewer: reviewer, error: nil)
        }
        console.get("cases/{id}/images/{side}") { request, context in
            let (_, reviewer) = try await signedIn(request)
            let c = try await reviews.open(try caseID(context), by: reviewer)
            guard let image = c.images.first(where: { $0.side == context.parameters.get("side") }) else { throw Problems.notFound() }
            return Response(
                status: .ok,
                headers: [
                    .contentType: image.format == "png" ? "image/png" : "image/jpeg", .cacheControl: "no-store",
                    .contentSecurityPolicy: "default-src 'none'; sandbox",
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: image.bytes.revealed)))
        }
        console.post("cases/{id}/decision") { request, context in
            let l = Self.language(request)
            let (session, reviewer) = try await signedIn(request)
            let form = try await Self.form(request)
            try checkCSRF(form, session: session)
            let id = try caseID(context)
            let verdict: ReviewDecision.Verdict = form.first("verdict") == "approve" ? .approve : .reject
            do {
                _ = try await reviews.decide(
                    id, by: reviewer, verdict: verdict, reasons: form.all("reason"), checklist: form.all("checklist"),
                    documentNumber: form.first("document_number"))
            } catch let e as RequestError where e.kind == .invalid || e.code == "second_reviewer_required" {
                let c = try await reviews.open(id, by: reviewer)
                return casePage(l, c, session: session, reviewer: reviewer, error: e.message.text(l), status: .unprocessableContent, previous: form)
            } catch let e as RequestError {
                throw VerificationProblems.problem(e)
            }
            return Response(status: .seeOther, headers: [.location: "/console?lang=\(l.rawValue)"])
        }
    }

    // MARK: Sessions

    /// The signed-in reviewer: an account session (the account pages' cookie) with the reviewer
    /// role at AAL2; else the sign-in page (no session), a step-up page or a refusal.
    func signedIn(_ request: Request) async throws -> (ConsoleSession, Reviewer) {
        let value = request.headers[values: .cookie].flatMap { $0.split(separator: ";") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix(Self.cookieName + "=") }.map { String($0.dropFirst(Self.cookieName.count + 1)) }
        guard let value, let context = try? await reviews.authn.authenticate(token: value) else { throw ConsoleRedirect() }
        switch try await reviews.access(context) {
        case .allowed(let reviewer): return (ConsoleSession(context: context), reviewer)
        case .notReviewer: throw ConsoleRefusal(response: refusalPage(.notReviewer, Self.language(request)))
        case .stepUp(let current): throw ConsoleRefusal(response: refusalPage(.stepUp(current: current), Self.language(request)))
        }
    }

    /// The page for a session that cannot open the console.
    enum Refusal { case stepUp(current: Int), notReviewer }

    func refusalPage(_ refusal: Refusal, _ l: Language) -> Response {
        let t = { (ja: String, en: String) in l == .ja ? ja : en }
        switch refusal {
        case .stepUp(let current):
            return page(
                l, title: ("追加の認証が必要です", "Another factor is needed"),
                body: """
                    <main><h1>\(t("審査コンソールには2段階の認証が必要です", "The review console needs two factors"))</h1>
                    <p class="panel">\(t("現在の認証保証レベルは AAL\(current) です。審査には AAL2（パスワードと認証アプリ、パスキーなど2つの要素）が必要です。アカウントのページで2つ目の要素を使うか、登録してください。", "Your session is at AAL\(current). Reviewing needs AAL2 (two factors, such as a password and an authenticator app, or a passkey). Use or add a second factor on your account page."))</p>
                    <p><a href="/account?lang=\(l.rawValue)">\(t("アカウントのページへ", "Go to your account page"))</a> ·
                    <a href="/account/login?next=/console&amp;lang=\(l.rawValue)">\(t("もう一度ログイン", "Sign in again"))</a></p></main>
                    """, status: .forbidden)
        case .notReviewer:
            return page(
                l, title: ("審査担当者ではありません", "Not a reviewer"),
                body: """
                    <main><h1>\(t("このアカウントは審査担当者ではありません", "This account is not a reviewer"))</h1>
                    <p class="panel">\(t("審査担当者のアカウントは管理者が honnin reviewer create で作成します。", "Reviewer accounts are created by the operator with honnin reviewer create."))</p>
                    <p><a href="/account?lang=\(l.rawValue)">\(t("アカウントのページへ", "Go to your account page"))</a></p></main>
                    """, status: .forbidden)
        }
    }

    func checkCSRF(_ request: Request, session: ConsoleSession) async throws {
        try checkCSRF(try await Self.form(request), session: session)
    }

    func checkCSRF(_ form: Form, session: ConsoleSession) throws {
        guard let token = form.first("csrf"), Bytes.constantTimeEqual(Array(token.utf8), Array(session.csrfToken.utf8)) else {
            throw Problem(
                .forbidden, code: "csrf_failed",
                title: LocalizedMessage(id: "problem.csrf_failed", ja: "フォームの有効期限が切れました。再読み込みしてください。", en: "The form has expired. Reload the page."))
        }
    }

    func caseID(_ context: HonninRequestContext) throws -> HonninID {
        guard let raw = context.parameters.get("id"), let id = HonninID(parsing: raw, kind: .verification) else {
            throw VerificationProblems.problem(RequestError(.notFound, code: "verification_not_found", ja: "本人確認が見つかりません。", en: "No such verification."))
        }
        return id
    }


    // MARK: Forms

    struct Form {
        let pairs: [(String, String)]
        func first(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }
        func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
    }

    /// `application/x-www-form-urlencoded` (WHATWG URL §5.1), at most 64 KiB.
    static func form(_ request: Request) async throws -> Form {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else {
            throw Problems.unsupportedMediaType()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problems.payloadTooLarge(limit: 64 * 1024)
        }
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
        return Form(
            pairs: text.split(separator: "&").map { pair in
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
            })
    }

    /// `?lang=`, else `Accept-Language` (as the policy page decides).
    static func language(_ request: Request) -> Language { PolicyDesignerPage.language(request) }

    // MARK: Pages

    func page(_ l: Language, title: (String, String), body: String, status: HTTPResponse.Status = .ok) -> Response {
        let t = l == .ja ? title.0 : title.1
        let html = """
            <!doctype html>
            <html lang="\(l.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(t)) — Honnin</title>
            <style>
            body{font-family:system-ui,"Noto Sans CJK JP",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9;line-height:1.5}
            header{background:#12355b;color:#fff;padding:8px 16px;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
            header a,header button{color:#fff} header form{margin-left:auto}
            main{max-width:1200px;margin:0 auto;padding:16px} h1{font-size:1.3rem;margin:.3em 0}
            table{border-collapse:collapse;width:100%;background:#fff} th,td{padding:6px 8px;text-align:left;border-bottom:1px solid #e3e7ec}
            .overdue{color:#a40e26;font-weight:600} .tag{background:#fff3cd;border-radius:4px;padding:1px 6px;font-size:.85rem}
            .case{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:16px} @media (max-width:800px){.case{grid-template-columns:1fr}}
            figure{background:#fff;border:1px solid #d0d5dc;border-radius:8px;margin:0 0 12px;padding:8px;overflow:hidden}
            figure img{max-width:100%;height:auto;display:block;margin:auto} figcaption{font-weight:600;margin-bottom:4px}
            .panel{background:#fff;border:1px solid #d0d5dc;border-radius:8px;padding:12px;margin-bottom:12px} .panel h2{margin:0 0 8px;font-size:1.1rem}
            .note{color:#555;font-size:.9rem}
            dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0} dt{color:#555} dd{margin:0;font-weight:600}
            label{display:block;margin:6px 0} input[type=text],input[type=password]{font-size:1rem;padding:6px;width:100%;max-width:360px;box-sizing:border-box}
            button{background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:10px 16px;font-size:1rem;cursor:pointer}
            button.reject{background:#a40e26} header button{background:transparent;border:1px solid #fff;padding:4px 10px}
            .error{background:#fde8eb;border:1px solid #a40e26;border-radius:6px;padding:8px;color:#7a0a1c}
            :focus-visible{outline:3px solid #f0a500;outline-offset:2px}
            </style></head>
            <body>\(body)</body></html>
            """
        return Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .contentLanguage: l.rawValue, .contentSecurityPolicy: Self.csp],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func header(_ l: Language, session: ConsoleSession, reviewer: Reviewer) -> String {
        let t = { (ja: String, en: String) in l == .ja ? ja : en }
        return """
            <header><strong>Honnin \(t("審査コンソール", "Review console"))</strong><a href="/console?lang=\(l.rawValue)">\(t("審査待ち一覧", "Queue"))</a>
            <span>\(escape(reviewer.displayName))</span>
            <form method="post" action="/console/logout"><input type="hidden" name="csrf" value="\(escape(session.csrfToken))"><button type="submit">\(t("ログアウト", "Sign out"))</button></form></header>
            """
    }

    static func duration(_ seconds: TimeInterval, _ l: Language) -> String {
        let m = Int(seconds / 60)
        if m < 60 { return l == .ja ? "\(m)分" : "\(m) min" }
        let h = m / 60
        if h < 48 {
            if m % 60 == 0 { return l == .ja ? "\(h)時間" : "\(h) h" }
            return l == .ja ? "\(h)時間\(m % 60)分" : "\(h) h \(m % 60) min"
        }
        return l == .ja ? "\(h / 24)日" : "\(h / 24) days"
    }

    /// A time as reviewers in Japan read it: `2027-01-01 09:00` (JST).
    static func japanTime(_ date: Date) -> String {
        let c = CalendarDate.japan.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    func documentName(_ id: String?, _ l: Language) -> String {
        guard let id else { return "—" }
        return catalogue.documents.first { $0.id == id }.map { l == .ja ? $0.ja : $0.en } ?? id
    }

    func queuePage(_ l: Language, session: ConsoleSession, reviewer: Reviewer) async throws -> Response {
        let t = { (ja: String, en: String) in l == .ja ? ja : en }
        let items = try await reviews.queue()
        let rows = items.map { item in
            """
            <tr><td><a href="/console/cases/\(item.flow.id.rawValue)?lang=\(l.rawValue)">\(item.flow.id.rawValue)</a></td>
            <td>\(escape(documentName(item.flow.evidenceSummary["document_type"], l)))</td>
            <td\(item.overdue ? " class=\"overdue\"" : "")>\(Self.duration(item.waiting, l))\(item.overdue ? t("（期限超過）", " (overdue)") : "")</td>
            <td>\(Self.japanTime((item.flow.submittedAt ?? item.flow.updatedAt).addingTimeInterval(reviews.settings.sla)))</td>
            <td>\(item.awaitingSecondReview ? "<span class=\"tag\">\(t("2人目の確認待ち", "Awaiting second reviewer"))</span>" : t("審査待ち", "Waiting"))</td>
            <td>\(escape(item.flow.reference ?? ""))</td></tr>
            """
        }.joined()
        let body = """
            \(header(l, session: session, reviewer: reviewer))
            <main><h1>\(t("審査待ち", "Cases waiting for review")) (\(items.count))</h1>
            <p>\(t("目標処理時間", "Target time")): \(Self.duration(reviews.settings.sla, l))\(reviews.settings.fourEyes ? t("。承認には2人の審査担当者が必要です。", ". Approvals need two reviewers.") : "")</p>
            \(items.isEmpty ? "<p>\(t("審査待ちの案件はありません。", "Nothing is waiting."))</p>" : """
            <table><thead><tr><th>\(t("本人確認 ID", "Verification"))</th><th>\(t("書類", "Document"))</th><th>\(t("待ち時間", "Waiting"))</th><th>\(t("期限（日本時間）", "Due (JST)"))</th><th>\(t("状態", "State"))</th><th>\(t("事業者の参照番号", "Reference"))</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """)
            </main>
            """
        return page(l, title: ("審査待ち", "Review queue"), body: body)
    }

    /// The case page; after a refused decision, `previous` keeps what the reviewer had ticked and typed.
    func casePage(
        _ l: Language, _ c: ReviewCase, session: ConsoleSession, reviewer: Reviewer, error: String?, status: HTTPResponse.Status = .ok,
        previous: Form? = nil
    ) -> Response {
        let ticked = Set(previous?.all("checklist") ?? [])
        let chosen = Set(previous?.all("reason") ?? [])
        let typedNumber = previous?.first("document_number") ?? ""
        let t = { (ja: String, en: String) in l == .ja ? ja : en }
        let rotation = [3: 180, 6: 90, 8: 270]
        let figures = c.images.map { image in
            let side = c.documentType.flatMap { DocumentProfile.all[$0] }?.sides.first { $0.id == image.side }?.label.text(l) ?? image.side
            let deg = rotation[image.orientation] ?? 0
            return """
                <figure><figcaption>\(escape(side))</figcaption><img src="/console/cases/\(c.flow.id.rawValue)/images/\(escape(image.side))" alt="\(escape(side))"\(deg == 0 ? "" : " style=\"transform:rotate(\(deg)deg)\"")></figure>
                """
        }.joined()
        let a = c.attributes.revealed
        var attributes: [(String, String)] = []
        if let v = a.name { attributes.append((PersonAttribute.name.label.text(l), v)) }
        if let v = a.nameKana { attributes.append((PersonAttribute.nameKana.label.text(l), v)) }
        if let v = a.birthdate { attributes.append((PersonAttribute.birthdate.label.text(l), v.description)) }
        if let v = a.address { attributes.append((PersonAttribute.address.label.text(l), v)) }
        if let v = a.gender { attributes.append((PersonAttribute.gender.label.text(l), v.rawValue)) }
        let dl = attributes.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined()
        let submitted = c.flow.submittedAt ?? c.flow.updatedAt
        let stripped = c.images.contains { c.flow.evidenceSummary["image.\($0.side).removed"] != nil }
        let located = c.images.contains { c.flow.evidenceSummary["image.\($0.side).had_location"] == "true" }
        let about = """
            <dt>\(t("提出", "Submitted"))</dt><dd>\(Self.japanTime(submitted))\(t("（日本時間）", " (JST)"))</dd>
            <dt>\(t("参照番号", "Reference"))</dt><dd>\(escape(c.flow.reference ?? "—"))</dd>
            """
        let imageNote =
            (stripped ? t("画像のメタデータ（EXIF など）は保存前に削除しました。", "Image metadata (EXIF etc.) was removed before storage.") : "")
            + (located ? t("撮影位置（GPS）の情報が含まれていましたが、削除済みです。", " The photo carried a GPS position, which was removed.") : "")
        let checks = c.checklist.map {
            "<label><input type=\"checkbox\" name=\"checklist\" value=\"\(escape($0.id))\"\(ticked.contains($0.id) ? " checked" : "")> \(escape(l == .ja ? $0.ja : $0.en))</label>"
        }.joined()
        let reasons = RejectionReason.allCases.map {
            "<label><input type=\"checkbox\" name=\"reason\" value=\"\($0.rawValue)\"\(chosen.contains($0.rawValue) ? " checked" : "")> \(escape($0.label.text(l)))</label>"
        }.joined()
        let pending = c.pendingApproval.map { p in
            "<p class=\"tag\">\(t("1人目の承認済み", "First approval by")) \(escape(p.reviewer.rawValue))\(p.reviewer == reviewer.id ? t("（あなた）：別の担当者の確認が必要です", " (you): another reviewer must confirm") : "")</p>"
        } ?? ""
        let body = """
            \(header(l, session: session, reviewer: reviewer))
            <main><h1>\(t("審査", "Review")) \(c.flow.id.rawValue)</h1>
            \(error.map { "<p class=\"error\" role=\"alert\">\(escape($0))</p>" } ?? "")
            \(pending)
            <div class="case"><section aria-label="\(t("書類の画像", "Document images"))">\(figures)</section>
            <section>
            <div class="panel"><h2>\(t("入力された属性", "Typed attributes"))</h2><dl><dt>\(t("書類", "Document"))</dt><dd>\(escape(documentName(c.documentType, l)))</dd>\(dl)\(about)</dl>
            \(imageNote.isEmpty ? "" : "<p class=\"note\">\(escape(imageNote))</p>")</div>
            <form method="post" action="/console/cases/\(c.flow.id.rawValue)/decision?lang=\(l.rawValue)" class="panel">
            <input type="hidden" name="csrf" value="\(escape(session.csrfToken))">
            <fieldset><legend>\(t("確認項目（承認にはすべて必要）", "Checklist (all needed to approve)"))</legend>\(checks)</fieldset>
            \(c.recordsNumber ? "<label>\(t("書類の番号（本人確認記録に残します）", "Document number (kept in the verification record)")) <input type=\"text\" name=\"document_number\" autocomplete=\"off\" maxlength=\"40\" value=\"\(escape(typedNumber))\"></label>" : "<p>\(t("この書類の番号は記録しません。", "This document's number is not recorded."))</p>")
            <p><button type="submit" name="verdict" value="approve">\(t("承認", "Approve"))</button></p>
            <fieldset><legend>\(t("却下の理由", "Reasons to reject"))</legend>\(reasons)</fieldset>
            <p><button type="submit" name="verdict" value="reject" class="reject">\(t("却下", "Reject"))</button></p>
            </form></section></div></main>
            """
        return page(l, title: ("審査", "Review"), body: body, status: status)
    }
}

/// Thrown when a console page needs a signed-in reviewer: becomes a redirect to the login page.
struct ConsoleRedirect: Error {
    var status: HTTPResponse.Status { .seeOther }
}

/// A signed-in console session (an account session that passed the reviewer gate).
struct ConsoleSession {
    let context: SessionContext
    var csrfToken: String { context.session.csrfToken }
}

/// A session that may not open the console, with the page that says why (the problem
/// middleware answers with it).
struct ConsoleRefusal: Error {
    let response: Response
}
