"""The conversation service against a real ledger (SQLite) and Redis: the state it acts on is its
own (never the caller's), failed verifications are counted per account across conversations and
lock self-service verification, and no verification answer reaches the ledger (issue #11)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid

import pytest

from bot.conversation import engine, service
from bot.ledger.db import migrate, session_scope
from bot.ledger.models import Escalation, VerificationLock
from bot.ledger.portfolio import import_accounts
from bot.ledger.repo import dialogue
from bot.settings import ROOT, get_settings

DEMO = ROOT / "bot" / "demo" / "portfolio.csv"
WRONG = "9137"


@pytest.fixture
def ledger(tmp_path, monkeypatch, embedded_redis_url):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    monkeypatch.setenv("REMINDERBOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REDIS_URL", embedded_redis_url)
    get_settings.cache_clear()
    migrate(url)
    import_accounts(DEMO, url)
    yield url
    get_settings.cache_clear()


def account_row(account_id: str) -> dict:
    import csv

    with DEMO.open() as handle:
        return next(r for r in csv.DictReader(handle) if r["account_id"] == account_id)


class Talk:
    def __init__(self, account_id: str, channel: str = "chat"):
        self.id = uuid.uuid4().hex
        self.said = list(
            service.open_conversation(
                conversation_id=self.id, account_id=account_id, channel=channel
            ).messages
        )
        self.ended = False

    def turn(self, action: str, text: str, intent: str | None = None) -> str:
        outcome = service.take_turn(
            action=action, turn=engine.Turn(text, intent, {}), conversation_id=self.id
        )
        self.ended = outcome.ended
        self.said += outcome.messages
        return " ".join(outcome.messages)

    def its_me(self) -> str:
        return self.turn("action_confirm", "yes it's me", "affirm")

    def answer(self, code: str) -> str:
        return self.turn("action_verify", code, "inform")


def test_the_state_is_the_services_own_not_the_callers(ledger):
    """Whatever a caller claims, the service acts on the ledger's state for that conversation."""
    talk = Talk("CC-1001")
    assert "balance" not in talk.turn("action_answer_question", "how much do I owe").lower()
    with pytest.raises(service.NotStarted):
        service.take_turn(
            action="action_answer_question",
            turn=engine.Turn("how much do I owe"),
            conversation_id="forged-conversation",
        )
    # The opening of an existing conversation cannot be replayed for another account.
    with pytest.raises(service.AlreadyOpened):
        service.open_conversation(conversation_id=talk.id, account_id="CC-1002", channel="chat")
    with session_scope(ledger) as session:
        assert dialogue.state(session, talk.id)["phase"] == "identity"


def test_three_times_three_wrong_codes_lock_verification_until_an_agent_lifts_it(ledger):
    right = account_row("CC-1001")["verification_last4"]
    for _ in range(3):
        talk = Talk("CC-1001")
        talk.its_me()
        for _ in range(3):
            if talk.ended:
                break
            talk.answer(WRONG)
        assert talk.ended
    fourth = Talk("CC-1001")  # the right code, in the same message as "it's me"
    reply = fourth.turn("action_confirm", f"yes it's me, {right}", "affirm")
    assert "call you back" in reply and "balance" not in reply.lower()
    assert fourth.ended
    with session_scope(ledger) as session:
        locks = session.query(VerificationLock).filter_by(account_id="CC-1001").all()
        assert len(locks) == 1 and locks[0].lifted_at is None
        reasons = [e.reason for e in session.query(Escalation).filter_by(account_id="CC-1001")]
        assert "verification_failed" in reasons
    audit = sqlite3.connect(ledger.split("///", 1)[1]).execute(
        "SELECT data FROM audit_log WHERE kind = 'verification'"
    )
    assert any(json.loads(d).get("result") == "locked" for (d,) in audit)

    from bot.conversation.lockout import unlock

    with session_scope(ledger) as session:
        assert unlock(session, "CC-1001", by="alice") == 1
    fifth = Talk("CC-1001")
    fifth.its_me()
    assert "overdue balance" in fifth.answer(right)


def test_a_customer_who_mistyped_once_still_verifies_and_is_not_counted_later(ledger):
    right = account_row("CC-1002")["verification_last4"]
    for _ in range(4):  # four conversations, each with one typo: never locked
        talk = Talk("CC-1002")
        talk.its_me()
        assert "more tries" in talk.answer(WRONG)
        assert "overdue balance" in talk.answer(right)
    with session_scope(ledger) as session:
        assert session.query(VerificationLock).filter_by(account_id="CC-1002").count() == 0


def test_the_lock_counts_across_channels(ledger):
    for channel in ("sms", "voice"):
        talk = Talk("CC-1003", channel)
        talk.its_me()
        talk.answer(WRONG)
        talk.answer(WRONG)
    talk = Talk("CC-1003", "chat")
    talk.its_me()
    assert "call you back" in talk.answer(WRONG)  # the 5th failure, whatever the channel
    assert talk.ended


def test_no_wrong_code_is_kept_anywhere_in_the_ledger(ledger):
    talk = Talk("CC-1004")
    talk.its_me()
    for _ in range(3):
        talk.answer(f"my code is {WRONG}")
    assert talk.ended
    dump = "\n".join(sqlite3.connect(ledger.split("///", 1)[1]).iterdump())
    assert not re.search(rf"(?<![0-9A-Za-z]){WRONG}(?![0-9A-Za-z])", dump)
    with session_scope(ledger) as session:
        [escalation] = session.query(Escalation).filter_by(conversation_id=talk.id).all()
        assert escalation.reason == "verification_failed" and WRONG not in escalation.summary
