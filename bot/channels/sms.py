"""The SMS channel: one inbound text, one turn. Opt-outs (keywords and any reasonable wording,
bot/compliance/revocation.py) are handled before anything else; everything else is a turn of the
account's SMS conversation, its reply carrying the opt-out line."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.channels import sessions
from bot.channels.rate_limits import conversation_allowed
from bot.channels.sms_text import compose, keyword
from bot.channels.turns import Conversations
from bot.compliance import opt_outs
from bot.compliance.profiles import profile_for
from bot.compliance.revocation import Revocation, answer, revocation
from bot.conversation.facts import PRODUCT_NAMES
from bot.conversation.messages import text
from bot.conversation.policy import load_policy
from bot.infra import webhook_events
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, conversations, records
from bot.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Bank:
    name: str
    phone: str


def _texts(bank: Bank) -> dict[str, str]:
    return {
        "stopped": text("sms.stopped", bank=bank.name),
        "started": text("sms.started", bank=bank.name),
        "help": text("sms.help", bank=bank.name, bank_phone=bank.phone),
        "unknown": text("sms.unknown", bank=bank.name, bank_phone=bank.phone),
        "too_many": text("sms.too_many", bank=bank.name, bank_phone=bank.phone),
        "stopped_calls": text("sms.stopped_calls", bank=bank.name),
        "stopped_all": text("sms.stopped_all", bank=bank.name),
        "stopped_ask": text("sms.stopped_ask", bank=bank.name),
        "stopped_calls_too": text("sms.stopped_calls_too", bank=bank.name),
    }


class SmsChannel:
    def __init__(self, conversations: Conversations, bank: Bank):
        self.conversations = conversations
        self.texts = _texts(bank)

    async def inbound(self, *, message_sid: str, sender: str, body: str) -> list[str]:
        """Reply texts for one inbound SMS; a retried MessageSid gets the same replies."""
        if not await asyncio.to_thread(webhook_events.claim, "sms", message_sid):
            previous = await asyncio.to_thread(webhook_events.first_response, "sms", message_sid)
            return previous or []
        try:
            replies = await self._reply(sender, body)
        except Exception:
            await asyncio.to_thread(webhook_events.forget, "sms", message_sid)
            raise
        await asyncio.to_thread(webhook_events.remember, "sms", message_sid, replies)
        return replies

    async def _reply(self, sender: str, body: str) -> list[str]:
        account_id, conversation_id = await asyncio.to_thread(_find, sender)
        # Any reasonable wording of an opt-out, before Rasa (TCPA revocation by any reasonable
        # means, FCC 24-24; Reg F §1006.6(e)): bot/compliance/revocation.py.
        found = revocation(body)
        if found is not None:
            if account_id:
                await asyncio.to_thread(
                    _honour, self.conversations.queue, account_id, conversation_id, found, body
                )
            return [self._stopped(found)]
        word = keyword(body)
        if word == "start":
            if account_id:
                await asyncio.to_thread(_opt_in, account_id)
            return [self.texts["started"]]
        if word == "help":
            return [self.texts["help"]]
        if account_id is None:
            return [self.texts["unknown"]]
        answered = await asyncio.to_thread(
            _answer_the_question, self.conversations.queue, account_id, conversation_id, body
        )
        if answered is not None:
            return [self.texts["stopped_all" if answered == "all" else "stopped_calls_too"]]
        if conversation_id and await asyncio.to_thread(sessions.expire_if_idle, conversation_id):
            # Idle after verification: a new conversation, which asks who this is first.
            await asyncio.to_thread(self.conversations.forget_tracker, conversation_id)
            conversation_id = None
        if conversation_id is None:
            # A number opening conversation after conversation (guessing a code) is refused.
            if not await asyncio.to_thread(
                conversation_allowed,
                self.conversations.queue.redis,
                "sms",
                sender,
                get_settings().conversations_per_hour,
            ):
                return [self.texts["too_many"]]
            # The customer wrote first: open their SMS conversation quietly and let their
            # message be its first turn.
            opened = await self.conversations.start(account_id, "sms")
            conversation_id = opened.conversation_id
        thread = await asyncio.to_thread(_thread, conversation_id)
        reply = await self.conversations.send(conversation_id, body)
        # Every reply carries the opt-out line (Reg F §1006.6(e)) and, in a conversation verified
        # before this turn (its disclosure already sent), the later disclosure (§1006.18(e)(2)).
        return compose(
            reply.messages,
            opt_out_line=thread.opt_out_line,
            opening=thread.later_disclosure if thread.verified else "",
        )

    def _stopped(self, found: Revocation) -> str:
        if found.named == "all":
            return self.texts["stopped_all"]
        if found.named == "calls":
            return self.texts["stopped_calls"]
        if found.asks_which_others:
            return self.texts["stopped_ask"]
        return self.texts["stopped"]


@dataclass(frozen=True)
class Thread:
    """What the SMS reply of a conversation needs to know before its turn."""

    verified: bool
    opt_out_line: str
    later_disclosure: str


def _thread(conversation_id: str) -> Thread:
    with session_scope() as session:
        conversation = conversations.conversation(session, conversation_id)
        account = accounts.account(session, conversation.account_id)
        jurisdiction = account.jurisdiction
        later = load_policy().later_disclosures
        disclosure = (later.get(jurisdiction) or later["US"]).format(
            bank=get_settings().bank_name,
            product=PRODUCT_NAMES.get(account.product, account.product),
        )
        return Thread(
            verified=bool(conversation.verified),
            opt_out_line=profile_for(jurisdiction).sms_opt_out,
            later_disclosure=" ".join(disclosure.split()),
        )


def _find(phone: str) -> tuple[str | None, str | None]:
    """The account for a sender's number and its open SMS conversation, if any. Where several
    accounts share a number, the one with the most recent open SMS conversation wins."""
    with session_scope() as session:
        open_conversation = conversations.open_sms_conversation_for_phone(session, phone)
        if open_conversation:
            return open_conversation.account_id, open_conversation.id
        return accounts.account_id_by_phone(session, phone), None


def _honour(queue, account_id: str, conversation_id: str | None, found, body: str) -> None:
    """Record the opt-out on the account (the gate reads it for every account at the number)."""
    with session_scope() as session:
        _record_opt_out(session, queue, account_id, conversation_id, found, body)


def _record_opt_out(session, queue, account_id, conversation_id, found, body: str) -> None:
    opt_outs.honour(
        session,
        queue,
        account_id=account_id,
        conversation_id=conversation_id,
        came_on="sms",
        found=found,
        text=body,
        actor="sms",
    )


def _answer_the_question(queue, account_id, conversation_id, body) -> str | None:
    """ "CALLS" / "YES" / "BOTH" answering the one "which others?" text (47 CFR 64.1200(a)(12)):
    what it named, recorded; None when no question is open or this is no answer to it."""
    named = answer(body)
    if named is None:
        return None
    with session_scope() as session:
        if not opt_outs.pending_question(session, account_id):
            return None
        _record_opt_out(session, queue, account_id, conversation_id, Revocation(named), body)
    return named


def _opt_in(account_id: str) -> None:
    with session_scope() as session:
        records.revoke_opt_outs(session, account_id, "sms")
        _audit(session, "opt_out", account_id, {"channel": "sms", "revoked": True})


def _audit(session, kind: str, account_id: str, data: dict) -> None:
    from bot.compliance import audit

    audit.append(session, kind=kind, account_id=account_id, actor="sms", data=data)
