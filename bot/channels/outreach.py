"""Outbound contact: every reminder call and text asks the contact gate first.

The gate's decision and a pending attempt are one transaction, taken under the account's (and
the number's) lock in Redis, before the carrier is called (`reserve`): two requests deciding at
the same time are serialised, and the second sees the first's attempt in the caps. The carrier is
then called outside the lock (`carry`), and the attempt completed with its SID, or marked failed
if the carrier refused. A crash between the two leaves the attempt pending — counted."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone

from redis.exceptions import LockError

from bot.agents.escalations import EscalationQueue
from bot.channels import outage
from bot.channels.sms import reminder_texts
from bot.channels.turns import AccountNotFound, Conversations
from bot.compliance.gate import GateDecision, check_contact
from bot.compliance.location import plausible_zones, state_of
from bot.compliance.profiles import profile_for
from bot.compliance.rules import text_validity_s
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, attempts
from bot.settings import Settings, get_settings
from telephony import twilio_client

log = logging.getLogger(__name__)
# The lock covers the gate and one insert, never the carrier call: seconds are plenty.
LOCK_TIMEOUT_S = 10
LOCK_WAIT_S = 5


class ContactDenied(Exception):
    def __init__(self, decision: GateDecision):
        super().__init__(f"{decision.reason} {decision.detail}".strip())
        self.decision = decision


class ContactBusy(Exception):
    """Another contact to this account (or number) was being decided for too long."""


class CarrierRefused(Exception):
    """The carrier refused: nothing reached the customer, the attempt is marked failed."""


class ContactUncertain(Exception):
    """The carrier accepted (or may have) but the request did not finish: the customer may have
    been contacted, so a retry must not contact them again."""


@dataclass(frozen=True)
class SmsSent:
    conversation_id: str
    message_sids: list[str]


@contextmanager
def _locked(redis, name: str):
    lock = redis.lock(name, timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_WAIT_S)
    if not lock.acquire():
        raise ContactBusy(name)
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:  # it expired: the work outlived the timeout (logged, not fatal)
            log.warning("contact lock %s expired before release", name)


def _gate_and_hold(account_id: str, channel: str, actor: str) -> tuple[GateDecision, str | None]:
    with session_scope() as session:
        if not accounts.exists(session, account_id):
            raise AccountNotFound(account_id)
        decision = check_contact(session, account_id, channel, actor=actor)
        held = attempts.hold(session, account_id=account_id, channel=channel) if decision else None
    return decision, held


def reserve(redis, account_id: str, channel: str, actor: str) -> str:
    """Ask the gate and, if it allows, hold a pending attempt; its id. Raises ContactDenied (the
    refusal is audited and committed first), AccountNotFound or ContactBusy."""
    if outage.spool().pending():
        # An opt-out kept while the ledger was down must be in the ledger before the gate reads
        # it; the replayer's timer may not have run since the ledger came back.
        outage.replay(EscalationQueue(redis, get_settings().escalation_stream))
    phone, _ = _phone_and_jurisdiction(account_id)
    number = hashlib.sha256(phone.encode()).hexdigest()[:32]  # no phone number in Redis keys
    with (
        _locked(redis, f"contact-lock:account:{account_id}"),
        _locked(redis, f"contact-lock:number:{number}"),
    ):
        decision, held = _gate_and_hold(account_id, channel, actor)
    if held is None:
        raise ContactDenied(decision)
    return held


async def carry(
    held: str,
    send: Callable[[], Awaitable[str]],
    *,
    actor: str,
    audited: dict,
    conversation_id: str | None = None,
    accepted: Callable[[str], None] | None = None,
) -> str:
    """Call the carrier for a held attempt; complete it with the SID (after `accepted`, run in a
    thread, e.g. registering the call before Twilio asks for its TwiML)."""
    try:
        sid = await send()
    except Exception as exc:
        await asyncio.to_thread(_fail, held, actor)
        raise CarrierRefused(str(exc)) from exc
    try:
        if accepted is not None:
            await asyncio.to_thread(accepted, sid)
        await asyncio.to_thread(_complete, held, sid, actor, audited, conversation_id)
    except Exception as exc:
        log.exception("contact %s made but not recorded; its attempt stays pending", sid)
        raise ContactUncertain(sid) from exc
    return sid


def _complete(held: str, sid: str, actor: str, audited: dict, conversation_id: str | None):
    with session_scope() as session:
        attempts.complete(
            session, held, sid, actor=actor, audited=audited, conversation_id=conversation_id
        )


def _fail(held: str, actor: str) -> None:
    with session_scope() as session:
        attempts.fail(session, held, actor=actor)


def _hold_next(account_id: str, channel: str, conversation_id: str) -> str:
    """The next text of an allowed reminder: held before it is sent, like the first."""
    with session_scope() as session:
        return attempts.hold(
            session, account_id=account_id, channel=channel, conversation_id=conversation_id
        )


class Outreach:
    def __init__(self, settings: Settings, conversations: Conversations, redis):
        self.settings = settings
        self.conversations = conversations
        self.redis = redis
        self.twilio = twilio_client.make_client(
            settings.effective_twilio_sid,
            settings.twilio_auth_token,
            api_base=settings.effective_twilio_api_base,
        )

    def callback_url(self, path: str) -> str:
        return self.settings.effective_public_base_url + path

    async def send_sms_reminder(self, account_id: str, *, actor: str = "api") -> SmsSent:
        held = await asyncio.to_thread(reserve, self.redis, account_id, "sms", actor)
        try:
            opened = await self.conversations.start(account_id, "sms")
            # Dropped by the carrier rather than delivered after the window closes
            # (§1006.6(b)(1)): the text's validity period.
            phone, validity = await asyncio.to_thread(_phone_and_validity, account_id)
        except Exception:
            await asyncio.to_thread(_fail, held, "outreach")
            raise
        # The first text carries the opt-out line too, within the segment budget (Reg F §1006.6(e)),
        # in the account's language and signed as its jurisdiction requires (bot/channels/sms.py).
        texts = await asyncio.to_thread(reminder_texts, account_id, opened.messages)
        sids: list[str] = []
        for number, body in enumerate(texts):
            if number:
                held = await asyncio.to_thread(
                    _hold_next, account_id, "sms", opened.conversation_id
                )

            async def send(body=body) -> str:
                return await twilio_client.send_sms(
                    self.twilio,
                    to=phone,
                    from_=self.settings.twilio_from_number,
                    body=body,
                    status_callback=self.callback_url("/twilio/sms/status"),
                    validity_period=validity,
                )

            try:
                sid = await carry(
                    held,
                    send,
                    actor="outreach",
                    audited={"conversation_id": opened.conversation_id},
                    conversation_id=opened.conversation_id,
                )
            except CarrierRefused as refused:
                if sids:  # the first texts went out: the customer was contacted
                    raise ContactUncertain(sids[0]) from refused
                raise
            sids.append(sid)
        return SmsSent(opened.conversation_id, sids)


def _phone_and_validity(account_id: str) -> tuple[str, int]:
    """The number to text, and the seconds until the calling window closes in every zone the
    consumer may be in."""
    with session_scope() as session:
        account = accounts.account(session, account_id)
        profile = profile_for(account.jurisdiction, state_of(account.phone))
        zones = plausible_zones(account.timezone, account.phone)
        phone = account.phone
    return phone, text_validity_s(datetime.now(timezone.utc), zones, profile)


def _phone_and_jurisdiction(account_id: str) -> tuple[str, str]:
    with session_scope() as session:
        account = accounts.account(session, account_id)
        if account is None:
            raise AccountNotFound(account_id)
        return account.phone, account.jurisdiction


def record_attempt(
    account_id: str,
    channel: str,
    direction: str,
    sid: str,
    *,
    actor: str,
    audited: dict,
    status: str = "queued",
    conversation_id: str | None = None,
) -> None:
    """A call or text the carrier already knows (an inbound call), with its audit entry."""
    with session_scope() as session:
        attempts.record_attempt(
            session,
            account_id=account_id,
            channel=channel,
            direction=direction,
            sid=sid,
            actor=actor,
            audited=audited,
            status=status,
            conversation_id=conversation_id,
        )


def update_attempt_status(
    provider_sid: str, status: str, *, answered_by: str | None = None, ended: bool = False
) -> bool:
    """Apply a provider status to its contact attempt; False if the attempt is unknown."""
    with session_scope() as session:
        return attempts.apply_status(
            session, provider_sid, status, answered_by=answered_by, ended=ended
        )
