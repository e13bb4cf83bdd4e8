"""Writes what a conversation turn decided: every record of one turn in one transaction, so a
promise, an opt-out or an escalation is either wholly kept or not at all."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.agents.escalations import EscalationQueue
from bot.compliance import audit
from bot.conversation.engine import Effect
from bot.ledger.repo import accounts, conversations, records

REDACTED = "[verification answer redacted]"


def transcribe(
    session: Session, conversation_id: str, customer: str | None, bot: list[str], redact: bool
) -> None:
    """The turn's transcript, in the transaction that writes its records: one write per turn,
    and a record never exists without the words that made it."""
    if customer is not None:
        text = REDACTED if redact else customer
        conversations.add_turn(session, conversation_id, "customer", text)
    for text in bot:
        conversations.add_turn(session, conversation_id, "bot", text)


def apply_effects(
    session: Session,
    queue: EscalationQueue,
    *,
    conversation_id: str,
    account_id: str,
    channel: str,
    effects: list[Effect],
) -> None:
    common = {"account_id": account_id, "conversation_id": conversation_id}
    for effect in effects:
        _write(session, queue, effect, common, channel)
    # The audit chain is appended last: appending holds the chain's lock until commit.
    for effect in effects:
        if effect.kind in AUDITED:
            data = {k: v for k, v in effect.data.items() if k not in UNAUDITED}
            audit.append(
                session,
                kind=AUDITED[effect.kind],
                account_id=account_id,
                actor=f"bot:{channel}",
                data={**data, "conversation_id": conversation_id},
            )


# Effects that go to the audit trail, under the trail's kind names. Free text a customer wrote
# (dispute wording, payment details) and escalation summaries (they quote the customer) stay in
# the ledger only: the chain is kept for years and copied into reports.
UNAUDITED = ("text", "details", "summary")
AUDITED = {
    "verified": "verification",
    "disclosed": "disclosure",
    "promise": "promise",
    "instalment": "instalment_plan",
    "opt_out": "opt_out",
    "dispute": "dispute",
    "escalation": "escalation",
    # Self-service verification locked for the account (bot/conversation/lockout.py).
    "verification_lock": "verification",
}


def _write(
    session: Session, queue: EscalationQueue, effect: Effect, common: dict, channel: str
) -> None:
    account_id, conversation_id = common["account_id"], common["conversation_id"]
    d = effect.data
    if effect.kind == "promise":
        records.promise(
            session,
            id=d["id"],
            amount=Decimal(d["amount"]),
            currency=d["currency"],
            due_date=date.fromisoformat(d["due_date"]),
            channel=channel,
            **common,
        )
    elif effect.kind == "instalment":
        records.instalment_request(
            session,
            id=d["id"],
            months=d["months"],
            monthly_amount=Decimal(d["monthly_amount"]),
            fee=Decimal(d["fee"]),
            currency=d["currency"],
            first_due_date=date.fromisoformat(d["first_due_date"]),
            status=d["status"],
            **common,
        )
    elif effect.kind == "dispute":
        records.dispute(session, text=d["text"], **common)
    elif effect.kind == "already_paid":
        records.already_paid_claim(session, details=d["details"], **common)
    elif effect.kind == "hardship":
        records.hardship_note(session, text=d["text"], **common)
    elif effect.kind == "callback":
        records.callback_request(
            session,
            callback_at=datetime.fromisoformat(d["callback_at"]),
            requested_text=d["text"],
            **common,
        )
    elif effect.kind == "opt_out":
        records.opt_out(session, channel=d["channel"], source_text=d["text"], **common)
    elif effect.kind == "wrong_number":
        phone = accounts.account(session, account_id).phone
        records.wrong_number_flag(session, phone=phone, **common)
    elif effect.kind == "pause":
        accounts.pause(session, account_id, d["reason"])
    elif effect.kind == "verified" and d.get("result"):
        conversations.mark_verified(session, conversation_id)
    elif effect.kind == "escalation":
        queue.enqueue(
            session, reason=d["reason"], priority=d["priority"], summary=d["summary"], **common
        )
    elif effect.kind == "ended":
        conversations.end(conversations.conversation(session, conversation_id), d["disposition"])
