"""The hosted verification page in a real browser: Chromium driven by Selenium (through
chromedriver), with Chromium's fake camera, against the real `honnin serve`.

- the method list shows the flow's allowed methods in the API's rank order, in Japanese and English;
- document upload: a driver's licence photographed front and back with the camera
  (getUserMedia → canvas → JPEG), the attributes typed, the upload sent; the API then shows the
  flow waiting for review and the audit log shows two sanitised images;
- a refused camera falls back to the file input;
- self-declaration: a refused field is explained next to it, in Japanese, and a retry of the same
  submission reuses its Idempotency-Key; then the flow is approved;
- the link back to the business carries the verification id and status only.

Skips when Selenium, Chromium or chromedriver is missing. Needs HONNIN_BINARY or
.build/debug/honnin (run by .ci/run after `swift build`). Screenshots go to $HONNIN_SCREENSHOTS when set.
"""

import base64
import json
import os
import pathlib
import shutil
import sqlite3
import urllib.error
import urllib.parse
import urllib.request

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from honnin_server import start, stop  # noqa: E402
CHROMIUM = next((p for p in map(shutil.which, ["chromium", "chromium-browser", "google-chrome"]) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")
SHOTS = os.environ.get("HONNIN_SCREENSHOTS")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(CHROMEDRIVER is None, reason="chromedriver is not installed (apt-get install chromium-driver)"),
]

UPLOAD_PROFILE = {"id": "demo", "name": {"ja": "デモ", "en": "Demo"},
                  "proofing_impact": {"financial": "low", "reputation": "low"}, "personal_information_online": False}
SELF_PROFILE = {"id": "demo-self", "name": {"ja": "デモ", "en": "Demo"}, "self_asserted_acceptable": True,
                "personal_information_online": False}


@pytest.fixture(scope="module")
def server():
    s = start("honnin-pages-")
    yield s
    stop(s)


def call(srv, method, path, body=None):
    req = urllib.request.Request(srv["base"] + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Bearer " + srv["token"])
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def create(srv, profile, attributes):
    status, body = call(srv, "POST", "/v1/verifications", {
        "profile": profile, "requested_attributes": attributes, "return_url": srv["base"] + "/healthz"})
    assert status == 201, body
    return body


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--lang=ja",
                "--accept-lang=ja,en", "--disable-gpu", "--hide-scrollbars"]:
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})
    # A phone: 390×844 CSS pixels.
    options.add_experimental_option("mobileEmulation", {"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2}})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver, name):
    """A full-page screenshot, when $HONNIN_SCREENSHOTS names a folder."""
    if not SHOTS:
        return
    os.makedirs(SHOTS, exist_ok=True)
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    pathlib.Path(SHOTS, name).write_bytes(base64.b64decode(png["data"]))


def wait(driver, condition, timeout=15):
    return WebDriverWait(driver, timeout).until(lambda d: condition(d))


def visible(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found and found[0].is_displayed() else None


def listed_methods(driver):
    return [li.get_attribute("data-method") for li in driver.find_elements(By.CSS_SELECTOR, "ol.methods > li.method")]


def record_idempotency_keys(driver):
    driver.execute_script("""
        window.__keys = [];
        const set = XMLHttpRequest.prototype.setRequestHeader;
        XMLHttpRequest.prototype.setRequestHeader = function (k, v) {
            if (k === 'Idempotency-Key') window.__keys.push(v);
            return set.call(this, k, v);
        };""")


def fill(driver, name, value):
    field = driver.find_element(By.ID, "attr-" + name)
    if field.get_attribute("type") == "date" or field.tag_name == "select":
        driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", field, value)
    else:
        field.clear()
        field.send_keys(value)


def audit_details(srv, action, subject):
    db = sqlite3.connect(srv["data"] / "honnin.sqlite")
    try:
        for (body,) in db.execute("SELECT body FROM audit_entries ORDER BY seq"):
            event = json.loads(body)
            if event["action"] == action and event["subject"] == subject:
                return event.get("details", {})
    finally:
        db.close()
    return None


def check_return_link(driver, srv, flow_id, status):
    link = wait(driver, lambda d: visible(d, "section.state a.button"))
    href = link.get_attribute("href")
    parsed = urllib.parse.urlsplit(href)
    assert f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == srv["base"] + "/healthz"
    # Only the id and the status: no token, nothing personal.
    assert urllib.parse.parse_qs(parsed.query) == {"verification_id": [flow_id], "status": [status]}
    assert "hvt_" not in href
    return link


def test_document_upload_with_the_camera(server, browser):
    flow = create(server, UPLOAD_PROFILE, ["name", "birthdate", "address"])
    ranked = [m["id"] for m in flow["allowed_methods"]]
    assert "document-upload" in ranked
    browser.get(flow["url"])
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ol.methods"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja"
    assert listed_methods(browser) == ranked
    assert "約30秒" in browser.page_source and "運転免許証" in browser.page_source
    shot(browser, "01-method-choice-ja.png")

    # The language switch keeps the flow (the token stays in the address bar only).
    browser.find_element(By.ID, "lang-switch").click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert listed_methods(browser) == ranked
    assert "about 30 seconds" in browser.page_source
    shot(browser, "02-method-choice-en.png")
    browser.find_element(By.ID, "lang-switch").click()
    wait(browser, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ja")

    browser.find_element(By.CSS_SELECTOR, "button.choose[data-method='document-upload']").click()
    wait(browser, lambda d: visible(d, "#step"))
    assert not browser.find_element(By.ID, "methods").is_displayed()
    assert browser.switch_to.active_element.get_attribute("id") == "step-h"
    browser.find_element(By.CSS_SELECTOR, "label[for='doc-drivers-license']").click()
    wait(browser, lambda d: d.find_elements(By.ID, "side-back"))
    shot(browser, "03-document-choice.png")

    for side in ["front", "back"]:
        box = browser.find_element(By.ID, "side-" + side)
        box.find_element(By.CSS_SELECTOR, ".actions button.secondary").click()
        wait(browser, lambda d: d.execute_script(
            "const v = document.querySelector('#side-' + arguments[0] + ' video'); return !v.hidden && v.videoWidth > 0;", side))
        if side == "front":
            shot(browser, "04-camera-live.png")
            # The same button stops the camera, and starts it again.
            box.find_element(By.CSS_SELECTOR, ".actions button.secondary").click()
            wait(browser, lambda d: d.execute_script(
                "const v = document.querySelector('#side-front video'); return v.hidden && !v.srcObject;"))
            box.find_element(By.CSS_SELECTOR, ".actions button.secondary").click()
            wait(browser, lambda d: d.execute_script(
                "const v = document.querySelector('#side-front video'); return !v.hidden && v.videoWidth > 0;"))
        box.find_element(By.CSS_SELECTOR, ".actions button:not(.secondary)").click()
        wait(browser, lambda d: d.execute_script(
            "const i = document.querySelector('#side-' + arguments[0] + ' img.preview');"
            "return !i.hidden && i.complete && i.naturalWidth > 0;", side))
    # Two photos from the camera, as JPEG previews; the camera is off again.
    assert browser.execute_script("return document.querySelectorAll('img.preview:not([hidden])').length") == 2
    assert browser.execute_script("return [...document.querySelectorAll('video')].every(v => v.hidden && !v.srcObject)")

    fill(browser, "name", "山田 花子")
    fill(browser, "birthdate", "1990-04-01")
    fill(browser, "address", "東京都千代田区千代田1-1")
    shot(browser, "05-document-filled.png")

    # A slow uplink, so the upload progress can be seen.
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 20, "downloadThroughput": 10_000_000, "uploadThroughput": 40_000})
    record_idempotency_keys(browser)
    browser.find_element(By.ID, "submit").click()
    wait(browser, lambda d: visible(d, "#progress") or visible(d, "section.state"))
    try:
        wait(browser, lambda d: (d.execute_script("const p = document.getElementById('progress-bar'); return p ? p.value : 100") or 0) > 0, 10)
        shot(browser, "06-upload-progress.png")
    except Exception:
        pass  # the upload finished (and the page reloaded) before a progress event was seen
    keys = browser.execute_script("return window.__keys || []")
    wait(browser, lambda d: visible(d, "section.state"), 60)
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    assert browser.find_element(By.CSS_SELECTOR, "section.state").get_attribute("data-state") == "needs_review"
    assert "数時間〜数日（目視確認）" in browser.page_source
    assert len(keys) == 1 and len(keys[0]) == 32
    check_return_link(browser, server, flow["id"], "needs_review")
    # Nothing personal on the page.
    for secret in ["山田", "1990-04-01", "千代田"]:
        assert secret not in browser.page_source
    shot(browser, "07-needs-review-ja.png")

    status, view = call(server, "GET", f"/v1/verifications/{flow['id']}")
    assert status == 200 and view["status"] == "needs_review" and view["method"] == "document-upload"
    details = audit_details(server, "verification.evidence_submitted", flow["id"])
    assert details["document_type"] == "drivers-license"
    assert details["image.front"].startswith("jpeg ") and details["image.back"].startswith("jpeg ")

    # Opened again, the finished flow shows its state, not the forms.
    browser.get(flow["url"])
    wait(browser, lambda d: visible(d, "section.state"))
    assert not browser.find_elements(By.CSS_SELECTOR, "ol.methods")


def test_refused_camera_falls_back_to_a_file(server, browser, tmp_path):
    flow = create(server, UPLOAD_PROFILE, ["name"])
    browser.get(flow["url"] + "&lang=en")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "button.choose[data-method='document-upload']"))
    # A picture to choose, drawn by the browser itself (a 640×400 JPEG).
    jpeg = browser.execute_script("""
        const c = document.createElement('canvas'); c.width = 640; c.height = 400;
        const g = c.getContext('2d'); g.fillStyle = '#2a6'; g.fillRect(0, 0, 640, 400);
        g.fillStyle = '#fff'; g.fillRect(40, 40, 200, 260);
        return c.toDataURL('image/jpeg', 0.9);""")
    picture = tmp_path / "passport.jpg"
    picture.write_bytes(base64.b64decode(jpeg.split(",", 1)[1]))
    # The person refuses the camera.
    browser.execute_script("""
        navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));""")
    browser.find_element(By.CSS_SELECTOR, "button.choose[data-method='document-upload']").click()
    wait(browser, lambda d: visible(d, "#step"))
    browser.find_element(By.CSS_SELECTOR, "label[for='doc-passport']").click()
    box = wait(browser, lambda d: visible(d, "#side-front"))
    box.find_element(By.CSS_SELECTOR, ".actions button.secondary").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "err-images.front").text or None)
    assert "camera was not allowed" in error
    assert not box.find_element(By.CSS_SELECTOR, ".actions button.secondary").is_displayed()
    assert browser.switch_to.active_element.get_attribute("id") == "file-front"
    shot(browser, "08-camera-refused-en.png")
    browser.find_element(By.ID, "file-front").send_keys(str(picture))
    wait(browser, lambda d: d.execute_script(
        "const i = document.querySelector('#side-front img.preview'); return !i.hidden && i.naturalWidth === 640;"))
    assert browser.find_element(By.ID, "err-images.front").text == ""
    fill(browser, "name", "Jane Roe")
    browser.find_element(By.ID, "submit").click()
    wait(browser, lambda d: visible(d, "section.state"), 30)
    assert browser.find_element(By.CSS_SELECTOR, "section.state").get_attribute("data-state") == "needs_review"
    assert "This usually takes hours to days" in browser.page_source
    details = audit_details(server, "verification.evidence_submitted", flow["id"])
    assert details["document_type"] == "passport" and details["image.front"].startswith("jpeg 640x400")


def test_self_declared_to_approved(server, browser):
    flow = create(server, SELF_PROFILE, ["name", "name_kana", "birthdate", "gender"])
    ranked = [m["id"] for m in flow["allowed_methods"]]
    assert ranked[0] == "self-declared"
    browser.get(flow["url"])
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "ol.methods"))
    assert listed_methods(browser) == ranked
    shot(browser, "09-self-declared-choice-ja.png")
    browser.find_element(By.CSS_SELECTOR, "button.choose[data-method='self-declared']").click()
    wait(browser, lambda d: visible(d, "#attr-name"))
    assert browser.find_element(By.ID, "attr-birthdate").get_attribute("type") == "date"
    assert browser.find_element(By.ID, "attr-gender").tag_name == "select"
    labels = {l.get_attribute("for"): l.text for l in browser.find_elements(By.CSS_SELECTOR, "#evidence label")}
    assert labels["attr-name"].startswith("氏名") and labels["attr-birthdate"].startswith("生年月日")

    record_idempotency_keys(browser)
    fill(browser, "name", "鈴木 一郎")
    fill(browser, "name_kana", "suzuki")  # not kana: the server refuses it, naming the member
    fill(browser, "birthdate", "1985-10-12")
    fill(browser, "gender", "male")
    browser.find_element(By.ID, "submit").click()
    error = wait(browser, lambda d: d.find_element(By.ID, "err-attributes.name_kana").text or None)
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in error), error  # in Japanese
    assert browser.find_element(By.ID, "attr-name_kana").get_attribute("aria-invalid") == "true"
    assert browser.switch_to.active_element.get_attribute("id") == "attr-name_kana"
    shot(browser, "10-self-declared-refused.png")
    # The Idempotency-Key is per submission: sending the same one again (a retry) keeps it,
    # a changed one gets a new key.
    for kana in ["suzuki", "ichiro"]:
        if kana != "suzuki":
            fill(browser, "name_kana", kana)
        browser.find_element(By.ID, "submit").click()
        wait(browser, lambda d: d.find_element(By.ID, "submit").is_enabled()
             and d.find_element(By.ID, "err-attributes.name_kana").text)
    keys = browser.execute_script("return window.__keys")
    assert len(keys) == 3 and keys[0] == keys[1] and keys[2] != keys[0], keys
    fill(browser, "name_kana", "スズキ イチロウ")
    browser.find_element(By.ID, "submit").click()
    wait(browser, lambda d: visible(d, "section.state"), 30)
    assert browser.find_element(By.CSS_SELECTOR, "section.state").get_attribute("data-state") == "approved"
    shot(browser, "11-approved-ja.png")

    status, view = call(server, "GET", f"/v1/verifications/{flow['id']}")
    assert status == 200 and view["status"] == "approved" and view["ial_reached"] == 1
    assert view["attributes"]["name_kana"] == "スズキ イチロウ"

    link = check_return_link(browser, server, flow["id"], "approved")
    link.click()
    wait(browser, lambda d: "/healthz" in d.current_url)
    landed = urllib.parse.urlsplit(browser.current_url)
    assert urllib.parse.parse_qs(landed.query) == {"verification_id": [flow["id"]], "status": ["approved"]}

    # A link without its token: a friendly page, no trace of the flow.
    browser.get(flow["url"].split("?")[0] + "?t=hvt_wrong")
    heading = wait(browser, lambda d: visible(d, "section.state h2"))
    assert heading.text == "このリンクは使えません"
    assert not browser.find_elements(By.CSS_SELECTOR, "script")
    shot(browser, "12-bad-link-ja.png")

    # The server's log names routes, never tokens or what the person typed.
    log = server["log"].read_text()
    assert "/verify/{id}" in log
    for secret in ["hvt_", "鈴木", "スズキ", "山田", "1990-04-01", "Jane Roe"]:
        assert secret not in log

