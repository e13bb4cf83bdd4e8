"""The conversation on one call: what the media session (telephony/call.py) asks of the bot at
the start, on each turn, on silence, on hang-up and when the pipeline fails; and the call's
ledger records (its attempt linked to the conversation, its disposition, a callback)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta
from time import monotonic
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.channels import outage
from bot.channels.voice.agent_line import agent_line_open
from bot.channels.voice.answers import whole_answer
from bot.channels.voice.menu import (
    MEANINGS,
    Menu,
    keypad_text,
    menu_for,
    say_language,
    spoken_digits,
)
from bot.channels.voice.registry import HUMAN
from bot.conversation.awaiting import Awaiting
from bot.conversation.messages import text
from bot.ledger.db import LEDGER_DOWN, session_scope
from bot.ledger.repo import accounts, attempts, conversations, records
from telephony import twilio_client, twiml
from telephony.call import Prompt, StreamStart

if TYPE_CHECKING:  # the service makes a VoiceCall per call; only its type is needed here
    from bot.channels.voice.service import VoiceService

log = logging.getLogger(__name__)
# How often a call waiting for the answering-machine result looks at it (in Redis).
DETECTION_POLL_S = 0.05


class VoiceCall:
    """The conversation on one call: the CallHandler the media session talks to."""

    def __init__(self, service: VoiceService, call_sid: str):
        self.service = service
        self.call_sid = call_sid
        self.conversation_id: str | None = None
        self.menu: Menu | None = None
        self.awaiting: Awaiting | None = None
        self.lang = "en"  # the conversation's language, from each reply's meta
        self.last_prompt: list[str] = []
        self.ended = False
        self.transferred = False
        self.account_id: str | None = None
        self.detection_ends = 0.0
        self.detection_lock = asyncio.Lock()

    async def on_start(self, start: StreamStart) -> Prompt:
        known = await asyncio.to_thread(self.service.registry.get, start.call_sid)
        self.account_id = known.account_id
        if known.direction.startswith("inbound"):
            return await self._open()  # the customer called us: a person, no detection
        # An outbound call: nothing of the conversation before Twilio reports a person.
        self.detection_ends = monotonic() + self.service.settings.voice_amd_wait_s
        settings = self.service.settings
        answered = await self._wait_for_detection(settings.voice_amd_grace_ms / 1000)
        if answered is None:
            # Still detecting: the neutral opening, itself a limited-content message, so a
            # person hears something at once and a machine records nothing more; then the
            # conversation once a person is reported (47 CFR 64.1200(a)(7); Reg F §1006.2(j)).
            opening = await asyncio.to_thread(self.service.neutral_opening, self.call_sid)
            return Prompt([opening], then=self._after_detection)
        return await self._after_detection()

    async def _wait_for_detection(self, wait_s: float) -> str | None:
        registry, until = self.service.registry, monotonic() + wait_s
        while True:
            answered = await asyncio.to_thread(registry.answered_by, self.call_sid)
            if answered is not None or monotonic() >= until:
                return answered
            await asyncio.sleep(DETECTION_POLL_S)

    async def _after_detection(self) -> Prompt:
        """The conversation for a person; for anything else (a machine, "unknown", no result in
        time) nothing: the voicemail replaces the stream (VoiceService.detected). Once only:
        a caller's words during the neutral opening wait here too."""
        async with self.detection_lock:
            if self.conversation_id is not None or self.ended:
                return Prompt([])
            left = self.detection_ends - monotonic()
            answered = await self._wait_for_detection(max(0.0, left))
            if answered is None:  # no result in time: a machine, as far as we may assume
                await self.service.detected(self.call_sid, "timeout")
                answered = await asyncio.to_thread(self.service.registry.answered_by, self.call_sid)
            if answered != HUMAN:
                self.ended = True
                return Prompt([])
            return await self._open()

    async def _open(self) -> Prompt:
        opened = await self.service.conversations.start(self.account_id, "voice")
        self.conversation_id = opened.conversation_id
        await asyncio.to_thread(_link_attempt, self.call_sid, opened.conversation_id)
        if opened.failed:
            return await self._safe_message_and_hang_up()
        return self._prompt(opened.messages, opened.meta, opened.ended)

    async def on_turn(self, text: str, *, keypad: bool, free_text: str | None = None) -> Prompt:
        if self.conversation_id is None:  # words over the neutral opening: not a turn yet
            return await self._after_detection()
        if keypad:
            text = keypad_text(self.menu or menu_for(None, 0, self.lang), text)
        elif self.menu and self.menu.yes_no:
            text = self._yes_no(text)
        elif self.menu and self.menu.digits:
            # Exactly the digits asked for, or else what free recognition heard (a date of
            # birth, "I don't know"): a grammar turns any speech into some digits.
            digits = spoken_digits(text, self.service.digit_words_for(self.lang))
            if digits and len(digits) == self.menu.max_digits:
                text = digits
            elif free_text is not None:
                text = free_text
        # The ledger down mid-call: the turn is kept in the spool and answered like any failed
        # turn (a turn runs as a task of the media session, so an error here would be only
        # logged, the caller left in silence and no case queued).
        reply = await outage.send_or_keep(
            self.service.conversations, self.conversation_id, text or "..."
        )
        if reply.failed:
            return await self._safe_message_and_hang_up()
        if set(reply.meta.get("escalations", [])) & {"customer_request", "not_understood"}:
            await self._hand_over()
        return self._prompt(reply.messages, reply.meta, reply.ended)

    async def on_silence(self, count: int) -> Prompt:
        if self.conversation_id is None:
            return await self._after_detection()
        if count > 2:
            self.ended = True
            return Prompt([text("voice.no_response", self.lang)], hangup=True, voice=self._voice())
        return self._listening([text("voice.still_there", self.lang), *self.last_prompt[-1:]])

    async def fail_safe(self) -> None:
        """The media pipeline broke mid-call: say the safe message and queue the case (kept in
        the spool when the ledger itself is what broke: bot/channels/outage.py)."""
        if self.conversation_id:
            try:
                await asyncio.to_thread(
                    self.service.conversations.record_failure, self.conversation_id, None
                )
            except LEDGER_DOWN:
                await asyncio.to_thread(outage.keep_turn, self.conversation_id, None)
        await self._safe_message_and_hang_up()

    async def _safe_message_and_hang_up(self) -> Prompt:
        """Rasa, the action server or the ledger failed this turn (the case is queued already):
        the safe message as TwiML, so the caller hears it whatever state the media path is in,
        then the line is closed rather than left with a bot that cannot answer."""
        self.transferred = True  # the call is ended by the TwiML below, not by on_hangup
        self.ended = True
        try:
            await twilio_client.redirect_call(
                self.service.twilio,
                self.call_sid,
                twiml.say_and_hangup(
                    text("failure.safe_reply", self.lang), language=say_language(self.lang)
                ),
            )
        except Exception as exc:  # noqa: BLE001 - the line may already be gone
            log.info("could not play the safe message on %s: %s", self.call_sid, exc)
        return Prompt([])

    async def on_hangup(self) -> None:
        try:
            redirected = await asyncio.to_thread(self.service.registry.redirected, self.call_sid)
        except outage.REDIS_DOWN:
            # A redirect is marked there before it is made, so none was made while Redis is
            # down: the call is ours to end (a caller left on a dead stream hears silence).
            redirected = False
        if not (self.transferred or redirected):
            try:
                await twilio_client.end_call(self.service.twilio, self.call_sid)
            except Exception as exc:  # noqa: BLE001 - the call may have ended on its own
                log.info("ending call %s: %s", self.call_sid, exc)
        try:
            await asyncio.to_thread(_finish_attempt, self.call_sid, self.conversation_id)
        except LEDGER_DOWN:  # the attempt's disposition is written when the ledger is back
            await asyncio.to_thread(outage.keep_call_end, self.call_sid, self.conversation_id)

    # -- helpers ------------------------------------------------------------------------------
    def _prompt(self, messages: list[str], meta: dict, ended: bool) -> Prompt:
        self.ended = ended
        self.lang = meta.get("lang") or self.lang
        misunderstood = meta.get("misunderstood", 0)
        self.menu = None if ended else menu_for(meta.get("awaiting"), misunderstood, self.lang)
        self.awaiting = None if ended else Awaiting.read(meta.get("awaiting"))
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
            voice=self._voice(),
        )

    def _voice(self) -> str | None:
        """The conversation's language; English in the configured TTS voice."""
        return None if self.lang.startswith("en") else self.lang

    def _grammar(self) -> list[str] | None:
        if self.menu and self.menu.yes_no:
            yes, no = self.service.yes_no_words(self.lang)
            return [*yes, *no]
        if self.menu and self.menu.digits:
            return sorted(self.service.digit_words_for(self.lang))
        return None

    def _is_complete(self):
        """A digits turn is a whole answer once all the digits asked for were heard (callers
        pause between digits), or its free recognition a date of birth; a yes/no turn when the
        text is one of its phrases (the session's default); free speech when it holds all the
        awaited question asks for (answers.py: an amount and a date, a month count)."""
        free = whole_answer(self.awaiting, self.lang)
        if not (self.menu and self.menu.digits):
            return None if self.menu and self.menu.yes_no else free
        words, wanted = self.service.digit_words_for(self.lang), self.menu.max_digits

        def complete(heard: str) -> bool:
            digits = spoken_digits(heard, words)
            if digits is not None and len(digits) == wanted:
                return True
            return free is not None and free(heard)

        return complete

    def _yes_no(self, heard: str) -> str:
        """The grammar's word for yes or no as the conversation reads it, in its language."""
        words, (yes, no) = heard.lower(), self.service.yes_no_words(self.lang)
        said = MEANINGS["zh" if self.lang.startswith("zh") else "en"]
        if any(w.lower() in words for w in no):
            return said["no"]
        if any(w.lower() in words for w in yes):
            return said["yes"]
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
    with session_scope() as session:
        attempts.finish_call(session, call_sid, conversation_id)


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
