"""A real ledger (SQLite) and a real Redis behind the channels, Rasa replaced by a stand-in that
records what it was sent (or is down), for the opt-out tests of issue #12."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis

from bot.agents.escalations import EscalationQueue
from bot.channels.sms import Bank, SmsChannel
from bot.channels.turns import Conversations
from bot.infra.rasa_client import RasaUnavailable
from bot.ledger import models as m
from bot.ledger.db import migrate, session_scope
from bot.ledger.repo import conversations
from bot.settings import get_settings
from tests import factories

PHONE = "+12125550101"


class StandInRasa:
    """Answers every message with `texts`, or raises as a stopped Rasa does (`down`)."""

    def __init__(self, texts=("All right.",), down: bool = False):
        self.texts, self.down, self.sent = list(texts), down, []

    async def send(self, conversation_id, message):
        self.sent.append(message)
        if self.down:
            raise RasaUnavailable("stopped")
        return SimpleNamespace(meta={"ended": False}, texts=list(self.texts))


@pytest.fixture
def ledger(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    migrate(sqlite_url)
    with session_scope() as s:
        s.add(factories.account("A1", phone=PHONE))
        s.add(factories.account("A2", phone=PHONE, customer_name="Sam Doe"))  # same number
        s.add(factories.account("B1", phone="+12125550199"))  # another number
    yield sqlite_url
    get_settings.cache_clear()


@pytest.fixture
def queue(embedded_redis_url):
    return EscalationQueue(redis.Redis.from_url(embedded_redis_url))


@pytest.fixture
def rasa():
    return StandInRasa()


@pytest.fixture
def turns(ledger, queue, rasa):
    return Conversations(rasa, queue)


@pytest.fixture
def sms(turns):
    return SmsChannel(turns, Bank("SPD Bank", "+1 800 555 0199"))


def open_conversation(account_id: str, channel: str, *, verified: bool = False) -> str:
    with session_scope() as s:
        row = conversations.open_conversation(s, account_id, channel)
        row.verified = verified
        return row.id


def opt_out_channels(account_id: str) -> list[str]:
    with session_scope() as s:
        rows = s.query(m.OptOut).filter_by(account_id=account_id, revoked_at=None).all()
        return sorted(r.channel for r in rows)


def escalation_reasons(account_id: str) -> list[str]:
    with session_scope() as s:
        return sorted(r.reason for r in s.query(m.Escalation).filter_by(account_id=account_id))


def paused(account_id: str) -> str | None:
    with session_scope() as s:
        return s.get(m.Account, account_id).paused_reason


def ended(conversation_id: str) -> str | None:
    with session_scope() as s:
        row = s.get(m.Conversation, conversation_id)
        return row.disposition if row.ended_at else None
