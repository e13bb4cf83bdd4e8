"""The SMS channel: one inbound text, one turn. Opt-outs (keywords and any reasonable wording,
bot/compliance/revocation.py) are handled before anything else; everything else is a turn of the
account's SMS conversation, its reply carrying the opt-out line."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from functools import lru_cache

from bot.channels import outage, repeats, sessions
from bot.channels.rate_limits import conversation_allowed
from bot.channels.sms_text import compose, keyword
from bot.channels.turns import Conversations
from bot.compliance import opt_outs
from bot.compliance.profiles import Profile, profile_for
from bot.compliance.revocation import Revocation, answer, revocation
from bot.conversation.language import language_of, normalise
from bot.conversation.messages import configured, text
from bot.conversation.policy import load_policy
from bot.conversation.wording import product_name
from bot.infra import webhook_events
from bot.ledger.db import LEDGER_DOWN, session_scope
from bot.ledger.repo import accounts, conversations, dialogue, records
from bot.settings import get_settings

log = logging.getLogger(__name__)


# China's mobile numbers: the Chinese opt-out words (T, TD) are read for them whatever the
# account's language, and a number with no account is answered in Mandarin under the CN profile.
CN_PREFIX = "+86"


def _default_names() -> dict[str, str]:
    return {"zh": get_settings().bank_name_zh}


@dataclass(frozen=True)
class Bank:
    name: str
    phone: str
    # The bank's name in other languages ({"zh": "浦发银行"}); `name` where none is given.
    names: dict[str, str] = field(default_factory=_default_names, hash=False, compare=False)

    def called(self, lang: str) -> str:
        return self.names.get(lang) or self.name


@dataclass(frozen=True)
class Sender:
    """Who texted, as far as the ledger knows before the turn."""

    account_id: str | None
    conversation_id: str | None
    lang: str  # the account's language ("en" | "zh"); Mandarin for an unknown CN number
    jurisdiction: str
    cn_number: bool = False

    @property
    def languages(self) -> tuple[str, ...]:
        """The opt-out words to read besides English: the customer's language's (zh
        customers) and, for a CN number, Chinese whatever the account says."""
        return tuple(dict.fromkeys((self.lang, *(("zh",) if self.cn_number else ()))))


def _texts(bank: Bank, lang: str) -> dict[str, str]:
    name = bank.called(lang)
    return {
        "stopped": text("sms.stopped", lang, bank=name),
        "started": text("sms.started", lang, bank=name),
        "help": text("sms.help", lang, bank=name, bank_phone=bank.phone),
        "unknown": text("sms.unknown", lang, bank=name, bank_phone=bank.phone),
        "too_many": text("sms.too_many", lang, bank=name, bank_phone=bank.phone),
        "stopped_calls": text("sms.stopped_calls", lang, bank=name),
        "stopped_all": text("sms.stopped_all", lang, bank=name),
        "stopped_ask": text("sms.stopped_ask", lang, bank=name),
        "stopped_calls_too": text("sms.stopped_calls_too", lang, bank=name),
    }


class SmsChannel:
    def __init__(self, conversations: Conversations, bank: Bank):
        self.conversations = conversations
        self.bank = bank
        self.texts = _texts(bank, "en")

    def _said(self, name: str, lang: str) -> str:
        return (self.texts if lang == "en" else _texts(self.bank, lang))[name]

    async def inbound(self, *, message_sid: str, sender: str, body: str) -> list[str]:
        """Reply texts for one inbound SMS; a retried MessageSid gets the same replies. With the
        ledger down the text is kept in the spool and answered safely (bot/channels/outage.py)."""
        try:
            return await self._inbound(message_sid, sender, body)
        except LEDGER_DOWN as exc:
            log.error("the ledger is down (%s): the SMS was kept in the spool", type(exc).__name__)
            return await asyncio.to_thread(self._kept, message_sid, sender, body)

    async def _inbound(self, message_sid: str, sender: str, body: str) -> list[str]:
        if not await asyncio.to_thread(webhook_events.claim, "sms", message_sid):
            previous = await asyncio.to_thread(
                webhook_events.first_response, "sms", message_sid, wait_s=repeats.WAIT_S
            )
            if previous is not None:
                return previous
            # The first delivery has no answer after a turn's time: its gateway died in it (a
            # webhook HAProxy replays, bot/infra/replicas.py). Handled now, or the text is lost;
            # Twilio gives up on a webhook after 15 s.
            log.warning("a repeated MessageSid had no answer to its first delivery: handled now")
        try:
            replies = await self._reply(sender, body)
        except Exception:
            await asyncio.to_thread(webhook_events.forget, "sms", message_sid)
            raise
        await asyncio.to_thread(webhook_events.remember, "sms", message_sid, replies)
        return replies

    async def _reply(self, sender: str, body: str) -> list[str]:
        who = await asyncio.to_thread(_find, sender)
        account_id, conversation_id = who.account_id, who.conversation_id
        # Any reasonable wording of an opt-out, before Rasa (TCPA revocation by any reasonable
        # means, FCC 24-24; Reg F §1006.6(e)): bot/compliance/revocation.py. The customer's own
        # language's words too ("退订", "TD", "不要再打电话"), and Chinese for a CN number.
        found = revocation(body, who.languages)
        word = None if found is not None else keyword(body)
        # The answer is in the language the customer wrote in, whatever the account says; the
        # Latin keywords ("STOP", "TD", "HELP") are carrier words that tell no language.
        heard = language_of(body)
        if (found and found.keyword) or word:
            heard = heard if heard == "zh" else None
        lang = heard or who.lang
        say = _Dress(who.jurisdiction)
        if found is not None:
            if account_id:
                await asyncio.to_thread(
                    _honour, self.conversations.queue, account_id, conversation_id, found, body
                )
            return say(self._stopped(found, lang))
        if word == "start":
            if account_id:
                await asyncio.to_thread(_opt_in, account_id)
            return say(self._said("started", lang))
        if word == "help":
            return say(self._said("help", lang))
        if account_id is None:
            return say(self._said("unknown", lang))
        answered = await asyncio.to_thread(
            _answer_the_question,
            self.conversations.queue,
            account_id,
            conversation_id,
            body,
            who.languages,
        )
        if answered is not None:
            return say(
                self._said("stopped_all" if answered == "all" else "stopped_calls_too", lang)
            )
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
                return say(self._said("too_many", lang))
            # The customer wrote first: open their SMS conversation quietly and let their
            # message be its first turn.
            opened = await self.conversations.start(account_id, "sms")
            conversation_id = opened.conversation_id
        verified = await asyncio.to_thread(_verified, conversation_id)
        reply = await self.conversations.send(conversation_id, body)
        # The reply is in the conversation's language after this turn (the bot follows the
        # customer: bot/conversation/language.py). Every reply carries the opt-out line (Reg F
        # §1006.6(e)) and, in a conversation verified before this turn (its disclosure already
        # sent), the later disclosure (§1006.18(e)(2)).
        thread = await asyncio.to_thread(_thread, conversation_id, verified, self.bank)
        return thread.compose(reply.messages)

    def _kept(self, message_sid: str, sender: str, body: str) -> list[str]:
        """The answer without the ledger: an opt-out is confirmed (it is kept, fsynced, and no
        contact can be decided before it is replayed: the gate reads the ledger), HELP is
        answered, anything else gets the safe message with the opt-out line. Read by the number
        alone (no account): Chinese words and Mandarin for a CN number."""
        cn = sender.strip().startswith(CN_PREFIX)
        languages = ("zh",) if cn else ()
        found = revocation(body, languages)
        word = None if found is not None else keyword(body)
        lang = "zh" if cn or language_of(body) == "zh" else "en"
        jurisdiction = "CN" if cn else "US"
        if word != "help":
            outage.keep_text(message_sid, sender, body, found, word)
        say = _Dress(jurisdiction)
        if found is not None:
            return say(self._stopped(found, lang))
        if word == "start":
            return say(self._said("started", lang))
        if word == "help":
            return say(self._said("help", lang))
        profile = profile_for(jurisdiction)
        thread = Thread(
            verified=False,
            lang=lang,
            opt_out_line=opt_out_line(profile, lang),
            later_disclosure="",
            signature=profile.sms_signature,
            max_segments=profile.sms_max_segments,
        )
        return thread.compose([text("failure.safe_reply", lang)])

    def _stopped(self, found: Revocation, lang: str) -> str:
        if found.named == "all":
            return self._said("stopped_all", lang)
        if found.named == "calls":
            return self._said("stopped_calls", lang)
        if found.asks_which_others:
            return self._said("stopped_ask", lang)
        return self._said("stopped", lang)


@dataclass(frozen=True)
class _Dress:
    """A keyword's answer as a text of the sender's jurisdiction: signed where the carriers
    require it, within its segments. It carries its own opt-out wording (or is the opt-out)."""

    jurisdiction: str

    def __call__(self, message: str) -> list[str]:
        style = profile_for(self.jurisdiction)
        return compose(
            [message],
            opt_out_line="",
            signature=style.sms_signature,
            max_segments=style.sms_max_segments,
        )


@dataclass(frozen=True)
class Thread:
    """How the texts of a conversation look: the opt-out line in its language, the later
    disclosure once verified, the jurisdiction's signature and segment budget."""

    verified: bool
    lang: str
    opt_out_line: str
    later_disclosure: str
    signature: str = ""
    max_segments: int = 1

    def compose(self, messages: list[str]) -> list[str]:
        return compose(
            messages,
            opt_out_line=self.opt_out_line,
            opening=self.later_disclosure if self.verified else "",
            signature=self.signature,
            max_segments=self.max_segments,
        )


def opt_out_line(profile: Profile, lang: str) -> str:
    """The profile's opt-out line in the customer's language ("回复TD退订")."""
    return configured(profile.sms_opt_out_key, lang)


@lru_cache(maxsize=64)
def _later_disclosure(jurisdiction: str, product: str, lang: str, bank: str) -> str:
    legal = load_policy().later_disclosure(jurisdiction, lang)
    return " ".join(legal.format(bank=bank, product=product_name(product, lang)).split())


def thread_for(account, lang: str, *, verified: bool, bank: Bank | None = None) -> Thread:
    """The look of a text to `account` in `lang` (the reply of a turn, or an outreach text)."""
    bank = bank or Bank(get_settings().bank_name, get_settings().bank_phone)
    profile = profile_for(account.jurisdiction)
    return Thread(
        verified=verified,
        lang=lang,
        opt_out_line=opt_out_line(profile, lang),
        later_disclosure=_later_disclosure(
            account.jurisdiction, account.product, lang, bank.called(lang)
        ),
        signature=profile.sms_signature,
        max_segments=profile.sms_max_segments,
    )


def reminder_texts(account_id: str, messages: list[str]) -> list[str]:
    """The texts of an outreach reminder (bot/channels/outreach.py): in the account's
    language, signed where the jurisdiction requires it, the opt-out line in the first text's
    budget too (Reg F §1006.6(e))."""
    with session_scope() as session:
        account = accounts.account(session, account_id)
        thread = thread_for(account, normalise(account.language), verified=False)
    return thread.compose(messages)


def _verified(conversation_id: str) -> bool:
    with session_scope() as session:
        return bool(conversations.conversation(session, conversation_id).verified)


def _thread(conversation_id: str, verified: bool, bank: Bank) -> Thread:
    with session_scope() as session:
        conversation = conversations.conversation(session, conversation_id)
        account = accounts.account(session, conversation.account_id)
        state = dialogue.state(session, conversation_id) or {}
        lang = normalise(state.get("lang") or account.language)
        return thread_for(account, lang, verified=verified, bank=bank)


def _find(phone: str) -> Sender:
    """The account for a sender's number and its open SMS conversation, if any. Where several
    accounts share a number, the one with the most recent open SMS conversation wins."""
    cn = phone.strip().startswith(CN_PREFIX)
    with session_scope() as session:
        open_conversation = conversations.open_sms_conversation_for_phone(session, phone)
        account_id = (
            open_conversation.account_id
            if open_conversation
            else accounts.account_id_by_phone(session, phone)
        )
        account = accounts.account(session, account_id) if account_id else None
        if account is None:
            return Sender(None, None, "zh" if cn else "en", "CN" if cn else "US", cn_number=cn)
        return Sender(
            account_id,
            open_conversation.id if open_conversation else None,
            normalise(account.language),
            account.jurisdiction,
            cn_number=cn,
        )


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


def _answer_the_question(queue, account_id, conversation_id, body, languages) -> str | None:
    """ "CALLS" / "YES" / "电话" answering the one "which others?" text (47 CFR
    64.1200(a)(12)): what it named, recorded; None when no question is open or this is no
    answer to it."""
    named = answer(body, languages)
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
