"""Reminder calls: placing them (through the contact gate), the conversation on the line, the
voicemail for answering machines, transfers to an agent, and the call's records."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.channels.outreach import ContactDenied, gate
from bot.channels.turns import SAFE_REPLY, Conversations
from bot.channels.voice.menu import Menu, keypad_text, menu_for
from bot.compliance.profiles import profile_for
from bot.ledger.db import session_scope
from bot.ledger.models import Account, CallbackRequest, ContactAttempt, Conversation, utcnow
from bot.settings import Settings
from telephony import twilio_client, twiml
from telephony.asr import pool_for
from telephony.audio import Resampler, mulaw_to_pcm16
from telephony.call import ASR_RATE, Prompt, StreamStart

log = logging.getLogger(__name__)
CALL_TTL_S = 24 * 3600
STILL_THERE = "Are you still there?"
NO_RESPONSE = "I haven't heard anything, so I'll end the call now. We'll try again later. Goodbye."


class VoiceUnavailable(Exception):
    """No speech recognition model: the voice channel refuses to start; the rest runs."""


@dataclass(frozen=True)
class KnownCall:
    account_id: str | None
    direction: str


class CallRegistry:
    """Calls the gateway placed or answered: only those may open a media stream."""

    def __init__(self, redis):
        self.redis = redis

    def add(self, call_sid: str, account_id: str | None, direction: str) -> None:
        key = f"voice:call:{call_sid}"
        self.redis.hset(key, mapping={"account_id": account_id or "", "direction": direction})
        self.redis.expire(key, CALL_TTL_S)

    def mark_redirected(self, call_sid: str) -> None:
        """The call now runs other TwiML (voicemail, transfer, safe message): the media session
        ending must not hang it up."""
        self.redis.hset(f"voice:call:{call_sid}", "redirected", "1")

    def redirected(self, call_sid: str) -> bool:
        return self.redis.hget(f"voice:call:{call_sid}", "redirected") is not None

    def get(self, call_sid: str) -> KnownCall | None:
        data = self.redis.hgetall(f"voice:call:{call_sid}")
        if not data:
            return None
        d = {k.decode(): v.decode() for k, v in data.items()}
        return KnownCall(d.get("account_id") or None, d.get("direction", "outbound"))


async def warm_recognizers(settings: Settings, speaker, model) -> None:
    """Warm the shared free-recognition decoders on the bot's own speech (a start-up task):
    the yes/no words and a prompt, in the configured voice."""
    if settings.voice_asr_warm <= 0:
        return
    phrases = [
        settings.voice_yes_words.replace(",", " "),
        settings.voice_no_words.replace(",", " "),
        f"Hello, this is {settings.bank_name}. Please tell me the last four digits.",
    ]
    utterances = []
    for phrase in phrases:
        mulaw = await speaker.synthesize(phrase)
        utterances.append(
            Resampler(from_rate=8000, to_rate=ASR_RATE).convert(mulaw_to_pcm16(mulaw))
        )
    await asyncio.to_thread(pool_for(model, ASR_RATE).warm, utterances, settings.voice_asr_warm)


def digit_words(spec: str) -> dict[str, str]:
    """ "zero|oh,one,...,nine" -> {"zero": "0", "oh": "0", "one": "1", ...}."""
    entries = [entry.strip() for entry in spec.split(",")]
    if len(entries) != 10:
        raise ValueError(f"VOICE_DIGIT_WORDS needs 10 entries (0-9), got {len(entries)}")
    return {
        word.strip().lower(): str(digit)
        for digit, entry in enumerate(entries)
        for word in entry.split("|")
        if word.strip()
    }


def spoken_digits(heard: str, words: dict[str, str]) -> str | None:
    """The digits of a turn heard in the digits grammar, or None if anything else was heard."""
    tokens = heard.lower().split()
    if not tokens or any(t not in words for t in tokens):
        return None
    return "".join(words[t] for t in tokens)


def _ws_url(base: str) -> str:
    return "wss://" + base[8:] if base.startswith("https://") else "ws://" + base[7:]


def agent_line_open(settings: Settings, now: datetime | None = None) -> bool:
    if not settings.agent_line_number:
        return False
    start, end = (time.fromisoformat(t) for t in settings.agent_line_hours.split("-"))
    local = (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(settings.agent_line_timezone))
    first, last = (int(d) for d in settings.agent_line_days.split("-"))
    return first <= local.weekday() <= last and start <= local.time() < end


class VoiceService:
    def __init__(
        self, settings: Settings, conversations: Conversations, registry: CallRegistry, twilio
    ):
        self.settings = settings
        self.conversations = conversations
        self.registry = registry
        self.twilio = twilio
        self.yes = [w.strip() for w in settings.voice_yes_words.split(",") if w.strip()]
        self.no = [w.strip() for w in settings.voice_no_words.split(",") if w.strip()]
        self.digit_words = digit_words(settings.voice_digit_words)

    def url(self, path: str) -> str:
        return self.settings.effective_public_base_url + path

    def stream_url(self) -> str:
        return _ws_url(self.settings.effective_public_base_url) + "/twilio/media"

    async def place_call(self, account_id: str, *, actor: str = "api") -> str:
        decision = await asyncio.to_thread(gate, account_id, "voice", actor)
        if not decision.allowed:
            raise ContactDenied(decision)
        phone = await asyncio.to_thread(_phone, account_id)
        call_sid = await twilio_client.create_call(
            self.twilio,
            to=phone,
            from_=self.settings.twilio_from_number,
            url=self.url("/twilio/voice"),
            status_callback=self.url("/twilio/voice/status"),
            async_amd_status_callback=self.url("/twilio/voice/amd"),
        )
        await asyncio.to_thread(self.registry.add, call_sid, account_id, "outbound")
        await asyncio.to_thread(_record_attempt, account_id, call_sid, "outbound")
        return call_sid

    def answer(self, call_sid: str, caller: str, direction: str) -> str:
        """TwiML for the voice webhook: connect the media stream, or (an unknown caller) offer a
        person without a word about any account."""
        known = self.registry.get(call_sid)
        if known is None and direction.startswith("inbound"):
            account_id = _account_by_phone(caller)
            if account_id is None:
                return self._unknown_caller()
            self.registry.add(call_sid, account_id, "inbound")
            _record_attempt(account_id, call_sid, "inbound", status="in-progress")
        elif known is None:
            return twiml.say_and_hangup("Sorry, this call cannot be connected. Goodbye.")
        return twiml.connect_stream(self.stream_url(), {"call_sid": call_sid})

    def _unknown_caller(self) -> str:
        bank = self.settings.bank_name
        if agent_line_open(self.settings):
            return twiml.dial(
                self.settings.agent_line_number,
                say_first=f"Thank you for calling {bank}. We couldn't match this "
                "number, so I'll connect you with a member of our team.",
            )
        return twiml.say_and_hangup(
            f"Thank you for calling {bank}. We couldn't match this number. Please call us during "
            f"business hours on {self.settings.bank_phone}, or call back from the number we "
            "contacted. Goodbye."
        )

    def voicemail(self, call_sid: str) -> str | None:
        """The limited-content message for an answering machine (no word about any debt)."""
        known = self.registry.get(call_sid)
        if known is None or known.account_id is None:
            return None
        with session_scope() as session:
            account = session.get(Account, known.account_id)
            profile = profile_for(account.jurisdiction)
            text = profile.voicemail.format(
                agent_name="Alex",
                bank=self.settings.bank_name,
                first_name=account.customer_name.split()[0],
                callback_number=self.settings.bank_phone,
            )
            attempt = session.query(ContactAttempt).filter_by(provider_sid=call_sid).first()
            if attempt:
                attempt.disposition = "voicemail"
        self.registry.mark_redirected(call_sid)
        return twiml.say_and_hangup(text)

    def handler(self, call_sid: str) -> VoiceCall:
        return VoiceCall(self, call_sid)


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
                    say_first="I'm connecting you with a member of our team now.",
                ),
            )
        else:
            await asyncio.to_thread(_record_callback, self.conversation_id)


def _phone(account_id: str) -> str:
    with session_scope() as session:
        return session.get(Account, account_id).phone


def _account_by_phone(phone: str) -> str | None:
    with session_scope() as session:
        account = (
            session.query(Account)
            .filter(Account.phone == phone)
            .order_by(Account.account_id)
            .first()
        )
        return account.account_id if account else None


def _record_attempt(account_id: str, call_sid: str, direction: str, status: str = "queued"):
    from bot.compliance import audit

    with session_scope() as session:
        session.add(
            ContactAttempt(
                account_id=account_id,
                channel="voice",
                direction=direction,
                provider_sid=call_sid,
                status=status,
            )
        )
        session.flush()
        audit.append(
            session,
            kind="contact_attempt",
            account_id=account_id,
            actor="voice",
            data={"channel": "voice", "direction": direction, "sid": call_sid},
        )


def _link_attempt(call_sid: str, conversation_id: str) -> None:
    with session_scope() as session:
        attempt = session.query(ContactAttempt).filter_by(provider_sid=call_sid).first()
        if attempt:
            attempt.conversation_id = conversation_id


def _finish_attempt(call_sid: str, conversation_id: str | None) -> None:
    """The call's disposition is the conversation's (promise, refusal, no response...)."""
    with session_scope() as session:
        attempt = session.query(ContactAttempt).filter_by(provider_sid=call_sid).first()
        conversation = session.get(Conversation, conversation_id) if conversation_id else None
        if conversation is not None and conversation.ended_at is None:
            conversation.ended_at, conversation.disposition = (
                utcnow(),
                (conversation.disposition or "no_response"),
            )
        if attempt is not None and attempt.disposition is None:
            attempt.disposition = conversation.disposition if conversation else "no_conversation"


def _record_callback(conversation_id: str) -> None:
    """Next business day, 10:00 in the customer's zone."""
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        account = session.get(Account, conversation.account_id)
        local = datetime.now(ZoneInfo(account.timezone))
        day = local.date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        when = datetime.combine(day, time(10, 0), tzinfo=ZoneInfo(account.timezone))
        session.add(
            CallbackRequest(
                account_id=account.account_id,
                conversation_id=conversation_id,
                callback_at=when,
                requested_text="escalated during a call; no agent line open",
            )
        )
