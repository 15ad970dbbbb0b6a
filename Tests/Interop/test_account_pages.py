"""The account pages (/account/signup, /account/login, /account) in a real browser: Chromium driven
by Selenium (through chromedriver) with a DevTools WebAuthn virtual authenticator (CTAP2, internal,
resident keys, user verification), against the real `honnin serve` on http://localhost:PORT (an IP
address cannot be a WebAuthn RP ID).

- password-less sign-up with a passkey → the home shows AAL2 and the passkey → sign out → sign in
  with the passkey button (and with conditional UI when the headless browser resolves it) → home;
- sign-up with a password (a client-side length refusal, then the server's `blocklisted` reason
  shown next to the field) → AAL1 → an authenticator app added (QR code rendered under the CSP,
  code computed from the secret) → AAL2 → sign out → password sign-in → the page asks for the
  code (`inputmode=numeric`, `autocomplete=one-time-code`) → AAL2;
- step-up: a password-only session of an account with TOTP adds a passkey → the prompt offers
  exactly TOTP → the code → the passkey is added without a new sign-in; recovery codes issued,
  shown once; a later password sign-in offers all three second steps and takes a recovery code;
- every page in Japanese and English (no Japanese left on the English pages), no horizontal
  overflow on a 390-pixel-wide phone, screenshots in /tmp/honnin-account-*.png.

Skips when Selenium, pyotp, Chromium or chromedriver is missing. Needs HONNIN_BINARY or
.build/debug/honnin.
"""

import base64
import json
import os
import pathlib
import re
import secrets
import shutil
import time
import urllib.error
import urllib.request

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
pyotp = pytest.importorskip("pyotp", reason="pyotp is not installed (pip install pyotp)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.virtual_authenticator import VirtualAuthenticatorOptions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from honnin_server import start, stop  # noqa: E402

CHROMIUM = next((p for p in map(shutil.which, ["chromium", "chromium-browser", "google-chrome"]) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
SHOTS = os.environ.get("HONNIN_SCREENSHOTS", "/tmp")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(CHROMEDRIVER is None, reason="chromedriver is not installed (apt-get install chromium-driver)"),
]

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
PASSWORD = "velvet otter harbours 71 quiet lanterns"
NO_CONDITIONAL = ("if (window.PublicKeyCredential) "
                  "PublicKeyCredential.isConditionalMediationAvailable = function () { return Promise.resolve(false); };")


@pytest.fixture(scope="module")
def server():
    s = start("honnin-account-")
    yield s
    stop(s)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--lang=ja", "--accept-lang=ja,en", "--disable-gpu", "--hide-scrollbars", "--no-sandbox"]:
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})
    # A phone: 390×844 CSS pixels.
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol=VirtualAuthenticatorOptions.Protocol.CTAP2, transport=VirtualAuthenticatorOptions.Transport.INTERNAL,
        has_resident_key=True, has_user_verification=True, is_user_verified=True))
    # The virtual authenticator answers a conditional (autofill) request at once, so a sign-in
    # page would sign in by itself; the tests present a browser without conditional mediation
    # unless they turn this off (`allow_conditional`).
    driver.no_conditional = driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_CONDITIONAL})["identifier"]
    yield driver
    driver.quit()


def allow_conditional(driver):
    driver.execute_cdp_cmd("Page.removeScriptToEvaluateOnNewDocument", {"identifier": driver.no_conditional})


def shot(driver, name):
    """A full-page screenshot in $HONNIN_SCREENSHOTS (default /tmp) as honnin-account-<name>.png."""
    os.makedirs(SHOTS, exist_ok=True)
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    pathlib.Path(SHOTS, f"honnin-account-{name}.png").write_bytes(base64.b64decode(png["data"]))


def wait(driver, condition, timeout=20, message=""):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message)


def by_id(driver, id):
    return driver.find_element(By.ID, id)


def shown(driver, id):
    found = driver.find_elements(By.ID, id)
    return found[0] if found and found[0].is_displayed() else None


def text(driver, id):
    return by_id(driver, id).text.strip()


def path(driver):
    return driver.current_url.split("//", 1)[1].split("/", 1)[1].split("?")[0]


def check_page(driver, lang):
    """The document's language, every text translated (English pages carry no Japanese except the
    link to the Japanese page and the person's own display name) and nothing wider than the phone."""
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    if lang == "en":
        visible = driver.execute_script("""
            var own = ['lang-switch', 'welcome'].map(function (id) { return document.getElementById(id); }).filter(Boolean);
            own.forEach(function (e) { e.hidden = true; });
            var t = document.body.innerText;
            own.forEach(function (e) { e.hidden = false; });
            return t;""")
        assert not JAPANESE.search(visible), visible
    wide = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"the page is {wide}px wider than the screen"


def home_level(driver):
    wait(driver, lambda d: path(d) == "account" and d.find_elements(By.ID, "level-badge") and text(d, "level-badge"),
         message="the home page did not show a level")
    return text(driver, "level-badge")


def factor_methods(driver):
    # Read in one script: the list is rebuilt after each change.
    return sorted(driver.execute_script(
        "return Array.from(document.querySelectorAll('#factor-list li.item')).map(function (li) { return li.dataset.method; });"))


def sign_out(driver, base):
    by_id(driver, "sign-out").click()
    wait(driver, lambda d: path(d) == "account/login", message="sign-out did not reach the sign-in page")
    # The home needs a session now.
    driver.get(base + "/account")
    wait(driver, lambda d: path(d) == "account/login")


def totp_code(secret, used):
    """A code for a time step not used yet: the server accepts each step once, within one step of
    its clock (RFC 6238 §5.2), so the next unused of now and now + 1 serves without waiting."""
    while True:
        now = int(time.time()) // 30
        step = max([now] + [u + 1 for u in used])
        if step <= now + 1:
            break
        time.sleep(0.5)
    used.add(step)
    return pyotp.TOTP(secret).at(step * 30)


def post_json(url, body):
    req = urllib.request.Request(url, method="POST", data=json.dumps(body).encode(), headers={"Content-Type": "application/json", "User-Agent": "python-interop"})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def fill_signup(driver, username, display=None):
    by_id(driver, "username").send_keys(username)
    if display:
        by_id(driver, "display_name").send_keys(display)


def test_passkey_signup_and_sign_in(server, browser):
    d, base = browser, server["base"]
    user = "hanako-" + secrets.token_hex(3)

    d.get(base + "/account/signup")
    assert d.title.startswith("アカウントを作成")
    check_page(d, "ja")
    # Passkey is the default and the password field stays hidden.
    assert by_id(d, "method-passkey").is_selected()
    assert not shown(d, "password-block")
    assert text(d, "signup-submit") == "パスキーを作成して登録"
    shot(d, "signup-ja")

    fill_signup(d, user, "山田 花子")
    by_id(d, "signup-submit").click()
    assert home_level(d) == "AAL2"
    check_page(d, "ja")
    assert factor_methods(d) == ["passkey"]
    assert "山田 花子" in text(d, "welcome") and user in text(d, "welcome")
    assert "2つの要素" in text(d, "level-text") or "異なる2つ" in text(d, "level-text")
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#session-list li[data-current=true]"))
    credentials = d.get_credentials()
    assert len(credentials) == 1 and credentials[0].is_resident_credential
    shot(d, "home-ja")

    sign_out(d, base)
    check_page(d, "ja")
    assert by_id(d, "login-username").get_attribute("autocomplete") == "username webauthn"
    shot(d, "login-ja")

    # The passkey button (the modal request); it aborts the conditional request first.
    by_id(d, "passkey-login").click()
    assert home_level(d) == "AAL2"
    sessions = d.find_elements(By.CSS_SELECTOR, "#session-list li.item")
    assert any(li.get_attribute("data-current") == "true" and "パスキー" in li.text for li in sessions)

    # The English pages, and the button path in English.
    sign_out(d, base)
    for page, name in [("/account/signup", "signup"), ("/account/login", "login")]:
        d.get(base + page + "?lang=en")
        wait(d, lambda d: d.execute_script("return document.readyState") == "complete")
        check_page(d, "en")
        shot(d, f"{name}-en")
    assert text(d, "page-h") == "Sign in"
    by_id(d, "passkey-login").click()
    assert home_level(d) == "AAL2"
    assert "?lang=en" in d.current_url
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#session-list li.item"))
    check_page(d, "en")
    assert "two different factors" in text(d, "level-text")
    shot(d, "home-passkey-en")

    # Conditional UI: the request armed at page load on the user-name field; the virtual
    # authenticator answers it without a click.
    sign_out(d, base)
    allow_conditional(d)
    d.get(base + "/account/login")
    assert home_level(d) == "AAL2"

    # A security key (cross-platform, direct attestation) on a second, USB virtual authenticator;
    # then removed again, after the inline confirmation.
    d.add_virtual_authenticator(VirtualAuthenticatorOptions(
        protocol=VirtualAuthenticatorOptions.Protocol.CTAP2, transport=VirtualAuthenticatorOptions.Transport.USB,
        has_resident_key=False, has_user_verification=True, is_user_verified=True))
    by_id(d, "add-security-key").click()
    wait(d, lambda d: factor_methods(d) == ["passkey", "security_key"], message="the security key was not added")
    assert text(d, "notice") == "セキュリティキーを追加しました。"
    key = d.find_element(By.CSS_SELECTOR, "#factor-list li[data-method=security_key]")
    key.find_element(By.TAG_NAME, "button").click()
    confirm = wait(d, lambda d: key.find_elements(By.CSS_SELECTOR, ".confirm button.danger"))
    shot(d, "home-remove-ja")
    confirm[0].click()
    wait(d, lambda d: factor_methods(d) == ["passkey"], message="the security key was not removed")
    assert text(d, "notice") == "「セキュリティキー」を削除しました。"


def test_password_signup_totp_and_second_step(server, browser):
    d, base = browser, server["base"]
    user = "taro-" + secrets.token_hex(3)
    used = set()

    d.get(base + "/account/signup?lang=en")
    fill_signup(d, user)
    by_id(d, "method-password").click()
    assert shown(d, "password-block")
    assert text(d, "signup-submit") == "Sign up"
    password = by_id(d, "password")
    assert password.get_attribute("autocomplete") == "new-password"
    assert password.get_attribute("type") == "password"
    # Too short: refused in the page before any request.
    password.send_keys("short pass")
    by_id(d, "signup-submit").click()
    assert text(d, "err-password") == "Use at least 15 characters."
    # Show and hide.
    by_id(d, "password-toggle").click()
    assert password.get_attribute("type") == "text"
    by_id(d, "password-toggle").click()
    assert password.get_attribute("type") == "password"
    # A blocklisted one: the server's reason, next to the field.
    password.clear()
    password.send_keys("1qaz2wsx3edc4rfv")
    by_id(d, "signup-submit").click()
    wait(d, lambda d: "commonly used" in text(d, "err-password"), message="blocklisted reason not shown")
    check_page(d, "en")
    shot(d, "signup-password-en")
    password.clear()
    password.send_keys(PASSWORD)
    by_id(d, "signup-submit").click()
    assert home_level(d) == "AAL1"
    assert factor_methods(d) == ["password"]
    assert "one factor" in text(d, "level-text")

    # An authenticator app.
    by_id(d, "add-totp").click()
    wait(d, lambda d: shown(d, "totp-panel") and by_id(d, "totp-secret").get_attribute("data-secret"))
    qr = by_id(d, "totp-qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    wait(d, lambda d: d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", qr),
         message="the QR code did not render")
    code = by_id(d, "totp-code")
    assert code.get_attribute("inputmode") == "numeric" and code.get_attribute("autocomplete") == "one-time-code"
    secret = by_id(d, "totp-secret").get_attribute("data-secret")
    check_page(d, "en")
    shot(d, "home-totp-en")
    code.send_keys("000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    by_id(d, "totp-confirm").click()
    wait(d, lambda d: text(d, "err-totp-code"), message="a wrong code was not refused")
    code.clear()
    code.send_keys(totp_code(secret, used))
    by_id(d, "totp-confirm").click()
    wait(d, lambda d: text(d, "level-badge") == "AAL2", message="TOTP did not raise the level")
    wait(d, lambda d: factor_methods(d) == ["password", "totp"])
    assert not shown(d, "totp-panel")
    shot(d, "home-aal2-en")

    # Password sign-in asks for the code.
    sign_out(d, base)
    d.get(base + "/account/login?lang=en")
    by_id(d, "use-password").click()
    by_id(d, "login-username").send_keys(user)
    by_id(d, "login-password").send_keys(PASSWORD)
    by_id(d, "password-login").click()
    wait(d, lambda d: shown(d, "second-factor"), message="no second step")
    assert not shown(d, "login-form")
    code = by_id(d, "factor-code")
    assert code.get_attribute("inputmode") == "numeric" and code.get_attribute("autocomplete") == "one-time-code"
    assert d.find_element(By.CSS_SELECTOR, "form.factor").get_attribute("data-method") == "totp"
    check_page(d, "en")
    shot(d, "login-second-en")
    code.send_keys(totp_code(secret, used))
    by_id(d, "factor-submit").click()
    assert home_level(d) == "AAL2"


def test_step_up_prompt_then_recovery_code(server, browser):
    d, base = browser, server["base"]
    user = "jiro-" + secrets.token_hex(3)
    used = set()

    # An account with a password and an authenticator app.
    d.get(base + "/account/signup")
    fill_signup(d, user, "次郎")
    by_id(d, "method-password").click()
    by_id(d, "password").send_keys(PASSWORD)
    by_id(d, "signup-submit").click()
    assert home_level(d) == "AAL1"
    by_id(d, "add-totp").click()
    wait(d, lambda d: shown(d, "totp-panel") and by_id(d, "totp-secret").get_attribute("data-secret"))
    check_page(d, "ja")
    shot(d, "home-totp-ja")
    secret = by_id(d, "totp-secret").get_attribute("data-secret")
    by_id(d, "totp-code").send_keys(totp_code(secret, used))
    by_id(d, "totp-confirm").click()
    wait(d, lambda d: text(d, "level-badge") == "AAL2")
    sign_out(d, base)

    # A password-only session: sign in with the password, leave the second step unanswered.
    by_id(d, "use-password").click()
    by_id(d, "login-username").send_keys(user)
    by_id(d, "login-password").send_keys(PASSWORD)
    by_id(d, "password-login").click()
    wait(d, lambda d: shown(d, "second-factor"))
    shot(d, "login-second-ja")
    d.get(base + "/account")
    assert home_level(d) == "AAL1"
    assert factor_methods(d) == ["password", "totp"]

    # Adding a passkey needs AAL2 here: the prompt offers exactly TOTP, in place.
    by_id(d, "add-passkey").click()
    wait(d, lambda d: shown(d, "stepup"), message="no step-up prompt")
    assert text(d, "stepup-h") == "この操作には追加の認証が必要です"
    assert "AAL1" in text(d, "stepup-text") and "AAL2" in text(d, "stepup-text")
    offered = [f.get_attribute("data-method") for f in d.find_elements(By.CSS_SELECTOR, "#stepup-methods form.factor")]
    offered += [b.get_attribute("data-method") for b in d.find_elements(By.CSS_SELECTOR, "#stepup-methods button[data-method]")]
    assert offered == ["totp"]
    check_page(d, "ja")
    shot(d, "stepup-ja")
    by_id(d, "factor-code").send_keys(totp_code(secret, used))
    by_id(d, "factor-submit").click()
    # The original action runs again: the passkey is created and bound; no new sign-in.
    wait(d, lambda d: "passkey" in factor_methods(d), message="the passkey was not added after the step-up")
    assert not shown(d, "stepup")
    assert path(d) == "account"
    assert text(d, "level-badge") == "AAL2"
    assert text(d, "notice") == "パスキーを追加しました。"
    assert len(d.get_credentials()) == 1

    # Recovery codes, shown once.
    by_id(d, "recovery-issue").click()
    wait(d, lambda d: shown(d, "recovery-codes"))
    codes = [c.text for c in d.find_elements(By.CSS_SELECTOR, "#recovery-list code")]
    assert len(codes) == 10 and len(set(codes)) == 10
    shot(d, "home-recovery-ja")
    by_id(d, "recovery-done").click()
    assert not shown(d, "recovery-codes")
    wait(d, lambda d: "recovery_code" in factor_methods(d))

    # A password sign-in now offers every second step; a recovery code is one.
    sign_out(d, base)
    by_id(d, "use-password").click()
    by_id(d, "login-username").send_keys(user)
    by_id(d, "login-password").send_keys(PASSWORD)
    by_id(d, "password-login").click()
    wait(d, lambda d: shown(d, "second-factor"))
    offered = sorted(b.get_attribute("data-method") for b in d.find_elements(By.CSS_SELECTOR, "#second-methods button[data-method]"))
    assert offered == ["passkey", "recovery_code", "totp"]
    shot(d, "login-choose-ja")
    d.find_element(By.CSS_SELECTOR, "#second-methods button[data-method=recovery_code]").click()
    by_id(d, "factor-code").send_keys(codes[0])
    by_id(d, "factor-submit").click()
    assert home_level(d) == "AAL2"
    wait(d, lambda d: "残り9個" in d.execute_script(
        "var li = document.querySelector('#factor-list li[data-method=recovery_code]'); return li ? li.innerText : '';"))
    shot(d, "home-full-ja")
    # Another session (a script signing in with the password alone) can be signed out from here.
    status, _ = post_json(base + "/auth/password/login", {"username": user, "password": PASSWORD})
    assert status == 200
    d.refresh()
    wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, "#session-list li[data-current=false]"))
    other = d.find_element(By.CSS_SELECTOR, "#session-list li[data-current=false]")
    assert "Python" in other.text and "AAL1" in other.text
    other.find_element(By.TAG_NAME, "button").click()
    wait(d, lambda d: not d.find_elements(By.CSS_SELECTOR, "#session-list li[data-current=false]"))
    assert text(d, "notice") == "その端末をサインアウトさせました。"
