"""The reviewer console in a real browser (Chromium through chromedriver) against `honnin serve`:
sign in as the reviewer's account with a password and an authenticator-app code (the console needs
AAL2), see the queue, open a case with its images beside the typed attributes, get refused
for an incomplete checklist, approve, and find the flow approved through the API.

Skips when Selenium, Chromium or chromedriver is missing. Needs HONNIN_BINARY or .build/debug/honnin.
Screenshots go to $HONNIN_SCREENSHOTS when set.
"""

import base64
import io
import os
import urllib.parse

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.webdriver.common.by import By  # noqa: E402

from honnin_server import honnin, start, stop  # noqa: E402
from test_hosted_pages import CHROMEDRIVER, CHROMIUM, UPLOAD_PROFILE, call, shot, wait  # noqa: E402

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(CHROMEDRIVER is None, reason="chromedriver is not installed (apt-get install chromium-driver)"),
]
PASSWORD = "a long enough console passphrase"


@pytest.fixture(scope="module")
def console_server():
    def reviewer(data):
        honnin("reviewer", "create", "--data-dir", data, "--username", "hanako", "--display-name", "審査 花子", input=PASSWORD + "\n")
    s = start("honnin-console-", before=reviewer)
    s["totp"] = enrol_totp(s["base"])
    yield s
    stop(s)


def enrol_totp(base):
    """The reviewer adds an authenticator app to the account (as on /account), through the API."""
    import json
    import time
    import urllib.request
    pyotp = pytest.importorskip("pyotp", reason="pyotp is not installed (pip install pyotp)")

    def post(path, body=None, token=None):
        headers = {"Content-Type": "application/json", "Honnin-Session-Transport": "bearer"}
        if token:
            headers["Authorization"] = "Bearer " + token
        req = urllib.request.Request(base + path, data=json.dumps(body or {}).encode(), headers=headers, method="POST")
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read() or b"{}")
    token = post("/auth/password/login", {"username": "hanako", "password": PASSWORD})["session_token"]
    totp = pyotp.parse_uri(post("/auth/totp/enroll", token=token)["otpauth_uri"])
    assert post("/auth/totp/verify", {"code": totp.now()}, token=token)["aal"] == 2
    # The browser's code is the next step's: the current one was just used.
    totp.next_code = lambda: totp.at(time.time() + 30)
    return totp


@pytest.fixture(scope="module")
def desktop():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ["--headless=new", "--lang=ja", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900"]:
        options.add_argument(arg)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def document_photo(text_rows):
    """A card-like picture (Pillow), landscape, as a phone would take it."""
    from PIL import Image, ImageDraw
    image = Image.new("RGB", (1200, 760), (236, 240, 232))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 1160, 720), outline=(30, 60, 120), width=8)
    draw.rectangle((860, 160, 1100, 460), fill=(180, 190, 205))
    for i, row in enumerate(text_rows):
        draw.rectangle((90, 150 + i * 90, 90 + 60 * len(row), 190 + i * 90), fill=(60, 60, 70))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return base64.b64encode(out.getvalue()).decode()


def submit_upload(s):
    status, created = call(s, "POST", "/v1/verifications", {"profile": UPLOAD_PROFILE, "requested_attributes": ["name", "birthdate", "address"],
                                                            "reference": "order-1001"})
    assert status == 201
    token = urllib.parse.parse_qs(urllib.parse.urlparse(created["url"]).query)["t"][0]
    original = s["token"]
    s["token"] = token
    try:
        status, started = call(s, "POST", f"/v1/verifications/{created['id']}/methods/document-upload/start")
        assert status == 200
        status, done = call(s, "POST", f"/v1/verifications/{created['id']}/methods/document-upload/submit", {
            "attempt": started["attempt"], "document_type": "drivers-license",
            "images": {"front": document_photo(["xxxxxx", "xxxxxxxxxx", "xxxx"]), "back": document_photo(["xxxxxxxxxxxx"])},
            "attributes": {"name": "山田 花子", "birthdate": "1990-04-01", "address": "東京都千代田区千代田1-1"}})
        assert status == 200 and done["status"] == "needs_review"
    finally:
        s["token"] = original
    return created["id"]


def test_reviewer_signs_in_and_approves_a_case(console_server, desktop):
    s, d = console_server, desktop
    flow = submit_upload(s)
    d.get(s["base"] + "/console")
    wait(d, lambda d: "/account/login" in d.current_url and "console" in d.current_url)
    shot(d, "20-console-login-ja.png")
    d.find_element(By.ID, "use-password").click()
    d.find_element(By.ID, "login-username").send_keys("hanako")
    d.find_element(By.ID, "login-password").send_keys(PASSWORD)
    d.find_element(By.ID, "password-login").click()
    # The password alone is AAL1: the page asks for the authenticator-app code, then opens the console.
    wait(d, lambda d: d.find_element(By.ID, "second-factor").is_displayed())
    d.find_element(By.ID, "factor-code").send_keys(s["totp"].next_code())
    d.find_element(By.ID, "factor-submit").click()
    wait(d, lambda d: d.current_url.rstrip("/").split("?")[0].endswith("/console"))
    assert flow in d.page_source and "運転免許証" in d.page_source and "order-1001" in d.page_source
    shot(d, "21-console-queue-ja.png")

    d.find_element(By.LINK_TEXT, flow).click()
    wait(d, lambda d: f"/console/cases/{flow}" in d.current_url)
    images = d.find_elements(By.CSS_SELECTOR, "figure img")
    assert len(images) == 2
    # The browser actually decoded both images (they are served only to this session).
    assert all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth", img) == 1200 for img in images)
    assert "山田 花子" in d.page_source and "1990-04-01" in d.page_source
    shot(d, "22-console-case-ja.png")

    # An incomplete checklist is refused with the reason on the page.
    boxes = d.find_elements(By.NAME, "checklist")
    assert len(boxes) == 6
    for box in boxes[:-1]:
        box.click()
    d.find_element(By.NAME, "document_number").send_keys("012345678900")
    d.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    wait(d, lambda d: "確認項目をすべて確認してください" in d.page_source)
    shot(d, "23-console-refused-ja.png")
    # What was ticked and typed is kept: tick the last item only.
    boxes = d.find_elements(By.NAME, "checklist")
    assert [b.is_selected() for b in boxes] == [True] * 5 + [False]
    assert d.find_element(By.NAME, "document_number").get_attribute("value") == "012345678900"
    boxes[-1].click()
    d.find_element(By.CSS_SELECTOR, "button[value=approve]").click()
    wait(d, lambda d: "審査待ちの案件はありません" in d.page_source)

    status, got = call(s, "GET", f"/v1/verifications/{flow}")
    assert got["status"] == "approved" and got["ial_reached"] == 2
    assert got["attributes"] == {"name": "山田 花子", "birthdate": "1990-04-01", "address": "東京都千代田区千代田1-1"}
    status, record = call(s, "GET", f"/v1/records/{got['record_id']}")
    assert record["record"]["document"] == {"type": "drivers-license", "number": "012345678900"}
    # English, and signing out ends the session.
    d.get(s["base"] + "/console?lang=en")
    assert "Cases waiting for review" in d.page_source
    d.find_element(By.CSS_SELECTOR, "header button").click()
    wait(d, lambda d: "/account/login" in d.current_url)
    d.get(s["base"] + "/console")
    wait(d, lambda d: "/account/login" in d.current_url)
    assert "山田" not in s["log"].read_text() and PASSWORD not in s["log"].read_text()
