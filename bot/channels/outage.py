"""The ledger is down: what a customer sends is kept in the local spool (bot/infra/spool.py) and
answered with the safe message, and the gateway replays the spool into the ledger once it is
back (`replay`, run every few seconds by the gateway: bot/gateway/app.py).

Replaying writes what the live turn would have left for a person, not a late bot answer: the
customer was told a person will contact them, and a bot reply minutes later, out of context,
would contradict that. So a kept message becomes a transcript turn plus a technical_failure
case; a kept opt-out (STOP, "stop calling me") is recorded as an opt-out, no case (a person
calling back would be the contact refused); a kept START is the opt-in it asked for.

Nothing secret is kept in clear: the text is masked the way the logs are (dates, runs of
digits, phone numbers), and a message in which a verification reader finds a date of birth or
the digits (spelled out, or in Chinese numerals) is not kept at all, only its length."""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeout
from sqlalchemy.exc import IntegrityError

from bot.channels import repeats
from bot.channels.turns import (
    SAFE_REPLY,
    BotReply,
    Conversations,
    customer_words,
    words_to_keep,
)
from bot.compliance import audit, opt_outs
from bot.compliance.revocation import Revocation, revocation
from bot.infra.spool import Spool, entries
from bot.ledger.db import LEDGER_DOWN, session_scope
from bot.ledger.repo import accounts, attempts, conversations, escalations, events, records
from bot.settings import get_settings

log = logging.getLogger(__name__)
# Redis cannot be reached: it holds the calls the gateway knows (bot/channels/voice/registry.py),
# the chat's reply cache and the rate limits; a turn that needs it is answered safely.
REDIS_DOWN = (RedisConnectionError, RedisTimeout)
REPLAYED = "spooled"  # the ProcessedEvent kind that makes each entry's replay happen once


class Unreplayable(Exception):
    """An entry the ledger has no place for (its conversation or number is unknown)."""


def spool() -> Spool:
    return Spool(get_settings().var_dir / "spool")


def _opt_out(found: Revocation | None) -> dict | None:
    return {"named": found.named, "keyword": found.keyword} if found else None


def keep_turn(conversation_id: str, text: str | None) -> None:
    """A chat or API message (or a call's failed turn, text None) the ledger could not take."""
    found = revocation(customer_words(text)) if text else None
    spool().keep(
        {
            "kind": "turn",
            "conversation_id": conversation_id,
            "text": words_to_keep(text) if text else None,
            "opt_out": _opt_out(found),
        }
    )


def keep_text(message_sid: str, sender: str, body: str, found, word: str | None) -> None:
    """An inbound SMS; `found` the opt-out read in it, `word` its START/HELP keyword."""
    spool().keep(
        {
            # Twilio retries an unanswered webhook with the same MessageSid: replayed once.
            "id": f"sms:{message_sid}" if message_sid else None,
            "kind": "sms",
            "sender": sender,  # needed to find the account again; the file is 0600
            "text": words_to_keep(body),
            "opt_out": _opt_out(found),
            "keyword": word,
        }
    )


def reached_us(queue, account_id: str, channel: str, text: str | None) -> None:
    """The customer opened the chat (text None) or wrote in it while no conversation could be
    held (Redis or the ledger down as it opened): an opt-out honoured, anything else a case for
    a person, written now or, with the ledger down, kept for replay."""
    found = revocation(customer_words(text)) if text else None
    entry = {
        "kind": "unopened",
        "account_id": account_id,
        "channel": channel,
        "text": words_to_keep(text) if text else None,
        "opt_out": _opt_out(found),
    }
    try:
        with session_scope() as session:
            _write(session, queue, entry)
    except LEDGER_DOWN:
        spool().keep(entry)


def keep_call(call_sid: str, customer_phone: str) -> None:
    """A call answered while the ledger was down (the caller heard the safe message)."""
    spool().keep(
        {"id": f"call:{call_sid}", "kind": "call", "call_sid": call_sid, "sender": customer_phone}
    )


def keep_call_end(call_sid: str, conversation_id: str | None) -> None:
    """A call hung up while the ledger was down: its attempt's disposition is written on replay."""
    spool().keep(
        {
            "id": f"call_end:{call_sid}",
            "kind": "call_end",
            "call_sid": call_sid,
            "conversation_id": conversation_id,
        }
    )


def keep_call_status(call_sid: str, status: str, *, ended: bool) -> None:
    """A Twilio status callback the ledger could not take (answered 200, so Twilio will not
    send it again): the attempt's status is applied on replay."""
    spool().keep(
        {
            "id": f"call_status:{call_sid}:{status}",
            "kind": "call_status",
            "call_sid": call_sid,
            "status": status,
            "ended": ended,
        }
    )


async def send_or_keep(
    conversations: Conversations, conversation_id: str, text: str, key: str | None = None
) -> BotReply:
    """A chat turn (the text API, the web chat) that survives a ledger outage. With an
    Idempotency-Key, a repeat is answered without a second turn (bot/channels/repeats.py)."""
    try:
        if key is not None:
            redis = conversations.queue.redis
            first = await asyncio.to_thread(repeats.claim, redis, conversation_id, key)
            if first is not None:
                return await repeats.answer_repeat(conversations, conversation_id, text, first)
        return await conversations.send(conversation_id, text)
    except LEDGER_DOWN as exc:
        log.error("the ledger is down (%s): the message was kept in the spool", type(exc).__name__)
        await asyncio.to_thread(keep_turn, conversation_id, text)
        return BotReply(conversation_id, [SAFE_REPLY], ended=False, failed=True)


# -- replay (a thread of the gateway) -----------------------------------------------------------
def replay(queue) -> int:
    """Write the kept entries to the ledger, each once; returns how many were written. Stops at
    the first sign the ledger is still down (the rest waits for the next run); an entry the
    ledger has no place for is set aside (spool/set-aside.jsonl) and logged as an error."""
    store = spool()
    if not store.pending():
        return 0
    written = 0
    for path in store.take():
        for entry in entries(path):
            try:
                with session_scope() as session:
                    if events.event(session, REPLAYED, entry["id"]) is not None:
                        continue  # written by an earlier run that did not finish its file
                    events.add_event(session, REPLAYED, entry["id"])
                    _write(session, queue, entry)
                written += 1
            except LEDGER_DOWN:
                return written
            except IntegrityError:
                continue  # another gateway worker wrote it at the same moment
            except Exception as exc:  # noqa: BLE001 - one bad entry must not block the others
                why = str(exc) if isinstance(exc, Unreplayable) else type(exc).__name__
                log.error("a kept message could not be replayed (%s): set aside", why)
                store.set_aside(entry, why)
        path.unlink()
    if written:
        log.info("replayed %d kept messages into the ledger", written)
    return written


def _write(session, queue, entry: dict) -> None:
    if entry["kind"] == "turn":
        conversation = conversations.conversation(session, entry["conversation_id"])
        if conversation is None:
            raise Unreplayable("no such conversation")
        _customer_said(session, queue, conversation.account_id, conversation, entry)
    elif entry["kind"] == "sms":
        phone = entry["sender"]
        conversation = conversations.open_sms_conversation_for_phone(session, phone)
        by_number = accounts.account_id_by_phone(session, phone)
        account_id = conversation.account_id if conversation else by_number
        if account_id is None:
            raise Unreplayable("no account has this number")
        if entry.get("keyword") == "start":
            records.revoke_opt_outs(session, account_id, "sms")
            data = {"channel": "sms", "revoked": True}
            audit.append(session, kind="opt_out", account_id=account_id, actor="sms", data=data)
            return
        _customer_said(session, queue, account_id, conversation, entry, came_on="sms")
    elif entry["kind"] == "unopened":
        _customer_said(session, queue, entry["account_id"], None, entry, came_on=entry["channel"])
    elif entry["kind"] == "call":
        attempt = attempts.attempt_by_sid(session, entry["call_sid"])
        account_id = attempt.account_id if attempt else None
        account_id = account_id or accounts.account_id_by_phone(session, entry["sender"])
        if account_id is None:
            raise Unreplayable("no account has this number")
        _customer_said(session, queue, account_id, None, entry, came_on="voice")
    elif entry["kind"] == "call_end":
        attempts.finish_call(session, entry["call_sid"], entry["conversation_id"])
    elif entry["kind"] == "call_status":
        # A call the ledger never had (answered during the outage) has no attempt to update:
        # its case came from its "call" entry.
        attempts.apply_status(session, entry["call_sid"], entry["status"], ended=entry["ended"])
    else:
        raise Unreplayable(f"unknown kind {entry['kind']!r}")


def _customer_said(session, queue, account_id, conversation, entry, came_on=None) -> None:
    conversation_id = conversation.id if conversation else None
    came_on = came_on or conversation.channel
    said = entry.get("text")
    if conversation_id:
        words = f"[kept during a ledger outage] {said}" if said else "[message not processed]"
        conversations.add_turn(session, conversation_id, "customer", words)
        conversations.add_turn(session, conversation_id, "bot", SAFE_REPLY)
    if entry.get("opt_out"):
        found = Revocation(entry["opt_out"]["named"], keyword=entry["opt_out"]["keyword"])
        opt_outs.honour(
            session,
            queue,
            account_id=account_id,
            conversation_id=conversation_id,
            came_on=came_on,
            found=found,
            text=said or "",
            actor=came_on,
        )
        return
    if conversation_id is None:
        # Outside a conversation the case's summary is the only transcript: one case per
        # account while it waits, each message the customer sends added to it.
        waiting = escalations.account_case_waiting(session, account_id, "technical_failure")
        if waiting is not None:
            waiting.summary += _more_summary(entry, said)
            return
    queue.enqueue(
        session,
        account_id=account_id,
        conversation_id=conversation_id,
        reason="technical_failure",
        priority=1,
        summary=_case_summary(entry, conversation_id, said),
    )
    if conversation is not None and conversation.ended_at is None:
        conversation.disposition = "technical_failure"


def _case_summary(entry: dict, conversation_id: str | None, said: str | None) -> str:
    if entry["kind"] == "call":
        what = "The customer's call was answered while the ledger was down: they heard the "
        what += "safe message and no conversation took place"
    elif entry["kind"] == "unopened":
        what = "The customer opened the web chat while the bot could not hold a conversation"
        what += f"; they wrote (masked): {said}" if said else ""
    elif conversation_id:
        what = "The ledger was down when the customer wrote; their message was kept and is in "
        what += "the transcript"
    else:
        what = (
            f"The ledger was down when the customer wrote; their message was kept (masked): {said}"
        )
    return what + ". They were told a person will contact them: read it and call back."


def _more_summary(entry: dict, said: str | None) -> str:
    """What a later message adds to the account's waiting case."""
    if said:
        return f" Then (masked): {said}"
    return " Then they called (and heard the safe message)." if entry["kind"] == "call" else ""
