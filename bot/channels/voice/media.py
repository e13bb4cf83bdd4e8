"""The conversation on one call: what the media session (telephony/call.py) asks of the bot at
the start, on each turn, on silence, on hang-up and when the pipeline fails; and the call's
ledger records (its attempt linked to the conversation, its disposition, a callback)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.channels.turns import SAFE_REPLY
from bot.channels.voice.agent_line import agent_line_open
from bot.channels.voice.menu import Menu, keypad_text, menu_for, spoken_digits
from bot.conversation.messages import text
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, attempts, conversations, records
from telephony import twilio_client, twiml
from telephony.call import Prompt, StreamStart

if TYPE_CHECKING:  # the service makes a VoiceCall per call; only its type is needed here
    from bot.channels.voice.service import VoiceService

log = logging.getLogger(__name__)
STILL_THERE = text("voice.still_there")
NO_RESPONSE = text("voice.no_response")


class VoiceCall:
    """The conversation on one call: the CallHandler the media session talks to."""

    def __init__(self, service: VoiceService, call_sid: str):
        self.service = service
        self.call_sid = call_sid
        self.conversation_id: str | None = None
        self.menu: Menu | None = None
        self.last_prompt: list[str] = []
        self.ended = False
        self.transferred = False

    async def on_start(self, start: StreamStart) -> Prompt:
        known = await asyncio.to_thread(self.service.registry.get, start.call_sid)
        opened = await self.service.conversations.start(known.account_id, "voice")
        self.conversation_id = opened.conversation_id
        await asyncio.to_thread(_link_attempt, start.call_sid, opened.conversation_id)
        return self._prompt(opened.messages, opened.meta, opened.ended)

    async def on_turn(self, text: str, *, keypad: bool, free_text: str | None = None) -> Prompt:
        if keypad:
            text = keypad_text(self.menu or menu_for(None, 0), text)
        elif self.menu and self.menu.yes_no:
            text = self._yes_no(text)
        elif self.menu and self.menu.digits:
            # Exactly the digits asked for, or else what free recognition heard (a date of
            # birth, "I don't know"): a grammar turns any speech into some digits.
            digits = spoken_digits(text, self.service.digit_words)
            if digits and len(digits) == self.menu.max_digits:
                text = digits
            elif free_text is not None:
                text = free_text
        reply = await self.service.conversations.send(self.conversation_id, text or "...")
        if set(reply.meta.get("escalations", [])) & {"customer_request", "not_understood"}:
            await self._hand_over()
        return self._prompt(reply.messages, reply.meta, reply.ended)

    async def on_silence(self, count: int) -> Prompt:
        if count > 2:
            self.ended = True
            return Prompt([NO_RESPONSE], hangup=True)
        return self._listening([STILL_THERE, *self.last_prompt[-1:]])

    async def fail_safe(self) -> None:
        """The media pipeline broke mid-call: say the safe message and queue the case."""
        self.transferred = True  # the call is ended by the TwiML below, not by on_hangup
        if self.conversation_id:
            await asyncio.to_thread(
                self.service.conversations.record_failure, self.conversation_id, None
            )
        try:
            await twilio_client.redirect_call(
                self.service.twilio, self.call_sid, twiml.say_and_hangup(SAFE_REPLY)
            )
        except Exception as exc:  # noqa: BLE001 - the line may already be gone
            log.info("could not play the safe message on %s: %s", self.call_sid, exc)

    async def on_hangup(self) -> None:
        redirected = await asyncio.to_thread(self.service.registry.redirected, self.call_sid)
        if not (self.transferred or redirected):
            try:
                await twilio_client.end_call(self.service.twilio, self.call_sid)
            except Exception as exc:  # noqa: BLE001 - the call may have ended on its own
                log.info("ending call %s: %s", self.call_sid, exc)
        await asyncio.to_thread(_finish_attempt, self.call_sid, self.conversation_id)

    # -- helpers ------------------------------------------------------------------------------
    def _prompt(self, messages: list[str], meta: dict, ended: bool) -> Prompt:
        self.ended = ended
        self.menu = None if ended else menu_for(meta.get("awaiting"), meta.get("misunderstood", 0))
        texts = list(messages)
        if self.menu and texts:
            texts.append(self.menu.hint)
        self.last_prompt = texts
        return self._listening(texts, hangup=ended and not self.transferred)

    def _listening(self, texts: list[str], *, hangup: bool = False) -> Prompt:
        """Say `texts`, then listen the way the current menu asks (grammar, keypad digits)."""
        return Prompt(
            texts,
            grammar=self._grammar(),
            free_fallback=bool(self.menu and self.menu.digits),
            is_complete=self._is_complete(),
            hangup=hangup,
            max_digits=self.menu.max_digits if self.menu else 4,
        )

    def _grammar(self) -> list[str] | None:
        if self.menu and self.menu.yes_no:
            return [*self.service.yes, *self.service.no]
        if self.menu and self.menu.digits:
            return sorted(self.service.digit_words)
        return None

    def _is_complete(self):
        """A digits turn is a whole answer once all the digits asked for were heard (callers
        pause between digits); other grammar turns when the text is one of the phrases."""
        if not (self.menu and self.menu.digits):
            return None
        words, wanted = self.service.digit_words, self.menu.max_digits

        def complete(heard: str) -> bool:
            digits = spoken_digits(heard, words)
            return digits is not None and len(digits) == wanted

        return complete

    def _yes_no(self, heard: str) -> str:
        words = heard.lower()
        if any(w.lower() in words for w in self.service.no):
            return "no"
        if any(w.lower() in words for w in self.service.yes):
            return "yes"
        return heard

    async def _hand_over(self) -> None:
        """Transfer the live call to the agent line if it is open; otherwise the customer has
        been told a person will call back, and the callback is recorded."""
        settings = self.service.settings
        if agent_line_open(settings):
            self.transferred = True
            await twilio_client.redirect_call(
                self.service.twilio,
                self.call_sid,
                twiml.dial(
                    settings.agent_line_number,
                    say_first=text("voice.connecting"),
                ),
            )
        else:
            await asyncio.to_thread(_record_callback, self.conversation_id)


def _link_attempt(call_sid: str, conversation_id: str) -> None:
    with session_scope() as session:
        attempts.link_conversation(session, call_sid, conversation_id)


def _finish_attempt(call_sid: str, conversation_id: str | None) -> None:
    """The call's disposition is the conversation's (promise, refusal, no response...)."""
    with session_scope() as session:
        attempt = attempts.attempt_by_sid(session, call_sid)
        conversation = (
            conversations.conversation(session, conversation_id) if conversation_id else None
        )
        if conversation is not None and conversation.ended_at is None:
            conversations.end(conversation, conversation.disposition or "no_response")
        if attempt is not None and attempt.disposition is None:
            attempt.disposition = conversation.disposition if conversation else "no_conversation"


def _record_callback(conversation_id: str) -> None:
    """Next business day, 10:00 in the customer's zone."""
    with session_scope() as session:
        conversation = conversations.conversation(session, conversation_id)
        account = accounts.account(session, conversation.account_id)
        local = datetime.now(ZoneInfo(account.timezone))
        day = local.date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        when = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(account.timezone))
        records.callback_request(
            session,
            account_id=account.account_id,
            conversation_id=conversation_id,
            callback_at=when,
            requested_text="escalated during a call; no agent line open",
        )
