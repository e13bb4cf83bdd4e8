"""What Rasa's actions call: load the account, run the engine, write the records."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.agents.escalations import EscalationQueue
from bot.conversation import engine
from bot.conversation.facts import AccountFacts
from bot.conversation.policy import load_policy
from bot.conversation.records import apply_effects, transcribe
from bot.conversation.wording import Bank
from bot.infra.redis_client import default_redis
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, conversations
from bot.settings import get_settings


class UnknownAccount(LookupError):
    pass


def _context(session, account_id: str, now: datetime | None) -> engine.Context:
    account = accounts.account(session, account_id)
    if account is None:
        raise UnknownAccount(account_id)
    settings = get_settings()
    return engine.Context(
        account=AccountFacts.from_account(account),
        now=now or datetime.now(timezone.utc),
        policy=load_policy(),
        bank=Bank(settings.bank_name, settings.bank_phone, settings.payment_url),
    )


def _queue() -> EscalationQueue:
    return EscalationQueue(default_redis(), get_settings().escalation_stream)


def open_conversation(
    *, conversation_id: str, account_id: str, channel: str, now: datetime | None = None
) -> engine.Outcome:
    with session_scope() as session:
        ctx = _context(session, account_id, now)
        # The gateway records the conversation before opening it; a conversation opened
        # straight through Rasa (rasa shell, another channel) is recorded here.
        if conversations.conversation(session, conversation_id) is None:
            conversations.open_conversation(session, account_id, channel, conversation_id)
        outcome = engine.start(conversation_id=conversation_id, channel=channel, ctx=ctx)
        transcribe(session, conversation_id, None, outcome.messages, redact=False)
        return outcome


def take_turn(
    *, action: str, turn: engine.Turn, state: dict, now: datetime | None = None
) -> engine.Outcome:
    with session_scope() as session:
        ctx = _context(session, state["account_id"], now)
        outcome = engine.handle(action, turn, state, ctx)
        apply_effects(
            session,
            _queue(),
            conversation_id=state["conversation_id"],
            account_id=state["account_id"],
            channel=state["channel"],
            effects=outcome.effects,
        )
        transcribe(
            session,
            state["conversation_id"],
            turn.text,
            outcome.messages,
            redact=outcome.redact_customer_text,
        )
        return outcome
