"""What Rasa's actions call: load the account, run the engine, write the records.

The conversation's state lives on its ledger row, keyed by the conversation id (Rasa's sender
id), and is written in the transaction of the turn's records. Nothing the caller posts (a
tracker's slots, entities) can set the phase or the account: a forged request to the action
server can at most speak in a conversation that exists, as that conversation's customer."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.agents.escalations import EscalationQueue
from bot.conversation import engine, lockout
from bot.conversation.facts import AccountFacts
from bot.conversation.policy import load_policy
from bot.conversation.records import apply_effects, transcribe
from bot.conversation.wording import Bank
from bot.infra.metrics import in_turn, timed_stage
from bot.infra.redis_client import default_redis
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, conversations, dialogue
from bot.settings import get_settings


class UnknownAccount(LookupError):
    pass


class NotStarted(LookupError):
    """No conversation with this id has been opened: there is no state to act on."""


class AlreadyOpened(Exception):
    """The conversation was opened already, or belongs to another account."""


def _context(session, account_id: str, now: datetime | None) -> engine.Context:
    account = accounts.account(session, account_id)
    if account is None:
        raise UnknownAccount(account_id)
    settings = get_settings()
    return engine.Context(
        account=AccountFacts.from_account(account),
        now=now or datetime.now(timezone.utc),
        policy=load_policy(),
        bank=Bank(
            settings.bank_name,
            settings.bank_phone,
            settings.payment_url,
            names={"zh": settings.bank_name_zh},
        ),
    )


def _queue() -> EscalationQueue:
    return EscalationQueue(default_redis(), get_settings().escalation_stream)


@timed_stage("action")
def open_conversation(
    *, conversation_id: str, account_id: str, channel: str, now: datetime | None = None
) -> engine.Outcome:
    with session_scope() as session:
        ctx = _context(session, account_id, now)
        row = conversations.conversation(session, conversation_id)
        # The gateway records the conversation before opening it; a conversation opened
        # straight through Rasa (rasa shell, another channel) is recorded here.
        if row is None:
            row = conversations.open_conversation(session, account_id, channel, conversation_id)
        elif row.account_id != account_id or row.dialogue_state:
            raise AlreadyOpened(conversation_id)
        outcome = engine.start(conversation_id=conversation_id, channel=row.channel, ctx=ctx)
        transcribe(session, conversation_id, None, outcome.messages, redact=False)
        dialogue.save(session, conversation_id, outcome.state)
        return outcome


@timed_stage("action")
def take_turn(
    *, action: str, turn: engine.Turn, conversation_id: str, now: datetime | None = None
) -> engine.Outcome:
    with session_scope() as session:
        # Held for the whole turn: the session keeps a row only while something refers to it,
        # and the state's save and an ending read it again (one SELECT fewer a turn).
        _row = conversations.conversation(session, conversation_id)
        state = dialogue.state(session, conversation_id)
        if state is None:
            raise NotStarted(conversation_id)
        in_turn(state["channel"], conversation_id)
        ctx = _context(session, state["account_id"], now)
        outcome = engine.handle(action, turn, state, ctx)
        # Failed answers count per account, across conversations; a locked account cannot
        # verify here, whatever it answers (bot/conversation/lockout.py).
        outcome = lockout.guard(
            session,
            before=state,
            outcome=outcome,
            account_id=state["account_id"],
            days_past_due=ctx.account.days_past_due,
            bank_phone=ctx.bank.phone,
            now=ctx.now,
        )
        apply_effects(
            session,
            _queue(),
            conversation_id=conversation_id,
            account_id=state["account_id"],
            channel=state["channel"],
            effects=outcome.effects,
        )
        transcribe(
            session,
            conversation_id,
            turn.text,
            outcome.messages,
            redact=outcome.redact_customer_text,
        )
        dialogue.save(session, conversation_id, outcome.state)
        return outcome
