"""Reminder calls: placing them (through the contact gate), inbound calls, the voicemail for
answering machines. The conversation on the line is bot/channels/voice/media.py; the calls the
gateway knows, registry.py; what keys and spoken digits mean, menu.py."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timezone

from bot.channels.outreach import carry, record_attempt, reserve
from bot.channels.rate_limits import conversation_allowed
from bot.channels.turns import Conversations
from bot.channels.voice import models as speech_models
from bot.channels.voice.agent_line import agent_line_open
from bot.channels.voice.media import VoiceCall
from bot.channels.voice.menu import digit_words, say_language
from bot.channels.voice.registry import HUMAN, CallRegistry
from bot.compliance.gate import recheck_window
from bot.compliance.location import state_of
from bot.compliance.profiles import profile_for
from bot.conversation.language import normalise
from bot.conversation.messages import configured, text
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, attempts
from bot.settings import Settings
from telephony import twilio_client, twiml
from telephony.asr import ModelMissing, warm
from telephony.audio import Resampler, mulaw_to_pcm16
from telephony.call import ASR_RATE

log = logging.getLogger(__name__)


async def warm_recognizers(settings: Settings, speaker, model) -> None:
    """Warm the recognisers on the bot's own speech (the yes/no words and a prompt, in the
    configured voice) before the gateway serves: a Vosk decoder per call it is sized for
    (VOICE_MAX_CALLS), or one Whisper decoding."""
    if settings.voice_asr_warm <= 0:
        return
    phrases = [
        settings.voice_yes_words.replace(",", " "),
        settings.voice_no_words.replace(",", " "),
        text("voice.warm_up", bank=settings.bank_name),
    ]
    utterances = []
    for phrase in phrases:
        mulaw = await speaker.synthesize(phrase)
        utterances.append(
            Resampler(from_rate=8000, to_rate=ASR_RATE).convert(mulaw_to_pcm16(mulaw))
        )
    count = max(settings.voice_asr_warm, settings.voice_max_calls)
    await asyncio.to_thread(warm, model, utterances, count)


def _ws_url(base: str) -> str:
    return "wss://" + base[8:] if base.startswith("https://") else "ws://" + base[7:]


class VoiceService:
    def __init__(
        self, settings: Settings, conversations: Conversations, registry: CallRegistry, twilio
    ):
        self.settings = settings
        self.conversations = conversations
        self.registry = registry
        self.twilio = twilio
        self.yes, self.no = _words(settings.voice_yes_words), _words(settings.voice_no_words)
        self.yes_no_zh = (_words(settings.voice_yes_words_zh), _words(settings.voice_no_words_zh))
        self.digit_words = digit_words(settings.voice_digit_words)
        self.digit_words_zh = digit_words(settings.voice_digit_words_zh)
        self.clock = lambda: datetime.now(timezone.utc)
        # The recognisers of the languages other than the gateway's own (English) model's,
        # loaded on a first call in that language; None: none configured or installed.
        self._models: dict[str, object | None] = {}
        self._models_lock = threading.Lock()

    def recognition_model(self, call_sid: str, default):
        """The speech model for the call's customer: the Mandarin one for a zh account (a call
        must not be heard by the English model), `default` (the gateway's) for the rest, and
        for zh too when no Mandarin model is installed (the keypad still works)."""
        known = self.registry.get(call_sid)
        if known is None or known.account_id is None:
            return default
        with session_scope() as session:
            lang = normalise(accounts.account(session, known.account_id).language)
        return self.model_for(lang, default)

    def model_for(self, lang: str, default):
        """The speech model of a language (loaded once), `default` for English or when none is
        installed for it."""
        if lang == "en":
            return default
        with self._models_lock:
            if lang not in self._models:
                try:
                    self._models[lang] = speech_models.load(self.settings, lang)
                except ModelMissing as missing:
                    log.warning("no %s speech model, the call uses the default: %s", lang, missing)
                    self._models[lang] = None
            return self._models[lang] or default

    def languages_heard(self) -> list[str]:
        """English and every language whose own speech model is loaded (for /health)."""
        with self._models_lock:
            return ["en", *sorted(lang for lang, model in self._models.items() if model)]

    def yes_no_words(self, lang: str) -> tuple[list[str], list[str]]:
        """The words that mean yes and no in a grammar turn, in the call's language."""
        return self.yes_no_zh if lang.startswith("zh") else (self.yes, self.no)

    def digit_words_for(self, lang: str) -> dict[str, str]:
        """The words for 0-9 in a digits turn, in the call's language."""
        return self.digit_words_zh if lang.startswith("zh") else self.digit_words

    def url(self, path: str) -> str:
        return self.settings.effective_public_base_url + path

    def stream_url(self, token: str) -> str:
        """The call's own stream URL: its single-use token in the path (registry.py)."""
        return _ws_url(self.settings.effective_public_base_url) + f"/twilio/media/{token}"

    async def place_call(self, account_id: str, *, actor: str = "api") -> str:
        """Gate and hold the attempt, then call (bot/channels/outreach.py); the call is
        registered as soon as Twilio accepts it, before Twilio asks for its TwiML."""
        held = await asyncio.to_thread(reserve, self.registry.redis, account_id, "voice", actor)
        phone = await asyncio.to_thread(_phone, account_id)

        async def dial() -> str:
            return await twilio_client.create_call(
                self.twilio,
                to=phone,
                from_=self.settings.twilio_from_number,
                url=self.url("/twilio/voice"),
                status_callback=self.url("/twilio/voice/status"),
                async_amd_status_callback=self.url("/twilio/voice/amd"),
            )

        return await carry(
            held,
            dial,
            actor="voice",
            audited={"direction": "outbound"},
            accepted=lambda sid: self.registry.add(sid, account_id, "outbound"),
        )

    def answer(self, call_sid: str, caller: str, direction: str) -> str:
        """TwiML for the voice webhook: connect the media stream, or (an unknown caller) offer a
        person without a word about any account."""
        known = self.registry.get(call_sid)
        if known is None and direction.startswith("inbound"):
            account_id = _account_by_phone(caller)
            # Unknown, or calling again and again (guessing a code): a person, not the bot.
            if account_id is None or not conversation_allowed(
                self.registry.redis, "voice", caller, self.settings.conversations_per_hour
            ):
                return self._unknown_caller()
            self.registry.add(call_sid, account_id, "inbound")
            _record_call(account_id, call_sid, "inbound", status="in-progress")
        elif known is None:
            return twiml.say_and_hangup(text("voice.cannot_connect"))
        elif self.window_closed(call_sid, "answered"):
            self.registry.mark_redirected(call_sid)
            return twiml.say_and_hangup(text("voice.outside_window"))
        token = self.registry.issue_stream_token(call_sid)
        return twiml.connect_stream(self.stream_url(token), {"call_sid": call_sid})

    def window_closed(self, call_sid: str, stage: str) -> bool:
        """An outbound call reaching the end of the calling window between being placed and
        being dialled or answered (a carrier's queue): True if it must not go on. The refusal
        is audited (compliance.gate.recheck_window) and the attempt's disposition says why."""
        known = self.registry.get(call_sid)
        if known is None or known.account_id is None or known.direction.startswith("inbound"):
            return False
        with session_scope() as session:
            attempt = attempts.attempt_by_sid(session, call_sid)
            if attempt is not None and attempt.disposition == "outside_window":
                return True  # found at an earlier stage (dialling, then ringing)
            decision = recheck_window(
                session, known.account_id, stage=stage, now=self.clock(), actor="voice"
            )
            if decision:
                return False
            attempts.set_disposition(session, call_sid, "outside_window")
        return True

    def _unknown_caller(self) -> str:
        bank = self.settings.bank_name
        if agent_line_open(self.settings):
            return twiml.dial(
                self.settings.agent_line_number,
                say_first=text("voice.unknown_caller_transfer", bank=bank),
            )
        return twiml.say_and_hangup(
            text("voice.unknown_caller", bank=bank, bank_phone=self.settings.bank_phone)
        )

    def _voicemail_agent(self, lang: str = "en") -> str:
        """The natural person the limited-content message names (Reg F §1006.2(j)): a setting,
        never a made-up name in the code."""
        name = self.settings.voicemail_agent_name
        if not name:
            log.warning("VOICEMAIL_AGENT_NAME is not set: the voicemail names the team")
            return text("voice.team_name", lang)
        return name

    def limited_content(self, account) -> str:
        """The limited-content message (Reg F §1006.2(j)): a natural person's name, a request to
        call back, the number, nothing about any debt — in the jurisdiction's wording (the
        policy), without the bank's name where a state forbids naming the creditor to others
        (940 CMR 7.05: a recording may be heard by anyone in the household)."""
        profile = profile_for(account.jurisdiction, state_of(account.phone))
        lang = normalise(account.language)
        agent, first_name = self._voicemail_agent(lang), _first_name(account.customer_name, lang)
        number = self.settings.bank_phone
        if not profile.name_creditor_to_others:
            return text(
                "voicemail.no_creditor",
                lang,
                agent_name=agent,
                first_name=first_name,
                callback_number=number,
            )
        bank = self.settings.bank_name_zh if lang == "zh" else self.settings.bank_name
        return configured(profile.voicemail_key, lang).format(
            bank=bank, agent_name=agent, first_name=first_name, callback_number=number
        )

    def neutral_opening(self, call_sid: str) -> str:
        """What a call says while answering-machine detection runs: the limited-content message
        itself, so a person is not left on a silent line and a machine records nothing more."""
        known = self.registry.get(call_sid)
        with session_scope() as session:
            return self.limited_content(accounts.account(session, known.account_id))

    def voicemail(self, call_sid: str) -> str | None:
        """The limited-content message for an answering machine (no word about any debt)."""
        known = self.registry.get(call_sid)
        if known is None or known.account_id is None:
            return None
        with session_scope() as session:
            message = self.limited_content(accounts.account(session, known.account_id))
            attempts.set_disposition(session, call_sid, "voicemail")
            lang = normalise(accounts.account(session, known.account_id).language)
        self.registry.mark_redirected(call_sid)
        return twiml.say_and_hangup(message, language=say_language(lang))

    async def cancel(self, call_sid: str) -> None:
        """Stop a call that is being dialled or rings (it has not been answered)."""
        self.registry.mark_redirected(call_sid)
        try:
            await twilio_client.cancel_call(self.twilio, call_sid)
        except Exception as exc:  # noqa: BLE001 - it may have been answered or ended meanwhile
            log.info("could not cancel call %s: %s", call_sid, exc)

    async def detected(self, call_sid: str, result: str) -> None:
        """Who answered, settled once (registry.detect): a person gets the conversation (its
        media session reads the result); a machine, a fax, "unknown" or no result in time gets
        the voicemail — nothing of the conversation may land on a recording (issue #12)."""
        settled = await asyncio.to_thread(self.registry.detect, call_sid, result)
        if settled != result or result == HUMAN:
            return
        message = await asyncio.to_thread(self.voicemail, call_sid)
        if message is None:
            return
        try:
            await twilio_client.redirect_call(self.twilio, call_sid, message)
        except Exception as exc:  # noqa: BLE001 - the caller may have hung up already
            log.info("could not leave the voicemail on %s: %s", call_sid, exc)

    def handler(self, call_sid: str) -> VoiceCall:
        return VoiceCall(self, call_sid)


def _first_name(name: str, lang: str) -> str:
    """How a message addresses the customer: the first name, or a Chinese name whole."""
    return name if lang == "zh" else name.split()[0]


def _words(spec: str) -> list[str]:
    return [w.strip() for w in spec.split(",") if w.strip()]


def _phone(account_id: str) -> str:
    with session_scope() as session:
        return accounts.account(session, account_id).phone


def _account_by_phone(phone: str) -> str | None:
    with session_scope() as session:
        return accounts.account_id_by_phone(session, phone)


def _record_call(account_id: str, call_sid: str, direction: str, status: str = "queued"):
    record_attempt(
        account_id,
        "voice",
        direction,
        call_sid,
        actor="voice",
        audited={"direction": direction},
        status=status,
    )
