import Foundation
import HTTPTypes
import HonninAuthn
import HonninCore
import Hummingbird

/// `/account/*`: the account pages a person uses in a browser, on top of the JSON API of
/// ``AuthRoutes`` (`/auth/*`).
///
/// - `GET /account/signup`: user name and display name, then a passkey (password-less sign-up:
///   `POST /auth/signup` without a password, then the passkey registration inside the
///   enrolment window) or a password (NIST SP 800-63B-4 §3.1.1.2: at least 15 characters,
///   paste allowed, shown on request, refused by the server's blocklist and context rules).
/// - `GET /account/login`: passkey first — WebAuthn conditional mediation on the user-name
///   field (`autocomplete="username webauthn"`) and a button for the modal request — with the
///   password as the fallback; after a password the page asks for one of the `next` methods.
/// - `GET /account`: the signed-in home: the session's AAL in words, the authenticators, adding
///   an authenticator app / passkey / security key, recovery codes, the sessions, signing out.
///   Without a session it redirects to the sign-in page (and to sign-up while a password-less
///   sign-up still waits for its passkey).
///
/// Whenever an API call answers 403 `step_up_required`, the script offers exactly the
/// problem's `next` methods in place and then repeats the action (800-63B-4 §2.2.3: the missing
/// factor, not a new login).
///
/// The HTML is rendered here with every text (Japanese first; English with `?lang=en` or
/// `Accept-Language`); the behaviour is `Resources/account/account.js`, inlined with a
/// per-response CSP nonce, and it receives its texts from a JSON data element. No personal data
/// is written into the page: the script reads the session from the API.
struct AccountPages {
    let authn: AuthnService
    /// For CSP nonces.
    var random: any RandomSource = SystemRandom()

    enum Page: String {
        case signup, login, home
    }

    func register(on router: Router<HonninRequestContext>) {
        router.get("account") { request, _ in
            let l = Self.language(request)
            // 1. A page for a session only: without one, sign in (or finish the sign-up).
            guard let token = AuthRoutes.cookieValue(request, name: AuthRoutes.cookieName),
                let context = try? await authn.authenticate(token: token)
            else { return Self.redirect("/account/login?lang=\(l.rawValue)") }
            if context.session.entries.isEmpty { return Self.redirect("/account/signup?lang=\(l.rawValue)") }
            return page(.home, language: l)
        }
        router.get("account/signup") { request, _ in
            let l = Self.language(request)
            // Closed sign-up (accounts come from verification flows or the operator): only a
            // sign-up already under way (a session still waiting for its passkey) sees the page.
            if !authn.settings.openSignUp {
                var underWay = false
                if let token = AuthRoutes.cookieValue(request, name: AuthRoutes.cookieName), let context = try? await authn.authenticate(token: token) {
                    underWay = context.session.entries.isEmpty
                }
                guard underWay else { return Self.redirect("/account/login?lang=\(l.rawValue)") }
            }
            return page(.signup, language: l)
        }
        router.get("account/login") { request, _ in page(.login, language: Self.language(request)) }
    }

    /// `?lang=`, else the browser's `Accept-Language`, else Japanese.
    static func language(_ request: Request) -> Language {
        if let lang = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) { return lang }
        return Language.negotiate(acceptLanguage: request.headers[.acceptLanguage])
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    // MARK: Pages

    func page(_ page: Page, language l: Language) -> Response {
        let nonce = Bytes.base64URL(random.bytes(18))
        let body: String =
            switch page {
            case .signup: signupBody(l)
            case .login: loginBody(l)
            case .home: homeBody(l)
            }
        let csp = [
            "default-src 'none'", "script-src 'nonce-\(nonce)'", "style-src 'nonce-\(nonce)'", "img-src 'self' data:", "connect-src 'self'",
            "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
        ].joined(separator: "; ")
        let html = document(page, body, language: l, nonce: nonce)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentLanguage: l.rawValue, .contentSecurityPolicy: csp, .cacheControl: "no-store",
                HTTPField.Name("Permissions-Policy")!:
                    "camera=(), microphone=(), geolocation=(), publickey-credentials-get=(self), publickey-credentials-create=(self)",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func document(_ page: Page, _ body: String, language l: Language, nonce: String) -> String {
        let other: Language = l == .ja ? .en : .ja
        let title = Self.t("title.\(page.rawValue)", l)
        return """
            <!doctype html>
            <html lang="\(l.rawValue)">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer"><link rel="icon" href="data:,">
            <title>\(title) — Honnin</title>
            <style nonce="\(nonce)">\(AccountAssets.style)</style></head>
            <body data-page="\(page.rawValue)"><header class="bar"><span class="brand">Honnin</span>
            <a id="lang-switch" href="?lang=\(other.rawValue)" lang="\(other.rawValue)" hreflang="\(other.rawValue)">\(other == .en ? "English" : "日本語")</a></header>
            <main id="main"><h1 id="page-h">\(title)</h1>
            <noscript><p class="alert">\(Self.t("noscript", l))</p></noscript>
            <div id="notice" class="notice" role="status" aria-live="polite" hidden></div>
            \(body)
            </main>
            \(scriptData(page, language: l))
            <script nonce="\(nonce)">\(AccountAssets.script)</script>
            </body></html>
            """
    }

    /// The language and every text of the pages, for the script. `<`, `>` and `&` are escaped
    /// so the JSON cannot end the element.
    func scriptData(_ page: Page, language l: Language) -> String {
        struct Payload: Encodable {
            let page: String
            let lang: String
            let min_password: Int
            let text: [String: String]
        }
        let data = Payload(page: page.rawValue, lang: l.rawValue, min_password: 15, text: Self.text.mapValues { $0.text(l) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: (try? encoder.encode(data)) ?? Data("{}".utf8), as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c").replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
        return "<script type=\"application/json\" id=\"honnin-data\">\(json)</script>"
    }

    /// A labelled input with its hint and error line (`err-<id>`).
    static func field(
        _ id: String, label: String, hint: String? = nil, type: String = "text", autocomplete: String, attributes: String = ""
    ) -> String {
        let hintHTML = hint.map { "<span class=\"hint\" id=\"\(id)-hint\">\($0)</span>" } ?? ""
        let described = (hint == nil ? "" : "\(id)-hint ") + "err-\(id)"
        return """
            <div class="field"><label for="\(id)">\(label)</label>\(hintHTML)
            <input id="\(id)" name="\(id)" type="\(type)" autocomplete="\(autocomplete)" aria-describedby="\(described)" \(attributes)>
            <p class="error" id="err-\(id)" aria-live="polite"></p></div>
            """
    }

    func signupBody(_ l: Language) -> String {
        let t = { (id: String) in Self.t(id, l) }
        return """
            <p class="lead">\(t("signup.intro"))</p>
            <form id="signup-form" class="panel" novalidate>
            <div id="form-error" class="alert" role="alert" hidden></div>
            \(Self.field("username", label: t("username"), hint: t("username.hint"), autocomplete: "username",
                attributes: "autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"64\" required"))
            \(Self.field("display_name", label: t("display_name"), hint: t("display_name.hint"), autocomplete: "nickname", attributes: "maxlength=\"100\""))
            <fieldset id="method"><legend>\(t("method"))</legend>
            <div class="choice"><input type="radio" name="method" id="method-passkey" value="passkey" checked>
            <label for="method-passkey"><strong>\(t("method.passkey"))</strong><span class="hint">\(t("method.passkey.hint"))</span></label></div>
            <div class="choice"><input type="radio" name="method" id="method-password" value="password">
            <label for="method-password"><strong>\(t("method.password"))</strong><span class="hint">\(t("method.password.hint"))</span></label></div>
            </fieldset>
            <div id="password-block" class="field" hidden><label for="password">\(t("password"))</label>
            <span class="hint" id="password-hint">\(t("password.hint"))</span>
            <div class="password-row"><input id="password" name="password" type="password" autocomplete="new-password" maxlength="1024" \
            spellcheck="false" autocapitalize="none" aria-describedby="password-hint password-count err-password">
            <button type="button" id="password-toggle" class="toggle" aria-controls="password">\(t("password.show"))</button></div>
            <p class="count" id="password-count" aria-live="polite"></p>
            <p class="error" id="err-password" aria-live="polite"></p></div>
            <button type="submit" class="primary" id="signup-submit">\(t("signup.submit.passkey"))</button>
            </form>
            <section id="passkey-step" class="panel" aria-labelledby="passkey-step-h" hidden>
            <h2 id="passkey-step-h" tabindex="-1">\(t("signup.passkey_step"))</h2><p>\(t("signup.passkey_step.text"))</p>
            <p class="error" id="err-passkey" role="alert"></p>
            <button type="button" class="primary" id="passkey-create">\(t("signup.passkey_retry"))</button></section>
            <p class="switch">\(t("signup.have_account")) <a id="to-login" href="/account/login?lang=\(l.rawValue)">\(t("signup.to_login"))</a></p>
            """
    }

    func loginBody(_ l: Language) -> String {
        let t = { (id: String) in Self.t(id, l) }
        return """
            <div id="signed-in" class="panel" hidden><p id="signed-in-text"></p>
            <a class="button" href="/account?lang=\(l.rawValue)">\(t("login.to_account"))</a></div>
            <form id="login-form" class="panel" novalidate>
            <p class="lead">\(t("login.intro"))</p>
            <div id="form-error" class="alert" role="alert" hidden></div>
            \(Self.field("login-username", label: t("username"), hint: t("login.conditional_hint"), autocomplete: "username webauthn",
                attributes: "autocapitalize=\"none\" spellcheck=\"false\" maxlength=\"64\""))
            <button type="button" class="primary" id="passkey-login">\(t("login.passkey"))</button>
            <p class="divider"><span>\(t("login.or"))</span></p>
            <button type="button" class="secondary wide" id="use-password" aria-expanded="false" aria-controls="password-area">\(t("login.use_password"))</button>
            <div id="password-area" hidden>
            <div class="field"><label for="login-password">\(t("password"))</label>
            <div class="password-row"><input id="login-password" name="password" type="password" autocomplete="current-password" \
            maxlength="1024" spellcheck="false" autocapitalize="none" aria-describedby="err-login-password">
            <button type="button" id="password-toggle" class="toggle" aria-controls="login-password">\(t("password.show"))</button></div>
            <p class="error" id="err-login-password" aria-live="polite"></p></div>
            <button type="submit" class="primary" id="password-login">\(t("login.password_submit"))</button></div>
            </form>
            <section id="second-factor" class="panel" aria-labelledby="second-h" hidden>
            <h2 id="second-h" tabindex="-1">\(t("login.second"))</h2><p>\(t("login.second.text"))</p>
            <div id="second-methods"></div>
            <button type="button" class="link" id="start-over" hidden>\(t("login.start_over"))</button></section>
            \(authn.settings.openSignUp ? "<p class=\"switch\" id=\"signup-link\">\(t("login.no_account")) <a href=\"/account/signup?lang=\(l.rawValue)\">\(t("login.to_signup"))</a></p>" : "")
            """
    }

    func homeBody(_ l: Language) -> String {
        let t = { (id: String) in Self.t(id, l) }
        return """
            <p class="lead" id="welcome"></p>
            <section id="level" class="panel" aria-labelledby="level-h">
            <h2 id="level-h">\(t("level.h"))</h2>
            <p class="level"><span id="level-badge" class="badge"></span> <span id="level-name"></span></p>
            <p id="level-text"></p><p class="note" id="level-until" hidden></p></section>
            <section id="factors" class="panel" aria-labelledby="factors-h">
            <h2 id="factors-h">\(t("factors.h"))</h2>
            <ul id="factor-list" class="items"></ul>
            <h3>\(t("add.h"))</h3>
            <div class="actions" id="add-actions">
            <button type="button" class="secondary" id="add-totp">\(t("add.totp"))</button>
            <button type="button" class="secondary" id="add-passkey">\(t("add.passkey"))</button>
            <button type="button" class="secondary" id="add-security-key">\(t("add.security_key"))</button></div>
            <p class="error" id="err-add" role="alert"></p>
            <form id="totp-panel" class="sub" aria-labelledby="totp-h" novalidate hidden>
            <h3 id="totp-h" tabindex="-1">\(t("totp.h"))</h3>
            <p>\(t("totp.step1"))</p>
            <div class="qr"><img id="totp-qr" alt="\(t("totp.qr_alt"))" width="220" height="220"></div>
            <p>\(t("totp.manual"))</p><p class="secret"><code id="totp-secret"></code></p>
            <button type="button" class="secondary" id="totp-copy">\(t("totp.copy"))</button>
            \(Self.field("totp-code", label: t("totp.code"), hint: t("totp.step2"), autocomplete: "one-time-code",
                attributes: "inputmode=\"numeric\" pattern=\"[0-9]*\" maxlength=\"8\" class=\"code\""))
            <div class="actions"><button type="submit" class="primary" id="totp-confirm">\(t("totp.confirm"))</button>
            <button type="button" class="secondary" id="totp-cancel">\(t("cancel"))</button></div></form>
            </section>
            <section id="recovery" class="panel" aria-labelledby="recovery-h">
            <h2 id="recovery-h">\(t("recovery.h"))</h2><p>\(t("recovery.text"))</p>
            <button type="button" class="secondary wide" id="recovery-issue">\(t("recovery.issue"))</button>
            <p class="error" id="err-recovery" role="alert"></p>
            <div id="recovery-codes" class="sub" hidden><p class="alert">\(t("recovery.shown_once"))</p>
            <ol id="recovery-list" class="codes"></ol>
            <div class="actions"><button type="button" class="secondary" id="recovery-copy">\(t("recovery.copy"))</button>
            <button type="button" class="secondary" id="recovery-print">\(t("recovery.print"))</button>
            <button type="button" class="primary" id="recovery-done">\(t("recovery.done"))</button></div></div>
            </section>
            <section id="sessions" class="panel" aria-labelledby="sessions-h">
            <h2 id="sessions-h">\(t("sessions.h"))</h2>
            <ul id="session-list" class="items"></ul></section>
            <button type="button" class="secondary wide" id="sign-out">\(t("signout"))</button>
            <dialog id="stepup" aria-labelledby="stepup-h">
            <h2 id="stepup-h">\(t("stepup.title"))</h2><p id="stepup-text"></p>
            <div id="stepup-methods"></div>
            <button type="button" class="secondary wide" id="stepup-cancel">\(t("cancel"))</button></dialog>
            """
    }

    // MARK: Text

    static func t(_ id: String, _ l: Language) -> String { escape(text[id]?.text(l) ?? id) }

    /// Every text of the account pages, by stable message id (`account.<id>`), Japanese first.
    /// `{name}`-style placeholders are filled in by the script.
    static let text: [String: LocalizedMessage] = {
        let rows: [(String, String, String)] = [
            ("title.signup", "アカウントを作成", "Create an account"),
            ("title.login", "サインイン", "Sign in"),
            ("title.home", "アカウント", "Your account"),
            ("noscript", "このページを使うには JavaScript を有効にしてください。", "Please turn on JavaScript to use this page."),
            ("cancel", "やめる", "Cancel"),
            ("working", "処理しています…", "Working…"),
            ("network_error", "通信できませんでした。接続を確かめて、もう一度お試しください。", "The connection failed. Check it and try again."),
            ("unexpected_error", "問題が発生しました。しばらくしてからもう一度お試しください。", "Something went wrong. Please try again later."),
            ("copied", "コピーしました。", "Copied."),
            ("copy_failed", "コピーできませんでした。選択してコピーしてください。", "Could not copy. Select the text and copy it."),
            ("required", "入力してください。", "Please fill this in."),
            // Sign-up.
            ("signup.intro", "ユーザー名を決めて、サインインの方法を選んでください。", "Choose a user name and how you will sign in."),
            ("username", "ユーザー名", "User name"),
            ("username.hint", "3〜64文字。英字・数字と . _ - @ + が使えます（メールアドレスも使えます）。",
                "3 to 64 characters: letters, digits and . _ - @ + (an e-mail address works)."),
            ("username.invalid", "ユーザー名は3〜64文字で、英字・数字と . _ - @ + だけが使えます。",
                "A user name has 3 to 64 characters: letters, digits and . _ - @ + only."),
            ("display_name", "表示名（任意）", "Display name (optional)"),
            ("display_name.hint", "画面に表示する名前です。空欄ならユーザー名を使います。", "The name shown on screen. If empty, your user name is used."),
            ("method", "サインインの方法", "How you will sign in"),
            ("method.passkey", "パスキーを作成する（おすすめ）", "Create a passkey (recommended)"),
            ("method.passkey.hint", "この端末の指紋・顔認証・画面ロックでサインインします。パスワードは不要で、偽サイトにだまされる心配もありません。",
                "Sign in with this device’s fingerprint, face or screen lock. No password, and fake sites cannot trick it."),
            ("method.password", "パスワードを設定する", "Set a password"),
            ("method.password.hint", "15文字以上のパスワードでサインインします。あとから認証アプリやパスキーを追加できます。",
                "Sign in with a password of at least 15 characters. You can add an authenticator app or a passkey later."),
            ("password", "パスワード", "Password"),
            ("password.hint", "15文字以上。覚えやすい長い文がおすすめです。パスワードマネージャーからの貼り付けもできます。",
                "At least 15 characters. A long sentence you can remember works well. Pasting from a password manager is fine."),
            ("password.show", "表示", "Show"),
            ("password.hide", "隠す", "Hide"),
            ("password.count", "{n}文字（15文字以上）", "{n} characters (at least 15)"),
            ("password.too_short", "パスワードは15文字以上にしてください。", "Use at least 15 characters."),
            ("password.too_long", "パスワードが長すぎます。", "The password is too long."),
            ("password.blocklisted", "このパスワードはよく使われているか、過去に流出したものです。別のパスワードにしてください。",
                "This password is commonly used or has leaked before. Choose another one."),
            ("password.context_word", "ユーザー名やサービス名をもとにしたパスワードは使えません。",
                "The password cannot be based on your user name or the name of this service."),
            ("password.repetitive", "同じ文字の繰り返しや連続した文字（aaaa、1234 など）だけのパスワードは使えません。",
                "The password cannot be only repeated or sequential characters (such as aaaa or 1234)."),
            ("signup.submit.passkey", "パスキーを作成して登録", "Create a passkey and sign up"),
            ("signup.submit.password", "登録する", "Sign up"),
            ("signup.passkey_step", "パスキーを作成してください", "Create your passkey"),
            ("signup.passkey_step.text", "アカウントを作成しました。10分以内にパスキーを作成すると、サインインできるようになります。",
                "Your account is created. Create your passkey within 10 minutes to be able to sign in."),
            ("signup.passkey_retry", "パスキーを作成する", "Create the passkey"),
            ("signup.expired", "時間切れのため、パスキーを登録できません。別のユーザー名でもう一度登録してください。",
                "Too much time has passed to register the passkey. Please sign up again with another user name."),
            ("signup.have_account", "アカウントをお持ちの方は", "Already have an account?"),
            ("signup.to_login", "サインイン", "Sign in"),
            // Sign-in.
            ("login.intro", "パスキーでサインインできます。パスキーがない場合はパスワードを使ってください。",
                "Sign in with your passkey. If you have none, use your password."),
            ("login.conditional_hint", "保存したパスキーは、この欄を選ぶと候補に表示されます。", "Saved passkeys are offered when you select this field."),
            ("login.passkey", "パスキーでサインイン", "Sign in with a passkey"),
            ("login.or", "または", "or"),
            ("login.use_password", "パスワードでサインイン", "Sign in with a password"),
            ("login.password_submit", "サインイン", "Sign in"),
            ("login.second", "2段階目の確認", "Second step"),
            ("login.second.text", "パスワードを確認しました。続けて、登録済みの別の方法で確認してください。",
                "Your password is correct. Now confirm with another method you registered."),
            ("login.no_account", "アカウントをお持ちでない方は", "No account yet?"),
            ("login.to_signup", "アカウントを作成", "Create an account"),
            ("login.signed_in_as", "{name} としてサインインしています。", "You are signed in as {name}."),
            ("login.to_account", "アカウントのページへ", "Go to your account"),
            ("login.start_over", "最初からやり直す（別の方法でサインイン）", "Start again (sign in another way)"),
            ("login.enter_username", "ユーザー名を入力してください。", "Enter your user name."),
            ("login.enter_password", "パスワードを入力してください。", "Enter your password."),
            // Second factor and step-up.
            ("factor.choose", "確認に使う方法を選んでください。", "Choose how to confirm."),
            ("factor.totp", "認証アプリのコード", "Authenticator app code"),
            ("factor.recovery_code", "リカバリーコード", "Recovery code"),
            ("factor.passkey", "パスキー", "Passkey"),
            ("factor.security_key", "セキュリティキー", "Security key"),
            ("factor.password", "パスワード", "Password"),
            ("factor.totp.label", "認証アプリに表示されている6桁のコード", "The 6-digit code in your authenticator app"),
            ("factor.recovery_code.label", "保存したリカバリーコード（未使用のもの1つ）", "One unused recovery code you saved"),
            ("factor.passkey.text", "「続ける」を押して、この端末のパスキーで確認してください。", "Press Continue and confirm with your passkey."),
            ("factor.security_key.text", "セキュリティキーを差し込んで「続ける」を押し、キーに触れてください。",
                "Insert your security key, press Continue and touch the key."),
            ("factor.continue", "続ける", "Continue"),
            ("factor.verify", "確認する", "Confirm"),
            ("factor.other", "ほかの方法を選ぶ", "Choose another method"),
            ("factor.none", "必要な認証方法はこのページでは使えません。", "The methods this needs cannot be used on this page."),
            ("stepup.title", "この操作には追加の認証が必要です", "This needs another authentication factor"),
            ("stepup.text", "安全のため、登録済みの別の方法で確認してください（現在 AAL{current}、必要なのは AAL{required}）。確認が済むと操作を続けます。",
                "For your safety, confirm with another method you registered (you are at AAL{current}; this needs AAL{required}). The action then continues."),
            ("stepup.done", "確認しました。操作を続けます。", "Confirmed. Continuing."),
            // WebAuthn in the browser.
            ("webauthn.cancelled", "パスキーの操作が取り消されたか、時間切れになりました。もう一度お試しください。",
                "The passkey request was cancelled or timed out. Please try again."),
            ("webauthn.unsupported", "このブラウザはパスキーに対応していません。", "This browser does not support passkeys."),
            ("webauthn.exists", "この認証器はすでに登録されています。", "This authenticator is already registered."),
            // Home.
            ("home.welcome.plain", "ようこそ、{name} さん", "Welcome, {name}"),
            ("home.welcome", "ようこそ、{name} さん（ユーザー名：{username}）", "Welcome, {name} (user name: {username})"),
            ("level.h", "現在の認証レベル", "Your current authentication level"),
            ("level.badge", "AAL{n}", "AAL{n}"),
            ("level.name.0", "未登録", "Nothing registered"),
            ("level.name.1", "認証保証レベル1", "Authentication assurance level 1"),
            ("level.name.2", "認証保証レベル2", "Authentication assurance level 2"),
            ("level.name.3", "認証保証レベル3", "Authentication assurance level 3"),
            ("level.0", "まだサインインの方法が登録されていません。", "No sign-in method is registered yet."),
            ("level.1", "1つの要素（パスワードなど）で確認されています。認証方法の追加などの大事な操作では、追加の確認を求めることがあります。",
                "You are confirmed with one factor (such as a password). Important changes, like adding a sign-in method, may ask for another factor."),
            ("level.2", "異なる2つの要素で確認されています（生体認証や画面ロックで使うパスキー、またはパスワードと認証アプリなど）。",
                "You are confirmed with two different factors (such as a passkey unlocked by fingerprint or screen lock, or a password plus an authenticator app)."),
            ("level.3", "取り出せない鍵を持つハードウェア（セキュリティキーやマイナンバーカード）を含む、最も強い方法で確認されています。",
                "You are confirmed with the strongest methods, including hardware whose key cannot be copied (a security key or the My Number Card)."),
            ("level.until", "このレベルは {time} まで有効です（操作を続けると延びることがあります）。",
                "This level lasts until {time} (activity may extend it)."),
            ("factors.h", "サインインの方法", "Sign-in methods"),
            ("factors.empty", "登録されている方法はありません。", "No method is registered."),
            ("factors.added", "登録 {date}", "Added {date}"),
            ("factors.used", "最終使用 {date}", "Last used {date}"),
            ("factors.remaining", "残り{n}個", "{n} left"),
            ("factors.synced", "複数の端末で同期", "Synced across devices"),
            ("factors.hardware", "ハードウェアの鍵", "Hardware-bound key"),
            ("factors.remove", "削除", "Remove"),
            ("factors.remove.confirm", "「{name}」を削除しますか？", "Remove “{name}”?"),
            ("factors.remove.yes", "削除する", "Remove"),
            ("factors.remove.no", "残す", "Keep"),
            ("factors.removed", "「{name}」を削除しました。", "“{name}” was removed."),
            ("factor.labelled", "{method}（{label}）", "{method} ({label})"),
            ("name.password", "パスワード", "Password"),
            ("name.totp", "認証アプリ", "Authenticator app"),
            ("name.recovery_code", "リカバリーコード", "Recovery codes"),
            ("name.passkey", "パスキー", "Passkey"),
            ("name.security_key", "セキュリティキー", "Security key"),
            ("name.jpki_user_certificate", "マイナンバーカード", "My Number Card"),
            ("add.h", "方法を追加", "Add a method"),
            ("add.totp", "認証アプリを追加", "Add an authenticator app"),
            ("add.passkey", "パスキーを追加", "Add a passkey"),
            ("add.security_key", "セキュリティキーを追加", "Add a security key"),
            ("totp.h", "認証アプリの設定", "Set up an authenticator app"),
            ("totp.step1", "認証アプリ（Google Authenticator、Microsoft Authenticator など）で、このQRコードを読み取ってください。",
                "Scan this QR code with an authenticator app (such as Google Authenticator or Microsoft Authenticator)."),
            ("totp.qr_alt", "認証アプリ用のQRコード", "QR code for the authenticator app"),
            ("totp.manual", "読み取れない場合は、このキーをアプリに入力してください。", "If you cannot scan it, enter this key in the app."),
            ("totp.copy", "キーをコピー", "Copy the key"),
            ("totp.code", "確認コード", "Code"),
            ("totp.step2", "アプリに表示された6桁のコードを入力してください。", "Enter the 6-digit code the app shows."),
            ("totp.confirm", "確認して追加", "Confirm and add"),
            ("totp.added", "認証アプリを追加しました。", "The authenticator app is added."),
            ("totp.enter_code", "6桁のコードを入力してください。", "Enter the 6-digit code."),
            ("passkey.added", "パスキーを追加しました。", "The passkey is added."),
            ("security_key.added", "セキュリティキーを追加しました。", "The security key is added."),
            ("recovery.h", "リカバリーコード", "Recovery codes"),
            ("recovery.text", "端末をなくしたときに、2段階目の確認の代わりに1回ずつ使えるコードです。新しく発行すると、以前のコードは使えなくなります。",
                "Codes to use once each instead of your second step if you lose your device. Issuing new codes makes the old ones stop working."),
            ("recovery.issue", "リカバリーコードを発行", "Issue recovery codes"),
            ("recovery.shown_once", "このコードは今だけ表示されます。印刷するか、安全な場所に保存してください。",
                "These codes are shown only now. Print them or keep them somewhere safe."),
            ("recovery.copy", "コピー", "Copy"),
            ("recovery.print", "印刷", "Print"),
            ("recovery.done", "保存しました", "I have saved them"),
            ("sessions.h", "サインイン中の端末", "Where you are signed in"),
            ("sessions.current", "この端末", "This device"),
            ("sessions.started", "開始 {date}", "Started {date}"),
            ("sessions.seen", "最終アクセス {date}", "Last active {date}"),
            ("sessions.methods", "使った方法：{list}", "Used: {list}"),
            ("sessions.none", "なし", "none"),
            ("sessions.revoke", "サインアウトさせる", "Sign out"),
            ("sessions.revoked", "その端末をサインアウトさせました。", "That device is signed out."),
            ("client.unknown", "不明なブラウザ", "Unknown browser"),
            ("client.other", "その他のブラウザ", "Other browser"),
            ("signout", "サインアウト", "Sign out"),
            ("list_separator", "、", ", "),
        ]
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.0, LocalizedMessage(id: "account.\($0.0)", ja: $0.1, en: $0.2)) })
    }()
}

/// The account pages' stylesheet and script (`Resources/account/`), inlined with the
/// response's CSP nonce.
enum AccountAssets {
    static let style = PageAssets.load("account", "account.css")
    static let script = PageAssets.script("account", "account.js")
}
