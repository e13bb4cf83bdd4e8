"""Text turns for every channel: open a conversation, pass a customer's message to Rasa, and
fail safe. Chat, SMS and voice all come through here. The transcript is written by the actions,
with each turn's records; a failed turn's is written here."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field

from bot.agents.escalations import EscalationQueue
from bot.channels import revoking, sessions
from bot.conversation.messages import text
from bot.conversation.understanding.digits import parse_digits
from bot.conversation.understanding.dob import parse_dob
from bot.infra import logs, metrics
from bot.infra.rasa_client import RasaClient, RasaUnavailable
from bot.ledger.db import LEDGER_DOWN, session_scope
from bot.ledger.models import Conversation
from bot.ledger.repo import accounts, conversations, escalations

log = logging.getLogger(__name__)

SAFE_REPLY = text("failure.safe_reply")
# Rasa's Redis tracker key: `key_prefix: tracker` in bot/infra/rasa_endpoints.yml, plus Rasa's own
# "tracker:" prefix, plus the sender id (our conversation id).
TRACKER_KEY = "tracker:tracker:{}"


def customer_words(text: str) -> str:
    """What a customer typed, as Rasa may see it: a message starting with "/" is read by Rasa as
    an intent with entities ("/affirm", "/start_conversation{...}"), so every leading "/" goes,
    however many and with whatever whitespace between them ("/ /x", "//x")."""
    clean = text.strip()
    while clean.startswith("/"):
        clean = clean.lstrip("/").strip()
    return clean[:2000].strip() or "..."


def words_to_keep(text: str) -> str:
    """A failed turn's words as the transcript or the outage spool may hold them: masked as the
    logs are, and not at all when a verification reader finds a date of birth or the digits in
    them (spelled out or in Chinese numerals, which the log's masks cannot see)."""
    said = customer_words(text)
    for lang in ("en", "zh"):
        if parse_dob(said, lang=lang) or parse_digits(said, lang=lang):
            return f"[message of {len(said)} characters with a date or digits, not kept]"
    return logs.scrub(said)


class ConversationNotFound(LookupError):
    pass


class ConversationEnded(Exception):
    pass


class AccountNotFound(LookupError):
    pass


@dataclass(frozen=True)
class BotReply:
    conversation_id: str
    messages: list[str]
    ended: bool
    failed: bool = False
    meta: dict = field(default_factory=dict)


class Conversations:
    def __init__(self, rasa: RasaClient, queue: EscalationQueue):
        self.rasa = rasa
        self.queue = queue

    @metrics.timed_turn
    async def start(self, account_id: str, channel: str) -> BotReply:
        conversation_id = await asyncio.to_thread(self.create, account_id, channel)
        return await self.open(conversation_id, account_id, channel)

    async def open(self, conversation_id: str, account_id: str, channel: str) -> BotReply:
        """The opening turn of a conversation `create` made."""
        opening = "/start_conversation" + json.dumps({"account_id": account_id, "channel": channel})
        return await self._turn(conversation_id, opening, customer_text=None)

    @metrics.timed_turn
    async def send(self, conversation_id: str, text: str) -> BotReply:
        conversation, expired = await asyncio.to_thread(self._load, conversation_id)
        metrics.in_turn(conversation.channel, conversation_id)
        if expired:  # left idle once verified: back to identity (bot/channels/sessions.py)
            await asyncio.to_thread(self.forget_tracker, conversation_id)
            raise ConversationEnded(conversation_id)
        if conversation.ended_at is not None:
            raise ConversationEnded(conversation_id)
        clean = customer_words(text)
        # Opt-outs and written refusals are honoured before Rasa, and when it is down (TCPA;
        # Reg F §1006.6(c), (e)): bot/channels/revoking.py.
        revoked = await asyncio.to_thread(revoking.before_rasa, self.queue, conversation, clean)
        if revoked is not None:
            if revoked.ended:
                await asyncio.to_thread(self.forget_tracker, conversation_id)
            return BotReply(conversation_id, revoked.messages, ended=revoked.ended)
        return await self._turn(conversation_id, clean, customer_text=clean)

    async def _turn(self, conversation_id: str, message: str, customer_text: str | None):
        logs.bind(conversation_id=conversation_id)
        try:
            reply = await self.rasa.send(conversation_id, message)
        except RasaUnavailable as exc:
            log.error("rasa unavailable for conversation %s: %s", conversation_id, exc)
            reply = None
        if reply is None or reply.meta is None:
            await asyncio.to_thread(self.record_failure, conversation_id, customer_text)
            return BotReply(conversation_id, [SAFE_REPLY], ended=False, failed=True)
        # The transcript was written by the action, in the transaction of the turn's records
        # (bot/conversation/service.py).
        if reply.meta.get("ended"):
            await asyncio.to_thread(self.forget_tracker, conversation_id)
        return BotReply(
            conversation_id, reply.texts, ended=bool(reply.meta.get("ended")), meta=reply.meta
        )

    def ended_reply(self, conversation_id: str) -> list[str]:
        """What a message to an ended conversation is answered with, in its language: as the
        web chat's socket answers it. It is also the answer to a message the load balancer
        replays after the gateway that handled it died (bot/infra/replicas.py): the first
        handling may have ended the conversation, and the customer still gets words back."""
        try:
            with session_scope() as session:
                conversation = conversations.conversation(session, conversation_id)
                lang = revoking.conversation_language(session, conversation)
        except LEDGER_DOWN:  # the words matter more than their language
            lang = "en"
        return [text("chat.ended", lang)]

    def forget_tracker(self, conversation_id: str) -> None:
        """Rasa's tracker holds every raw message, verification answers included: an ended
        conversation's is deleted (the others expire, TRACKER_TTL_S). The transcript, redacted,
        stays in the ledger."""
        try:
            self.queue.redis.delete(TRACKER_KEY.format(conversation_id))
        except Exception:  # noqa: BLE001 - it expires anyway; never fail the customer's turn
            log.warning("could not delete the tracker of conversation %s", conversation_id)

    # -- ledger work (run in a thread) ---------------------------------------------------------
    def create(self, account_id: str, channel: str) -> str:
        with session_scope() as session:
            if not accounts.exists(session, account_id):
                raise AccountNotFound(account_id)
            return conversations.open_conversation(session, account_id, channel).id

    def _load(self, conversation_id: str) -> tuple[Conversation, bool]:
        """The conversation, and whether it was just ended for being left idle: one
        transaction, the first of a turn's (a round trip fewer per message)."""
        with session_scope() as session:
            conversation = conversations.conversation(session, conversation_id)
            if conversation is None:
                raise ConversationNotFound(conversation_id)
            return conversation, sessions.end_if_idle(session, conversation)

    def record_failure(self, conversation_id: str, customer: str | None) -> None:
        """The customer gets a safe message and a person gets the case; nothing is lost."""
        with session_scope() as session:
            conversation = conversations.conversation(session, conversation_id)
            if customer is not None:
                # Kept for the agent who calls back, but never a verification answer in clear.
                said = f"[not processed] {words_to_keep(customer)}"
                conversations.add_turn(session, conversation_id, "customer", said)
            conversations.add_turn(session, conversation_id, "bot", SAFE_REPLY)
            conversation.disposition = "technical_failure"
            if escalations.case_waiting(session, conversation_id, "technical_failure"):
                # One case per conversation while it waits for a person: a failed opening
                # followed by the customer's text (an SMS), or a customer retrying during an
                # outage, adds turns to its transcript, not cases to the agents' queue.
                return
            self.queue.enqueue(
                session,
                account_id=conversation.account_id,
                conversation_id=conversation_id,
                reason="technical_failure",
                priority=1,
                summary="The bot failed during the conversation; the customer was told a person "
                "will contact them. Read the transcript and call back.",
            )
