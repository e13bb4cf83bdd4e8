"""The web chat in Mandarin (issue #13), in the real Chromium against the running stack: a zh
customer's page is Chinese (lang, title, labels, placeholder, button, screen-reader text), so is
the expired-link page; Chinese is drawn with real glyphs (a CJK font, no mojibake); the agent
console shows the customer's language and their Chinese transcript."""

from __future__ import annotations

import time
import uuid

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from bot.agents.logins import add_agent
from bot.channels.webchat import page_strings
from bot.conversation.messages import text
from bot.web.security import chat_link, secret_key
from tests.stack.conftest import add_account, daytime_zone

PASSWORD = "correct horse battery"  # noqa: S105
# Two Chinese characters are drawn differently, and differently from a code point no font has:
# with no CJK font, Chromium draws the same empty box for all three.
GLYPHS_DRAWN = """() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 48;
  const g = canvas.getContext("2d");
  const draw = (ch) => {
    g.clearRect(0, 0, 48, 48);
    g.font = "40px " + getComputedStyle(document.body).fontFamily;
    g.fillText(ch, 2, 40);
    return Array.from(g.getImageData(0, 0, 48, 48).data).join(",");
  };
  const pu = draw("浦"), fa = draw("发"), none = draw("\\u{10FFFD}");
  return pu !== fa && pu !== none && fa !== none;
}"""


@pytest.fixture(scope="module")
def zh_account(running, tmp_path_factory):
    return add_account(
        running,
        tmp_path_factory.mktemp("zh"),
        customer_name="Wang Fang",
        phone=f"+86138{uuid.uuid4().int % 10**8:08d}",
        timezone=daytime_zone(),
        language="zh",
        currency="CNY",
        jurisdiction="CN",
    )


def zh_strings(running) -> dict[str, str]:
    return page_strings(running.settings, "zh")


def test_a_zh_customers_chat_page_is_in_chinese(browser, running, zh_account):
    words = zh_strings(running)
    page = browser.new_page()
    response = page.goto(chat_link(running.settings, zh_account["account_id"]))
    assert "charset=utf-8" in response.headers["content-type"].lower()
    page.wait_for_selector("#log li.bot")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.evaluate("document.characterSet") == "UTF-8"
    assert page.title() == words["title"] and "浦发银行" in page.title()
    assert page.inner_text("h1") == words["heading"]
    assert page.inner_text("label[for=text]") == words["input_label"]
    assert page.get_attribute("#text", "placeholder") == words["placeholder"]
    assert page.inner_text("#send") == words["send"]
    assert page.get_attribute("#log", "aria-label") == words["log_label"]
    page.wait_for_function(
        "(want) => document.getElementById('status').textContent === want", arg=words["connected"]
    )
    # Screen readers hear who speaks, in Chinese, and read the message as Chinese.
    first = page.locator("#log li.bot").first
    label, said = first.get_attribute("aria-label"), first.inner_text()
    assert label == words["from_bot"] + said
    # The opening is the catalog's Mandarin (bot/conversation/messages/zh.yml).
    opening = text("opening.text", "zh", bank="浦发银行", name="Wang Fang")
    assert opening in said and first.get_attribute("lang") == "zh-CN"
    # The customer's Chinese comes back as typed: no mojibake on the way through the socket.
    page.fill("#text", "是我，王芳")
    page.press("#text", "Enter")
    mine = page.locator("#log li.me").first
    mine.wait_for()
    assert (
        mine.inner_text() == "是我，王芳" and mine.get_attribute("aria-label") == "我：是我，王芳"
    )
    assert page.evaluate(GLYPHS_DRAWN), "Chinese is drawn as boxes: install fonts-wqy-microhei"
    page.close()


def test_an_english_customers_page_stays_english(browser, running):
    page = browser.new_page()
    page.goto(chat_link(running.settings, "CC-1001"))
    page.wait_for_selector("#log li.bot")
    assert page.get_attribute("html", "lang") == "en"
    assert page.inner_text("#send") == "Send"
    assert page.get_attribute("#text", "placeholder") == "Type your message"
    page.close()


def expired_link(running, account_id: str) -> str:
    """A link the bank signed for the account a day longer ago than links live."""
    settings = running.settings
    age = settings.chat_link_ttl_minutes * 60 + 86_400

    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    serializer = URLSafeTimedSerializer(
        secret_key(settings.var_dir, settings.secret_key), salt="chat-link", signer=SignedLongAgo
    )
    token = serializer.dumps({"account_id": account_id})
    return f"{settings.effective_public_base_url}/chat/{token}"


def test_the_expired_link_page_is_in_the_customers_language(browser, running, zh_account):
    words = zh_strings(running)
    page = browser.new_page()  # an English browser: the account decides, not the browser
    response = page.goto(expired_link(running, zh_account["account_id"]))
    assert response.status == 410
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text("h1") == words["expired"] == text("chat.link_expired", "zh")
    assert words["new_link"] in page.inner_text("main")
    assert "Wang" not in page.content()
    page.close()


def test_a_tampered_link_in_a_chinese_browser_gets_the_chinese_page(browser, running):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    link = chat_link(running.settings, "CC-1001")
    response = page.goto(link[:-3] + "AAA")
    assert response.status == 404
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text("h1") == text("chat.link_invalid", "zh")
    context.close()


def test_the_console_shows_the_customers_language_and_chinese_transcript(
    browser, running, zh_account
):
    customer = browser.new_page()
    customer.goto(chat_link(running.settings, zh_account["account_id"]))
    customer.wait_for_selector("#log li.bot")
    # A written cease request in Chinese (bot/compliance/revocation.py, before Rasa): the
    # account is paused and a person gets the case.
    customer.fill("#text", "别再联系我了")
    customer.press("#text", "Enter")
    goodbye = text("opt_out.all", "zh")
    customer.wait_for_function(
        "(want) => [...document.querySelectorAll('#log li.bot')]"
        ".some(li => li.textContent === want)",
        arg=goodbye,
    )
    case = next(
        e
        for e in running.api.get(f"/api/accounts/{zh_account['account_id']}").json()["escalations"]
        if e["reason"] == "cease_request" and e["status"] == "open"
    )
    customer.close()

    username = f"zhao{uuid.uuid4().hex[:6]}"
    add_agent(username, PASSWORD, display_name="Zhao", url=running.sql_url)
    context = browser.new_context()
    page = context.new_page()
    page.goto(running.settings.gateway_url + "/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console")
    row = page.locator(f"tr[data-id='{case['id']}']")
    row.wait_for(timeout=10_000)
    assert "Mandarin (中文)" in row.inner_text()
    row.locator("button.claim").click()
    page.wait_for_url("**/console/escalations/**")
    assert page.get_attribute("#language", "data-language") == "zh"
    assert page.inner_text("#language") == "Mandarin (中文)"
    transcript = page.locator("ol.transcript")
    assert transcript.get_attribute("lang") == "zh-CN"
    lines = transcript.locator("li").all_inner_texts()
    assert any(line.endswith("别再联系我了") for line in lines)
    assert any(line.endswith(goodbye) for line in lines)
    assert page.evaluate(GLYPHS_DRAWN)
    context.close()
