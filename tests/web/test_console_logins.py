"""Issue #11 item 6: console logins can't be guessed, unknown usernames can't be told from real
ones by timing, a deactivated agent's sessions end, and agents see only their own cases."""

from __future__ import annotations

import time
import uuid

from bot.agents import logins
from bot.ledger.db import session_scope
from tests import factories
from tests.web.conftest import PASSWORD, login


def is_logged_in(response) -> bool:
    return response.status_code == 303 and response.headers["location"] == "/console"


def test_a_login_flood_is_throttled_and_the_lock_lifts_by_itself(make_console):
    console = make_console(CONSOLE_LOGIN_WINDOW_S="2")
    console.agent("alice")
    attacker = console.browser()
    for _ in range(5):
        assert login(attacker, "alice", "wrong password").headers["location"].endswith("error=1")
    locked = login(attacker, "alice", "wrong password")
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.text and int(locked.headers["Retry-After"]) <= 2
    # While locked not even the right password is checked.
    assert login(attacker, "alice").status_code == 429
    time.sleep(2.2)
    assert is_logged_in(login(attacker, "alice"))


def test_a_flood_over_many_usernames_from_one_address_is_throttled(console):
    attacker = console.browser()
    for n in range(20):
        assert login(attacker, f"guess{n}", "password1").status_code == 303
    assert login(attacker, "guess20", "password1").status_code == 429


def test_a_successful_login_clears_the_username_counter(console):
    console.agent("alice")
    browser = console.browser()
    for _ in range(4):
        login(browser, "alice", "wrong password")
    assert is_logged_in(login(browser, "alice"))
    for _ in range(4):
        assert login(browser, "alice", "wrong password").status_code == 303  # not 429


def test_an_attacker_cannot_lock_an_agent_out_of_their_own_browser(console):
    console.agent("alice")
    own = console.browser()
    assert is_logged_in(login(own, "alice"))  # leaves the device cookie
    attacker = console.browser()
    for _ in range(6):
        login(attacker, "alice", "wrong password")
    assert login(attacker, "alice").status_code == 429  # unknown browsers are locked out
    assert is_logged_in(login(own, "alice"))  # the agent's own browser is not
    # A forged device cookie is just an unknown browser.
    attacker.cookies.set("rb_device", own.cookies.get("rb_device") + "x", path="/console/login")
    assert login(attacker, "alice").status_code == 429


def test_an_unknown_username_still_checks_a_password_hash(console, monkeypatch):
    console.agent("alice")
    checked = []
    real = logins.password_matches

    def spy(stored_hash, password):
        checked.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(logins, "password_matches", spy)
    assert logins.authenticate("nobody", "some password", url=console.url) is None
    assert checked == [logins._dummy_hash()] and checked[0].startswith("$argon2")
    logins.deactivate("alice", url=console.url)
    assert logins.authenticate("alice", PASSWORD, url=console.url) is None  # inactive: same path
    assert checked[-1] == logins._dummy_hash() and len(checked) == 2


def test_a_deactivated_agents_session_is_refused_on_the_next_request(console):
    alice_name = console.agent(f"alice-{uuid.uuid4().hex[:8]}")  # Redis outlives each test
    console.agent("sue", role="supervisor")
    alice, sue = console.browser(), console.browser()
    assert is_logged_in(login(alice, alice_name)) and is_logged_in(login(sue, "sue"))
    assert alice.get("/console/api/queue").status_code == 200
    # An agent may not deactivate anyone.
    headers = {"X-CSRF-Token": console.csrf(alice)}
    assert alice.post("/console/api/agents/sue/deactivate", headers=headers).status_code == 403
    response = sue.post(
        f"/console/api/agents/{alice_name}/deactivate", headers={"X-CSRF-Token": console.csrf(sue)}
    )
    assert response.json() == {"deactivated": alice_name, "sessions_ended": 1}
    assert alice.get("/console/api/queue").status_code == 401
    assert alice.get("/console", follow_redirects=False).headers["location"] == "/console/login"
    assert not is_logged_in(login(alice, alice_name))


def test_a_session_is_refused_even_if_only_the_ledger_knows_of_the_deactivation(console):
    console.agent("bob")
    bob = console.browser()
    assert is_logged_in(login(bob, "bob"))
    logins.deactivate("bob", url=console.url)  # Redis never told
    assert bob.get("/console/api/queue").status_code == 401


def test_agent_b_cannot_open_agent_a_claimed_case(console):
    for name in ("alice", "bob"):
        console.agent(name)
    console.agent("sue", role="supervisor")
    alice, bob, sue = console.browser(), console.browser(), console.browser()
    for browser, name in ((alice, "alice"), (bob, "bob"), (sue, "sue")):
        assert is_logged_in(login(browser, name))
    queue = console.app.state.queue
    with session_scope(console.url) as session:
        session.add(factories.account("A1"))
    with session_scope(console.url) as session:
        mine = queue.enqueue(
            session,
            account_id="A1",
            conversation_id=None,
            reason="dispute",
            priority=2,
            summary="disputes the fee",
        )
    assert bob.get(f"/console/escalations/{mine}").status_code == 200  # waiting: anyone may
    claimed = alice.post(
        f"/console/api/escalations/{mine}/claim", headers={"X-CSRF-Token": console.csrf(alice)}
    )
    assert claimed.json()["claimed"] is True
    assert bob.get(f"/console/escalations/{mine}").status_code == 403
    assert mine not in [e["id"] for e in bob.get("/console/api/queue").json()["escalations"]]
    assert mine in [e["id"] for e in alice.get("/console/api/queue").json()["escalations"]]
    assert alice.get(f"/console/escalations/{mine}").status_code == 200
    assert sue.get(f"/console/escalations/{mine}").status_code == 200  # supervisors see all
    assert mine in [e["id"] for e in sue.get("/console/api/queue").json()["escalations"]]


def test_supervisor_pages_are_checked_by_role(console):
    console.agent("alice")
    console.agent("sue", role="supervisor")
    alice, sue = console.browser(), console.browser()
    login(alice, "alice")
    login(sue, "sue")
    assert alice.get("/console/supervisor").status_code == 403
    assert sue.get("/console/supervisor").status_code == 200


def test_the_cli_deactivates_an_agent_and_ends_their_sessions(console):
    from typer.testing import CliRunner

    from bot.cli.agents import agents_app

    name = console.agent(f"carl-{uuid.uuid4().hex[:8]}")
    carl = console.browser()
    assert is_logged_in(login(carl, name))
    result = CliRunner().invoke(agents_app, ["deactivate", name])
    assert result.exit_code == 0 and "1 open session(s) ended" in result.output
    assert carl.get("/console/api/queue").status_code == 401
    assert CliRunner().invoke(agents_app, ["deactivate", name]).exit_code == 1
