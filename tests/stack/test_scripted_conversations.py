"""The conversation-level suite (issue #14): every scripted conversation of
tests/conversation/scripts.py (paths x customer styles x variants) played through the real
stack, each on a fresh account, then checked against the ledger: the records it must leave, and
no question asked more than twice. The conversations run a few at a time to keep this short."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conversation.scripts import Script, scripts
from tests.stack.conftest import Conversation, add_account

SCRIPTS = scripts()
AT_ONCE = 4


def play(running, script: Script, account: dict) -> dict:
    chat = Conversation(running.api, account["account_id"])
    for message in script.messages:
        if chat.ended:
            break
        chat.say(message)
    record = running.api.get(f"/api/accounts/{account['account_id']}").json()
    return {"bot": chat.bot, "record": record, "id": chat.id, "zone": account["timezone"]}


@pytest.fixture(scope="module")
def played(running, tmp_path_factory):
    folder = tmp_path_factory.mktemp("scripted")
    accounts = [add_account(running, folder) for _ in SCRIPTS]  # one at a time: one writer
    with ThreadPoolExecutor(AT_ONCE) as pool:
        futures = {
            s.id: pool.submit(play, running, s, a) for s, a in zip(SCRIPTS, accounts, strict=True)
        }
    return {sid: f for sid, f in futures.items()}


def test_there_are_at_least_150_scripts():
    assert len(SCRIPTS) >= 150 and len({s.id for s in SCRIPTS}) == len(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.id for s in SCRIPTS])
def test_scripted_conversation(played, script):
    result = played[script.id].result()
    bot, expect = result["bot"], script.expect
    # This conversation's rows only (the account is fresh, but ids are random).
    record = {
        k: [r for r in v if r.get("conversation_id") == result["id"]] if isinstance(v, list) else v
        for k, v in result["record"].items()
    }
    transcript = "\n".join(bot)
    questions = Counter(m for m in bot if m.rstrip().endswith("?"))
    assert max(questions.values(), default=0) <= 2, transcript
    [contact] = [c for c in record["contacts"] if c["conversation_id"] == result["id"]]
    wanted = expect.disposition if isinstance(expect.disposition, set) else {expect.disposition}
    assert contact["disposition"] in wanted, transcript
    today = datetime.now(ZoneInfo(result["zone"])).date()
    if expect.promise:
        parts = [p for p in (expect.promise, expect.rest) if p]
        promises = sorted(record["promises"], key=lambda p: p["due_date"])
        assert len(promises) == len(parts), transcript
        for promise, part in zip(promises, parts, strict=True):
            assert promise["amount"] == part["amount"], transcript
            due = datetime.fromisoformat(promise["due_date"]).date()
            if "weekday" in part:
                assert due.weekday() == part["weekday"] and today < due, transcript
                assert due <= today + timedelta(days=7), transcript
            else:
                assert due == today + timedelta(days=part["days"]), transcript
    else:
        assert record["promises"] == [], transcript
    if expect.instalment_months:
        [plan] = record["instalment_requests"]
        assert plan["months"] == expect.instalment_months, transcript
    for kind in expect.records:
        assert len(record[kind]) == 1, transcript
    reasons = {e["reason"] for e in record["escalations"]}
    if expect.escalations:
        assert reasons & expect.escalations, transcript
