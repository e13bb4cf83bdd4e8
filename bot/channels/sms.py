"""The SMS channel: one inbound text, one turn. Opt-out keywords are handled before anything
else; everything else is a turn of the account's SMS conversation."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.channels.sms_text import is_plain_opt_out, keyword, opt_out_channel, split_for_sms
from bot.channels.turns import Conversations
from bot.conversation.messages import text
from bot.infra import webhook_events
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, conversations, records

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
        word = keyword(body)
        if word == "stop" or (account_id and is_plain_opt_out(body)):
            if account_id:
                await asyncio.to_thread(
                    _opt_out, account_id, conversation_id, opt_out_channel(body), body
                )
            return [self.texts["stopped"]]
        if word == "start":
            if account_id:
                await asyncio.to_thread(_opt_in, account_id)
            return [self.texts["started"]]
        if word == "help":
            return [self.texts["help"]]
        if account_id is None:
            return [self.texts["unknown"]]
        if conversation_id is None:
            # The customer wrote first: open their SMS conversation quietly and let their
            # message be its first turn.
            opened = await self.conversations.start(account_id, "sms")
            conversation_id = opened.conversation_id
        reply = await self.conversations.send(conversation_id, body)
        return split_for_sms(reply.messages)


def _find(phone: str) -> tuple[str | None, str | None]:
    """The account for a sender's number and its open SMS conversation, if any. Where several
    accounts share a number, the one with the most recent open SMS conversation wins."""
    with session_scope() as session:
        open_conversation = conversations.open_sms_conversation_for_phone(session, phone)
        if open_conversation:
            return open_conversation.account_id, open_conversation.id
        return accounts.account_id_by_phone(session, phone), None


def _opt_out(account_id: str, conversation_id: str | None, channel: str, body: str) -> None:
    with session_scope() as session:
        records.opt_out(
            session,
            account_id=account_id,
            conversation_id=conversation_id,
            channel=channel,
            source_text=body[:500],
        )
        if conversation_id:
            conversations.end(conversations.conversation(session, conversation_id), "opted_out")
        _audit(session, "opt_out", account_id, {"channel": channel, "via": "sms keyword"})


def _opt_in(account_id: str) -> None:
    with session_scope() as session:
        records.revoke_opt_outs(session, account_id, "sms")
        _audit(session, "opt_out", account_id, {"channel": "sms", "revoked": True})


def _audit(session, kind: str, account_id: str, data: dict) -> None:
    from bot.compliance import audit

    audit.append(session, kind=kind, account_id=account_id, actor="sms", data=data)
