"""A customer chats to a promise in the web chat; an escalation raised in chat appears live in
two agents' consoles; both click claim and exactly one wins; the winner resolves with a note."""

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from bot.agents.logins import add_agent
from bot.web.security import chat_link

PASSWORD = "correct horse battery"  # noqa: S105


def send(page, text: str, expect: str) -> None:
    page.fill("#text", text)
    page.press("#text", "Enter")
    page.wait_for_function(
        "([want]) => [...document.querySelectorAll('#log li.bot')]"
        ".some(li => li.textContent.includes(want))",
        arg=[expect],
        timeout=30_000,
    )


def bot_lines(page) -> list[str]:
    return page.locator("#log li.bot").all_inner_texts()


@pytest.fixture(scope="module")
def agents(running):
    for name in ("alice", "bob"):
        add_agent(name, PASSWORD, display_name=name.title(), url=running.sql_url)
    add_agent("sue", PASSWORD, display_name="Sue", role="supervisor", url=running.sql_url)
    return ("alice", "bob")


def login(browser, running, username: str):
    context = browser.new_context()
    page = context.new_page()
    page.goto(running.settings.gateway_url + "/console")
    assert "/console/login" in page.url
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console")
    return context, page


def test_customer_chats_to_a_promise(browser, running):
    page = browser.new_page()
    page.goto(chat_link(running.settings, "CC-1005"))
    page.wait_for_selector("#log li.bot")
    assert "Alicia Gomez" in bot_lines(page)[0]
    assert page.get_attribute("#text", "aria-describedby") == "status"
    assert page.locator("label[for=text]").count() == 1
    send(page, "yes it's me", "last 4 digits")
    send(page, "6615", "attempt to collect a debt")
    send(page, "i can pay 100 tomorrow", "Just to confirm")
    send(page, "yes", "Receipt")
    promises = running.api.get("/api/accounts/CC-1005").json()["promises"]
    assert [p["amount"] for p in promises if p["channel"] == "chat"] == ["100.00"]
    page.close()


def test_chat_resumes_after_a_reload_without_losing_the_conversation(browser, running):
    page = browser.new_page()
    page.goto(chat_link(running.settings, "PL-2005"))
    page.wait_for_selector("#log li.bot")
    send(page, "yes", "last 4 digits")
    page.reload()
    page.wait_for_function("document.querySelectorAll('#log li').length >= 3")
    assert any("last 4 digits" in line for line in bot_lines(page))
    send(page, "6642", "attempt to collect a debt")
    page.close()


def test_tampered_or_expired_links_show_no_account_data(browser, running):
    page = browser.new_page()
    link = chat_link(running.settings, "CC-1001")
    response = page.goto(link[:-3] + "AAA")
    assert response.status == 404
    assert "not valid" in page.content() and "Jane" not in page.content()
    page.close()


def test_escalation_appears_live_and_exactly_one_agent_wins(browser, running, agents):
    contexts = [login(browser, running, name) for name in agents]
    customer = browser.new_page()
    customer.goto(chat_link(running.settings, "CN-4006"))
    customer.wait_for_selector("#log li.bot")
    send(customer, "i want to talk to a real person", "member of our team")
    escalation = next(
        e
        for e in running.api.get("/api/accounts/CN-4006").json()["escalations"]
        if e["reason"] == "customer_request" and e["status"] == "open"
    )
    row = f"tr[data-id='{escalation['id']}']"
    started = time.monotonic()
    for _, page in contexts:
        page.wait_for_selector(row, timeout=10_000)  # pushed live: no reload
    assert time.monotonic() - started < 10

    # Both agents click before either answer comes back: each page clicks at the same moment
    # of the shared clock, half a second ahead (Playwright's sync API drives one page at a
    # time; clicked one after the other, the first claim's live update could remove the
    # second page's button before its click).
    at_ms = int(time.time() * 1000) + 500
    for _, page in contexts:
        page.evaluate(
            f'const button = document.querySelector("{row} button.claim");'
            f"setTimeout(() => button.click(), {at_ms} - Date.now());"
        )
    winners, losers = [], []
    for index, (_, page) in enumerate(contexts):
        try:
            page.wait_for_url("**/console/escalations/**", timeout=5_000)
            winners.append(index)
        except PlaywrightTimeout:
            page.wait_for_function("document.getElementById('notice').textContent.length > 0")
            losers.append(index)
    assert len(winners) == 1 and len(losers) == 1
    winner_name = agents[winners[0]]
    loser_page = contexts[1 - winners[0]][1]
    assert "Someone else claimed" in loser_page.text_content("#notice")

    page = contexts[winners[0]][1]
    assert "I want to talk to a real person".lower() in page.content().lower()
    page.select_option("#disposition", "called_back")
    page.fill("#note", "Called her back, she will pay on Friday.")
    page.click("#resolve")
    page.wait_for_url("**/console")
    record = running.api.get("/api/accounts/CN-4006").json()
    [row_json] = [e for e in record["escalations"] if e["id"] == escalation["id"]]
    assert row_json["status"] == "resolved" and row_json["claimed_by"] == winner_name
    assert row_json["note"] == "Called her back, she will pay on Friday."
    for context, _ in contexts:
        context.close()
    customer.close()


def test_console_needs_login_and_csrf(browser, running, agents):
    import httpx

    base = running.settings.gateway_url
    assert httpx.get(base + "/console/api/queue").status_code == 401
    context, page = login(browser, running, "alice")
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    no_csrf = httpx.post(base + "/console/api/escalations/x/claim", cookies=cookies)
    assert no_csrf.status_code == 403
    assert httpx.get(base + "/console/supervisor", cookies=cookies).status_code == 403
    context.close()


def test_supervisor_sees_counts_and_load(browser, running, agents):
    context, page = login(browser, running, "sue")
    page.goto(running.settings.gateway_url + "/console/supervisor")
    text = page.text_content("main")
    assert "customer request" in text and "Alice (alice)" in text
    assert page.locator("#attempts-chart").count() == 1 and "Last 14 days" in text
    context.close()
