"""Reminder calls: placing them (through the contact gate), inbound calls, the voicemail for
answering machines. The conversation on the line is bot/channels/voice/media.py; the calls the
gateway knows, registry.py; what keys and spoken digits mean, menu.py."""

from __future__ import annotations

import asyncio
import logging

from bot.channels.outreach import carry, record_attempt, reserve
from bot.channels.rate_limits import conversation_allowed
from bot.channels.turns import Conversations
from bot.channels.voice.agent_line import agent_line_open
from bot.channels.voice.media import VoiceCall
from bot.channels.voice.menu import digit_words
from bot.channels.voice.registry import CallRegistry
from bot.compliance.profiles import profile_for
from bot.conversation.messages import text
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, attempts
from bot.settings import Settings
from telephony import twilio_client, twiml
from telephony.asr import pool_for
from telephony.audio import Resampler, mulaw_to_pcm16
from telephony.call import ASR_RATE

log = logging.getLogger(__name__)


async def warm_recognizers(settings: Settings, speaker, model) -> None:
    """Warm the shared free-recognition decoders on the bot's own speech (a start-up task):
    the yes/no words and a prompt, in the configured voice."""
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
    await asyncio.to_thread(pool_for(model, ASR_RATE).warm, utterances, settings.voice_asr_warm)


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
        self.yes = [w.strip() for w in settings.voice_yes_words.split(",") if w.strip()]
        self.no = [w.strip() for w in settings.voice_no_words.split(",") if w.strip()]
        self.digit_words = digit_words(settings.voice_digit_words)

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
        token = self.registry.issue_stream_token(call_sid)
        return twiml.connect_stream(self.stream_url(token), {"call_sid": call_sid})

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

    def _voicemail_agent(self) -> str:
        """The natural person the limited-content message names (Reg F §1006.2(j)): a setting,
        never a made-up name in the code."""
        name = self.settings.voicemail_agent_name
        if not name:
            log.warning("VOICEMAIL_AGENT_NAME is not set: the voicemail names the team")
            return text("voice.team_name")
        return name

    def voicemail(self, call_sid: str) -> str | None:
        """The limited-content message for an answering machine (no word about any debt)."""
        known = self.registry.get(call_sid)
        if known is None or known.account_id is None:
            return None
        with session_scope() as session:
            account = accounts.account(session, known.account_id)
            profile = profile_for(account.jurisdiction)
            # The voicemail's wording is the jurisdiction's (limited content), in the policy.
            message = profile.voicemail.format(
                agent_name=self._voicemail_agent(),
                bank=self.settings.bank_name,
                first_name=account.customer_name.split()[0],
                callback_number=self.settings.bank_phone,
            )
            attempts.set_disposition(session, call_sid, "voicemail")
        self.registry.mark_redirected(call_sid)
        return twiml.say_and_hangup(message)

    def handler(self, call_sid: str) -> VoiceCall:
        return VoiceCall(self, call_sid)


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
