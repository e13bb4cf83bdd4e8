"""Outbound contact: every reminder call and text asks the contact gate first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.channels.sms_text import split_for_sms
from bot.channels.turns import AccountNotFound, Conversations
from bot.compliance.gate import GateDecision, check_contact
from bot.compliance.profiles import profile_for
from bot.ledger.db import session_scope
from bot.ledger.models import Account, ContactAttempt
from bot.settings import Settings
from telephony import twilio_client


class ContactDenied(Exception):
    def __init__(self, decision: GateDecision):
        super().__init__(f"{decision.reason} {decision.detail}".strip())
        self.decision = decision


@dataclass(frozen=True)
class SmsSent:
    conversation_id: str
    message_sids: list[str]


def gate(account_id: str, channel: str, actor: str) -> GateDecision:
    with session_scope() as session:
        if session.get(Account, account_id) is None:
            raise AccountNotFound(account_id)
        return check_contact(session, account_id, channel, actor=actor)


class Outreach:
    def __init__(self, settings: Settings, conversations: Conversations):
        self.settings = settings
        self.conversations = conversations
        self.twilio = twilio_client.make_client(
            settings.effective_twilio_sid,
            settings.twilio_auth_token,
            api_base=settings.effective_twilio_api_base,
        )

    def callback_url(self, path: str) -> str:
        return self.settings.effective_public_base_url + path

    async def send_sms_reminder(self, account_id: str, *, actor: str = "api") -> SmsSent:
        decision = await asyncio.to_thread(gate, account_id, "sms", actor)
        if not decision.allowed:
            raise ContactDenied(decision)
        opened = await self.conversations.start(account_id, "sms")
        phone, jurisdiction = await asyncio.to_thread(_phone_and_jurisdiction, account_id)
        texts = split_for_sms(opened.messages)
        texts[-1] = f"{texts[-1]} {profile_for(jurisdiction).sms_opt_out}"
        sids = []
        for text in texts:
            sid = await twilio_client.send_sms(
                self.twilio,
                to=phone,
                from_=self.settings.twilio_from_number,
                body=text,
                status_callback=self.callback_url("/twilio/sms/status"),
            )
            await asyncio.to_thread(_record_attempt, account_id, opened.conversation_id, "sms", sid)
            sids.append(sid)
        return SmsSent(opened.conversation_id, sids)


def _phone_and_jurisdiction(account_id: str) -> tuple[str, str]:
    with session_scope() as session:
        account = session.get(Account, account_id)
        return account.phone, account.jurisdiction


def _record_attempt(account_id: str, conversation_id: str | None, channel: str, sid: str) -> None:
    with session_scope() as session:
        session.add(
            ContactAttempt(
                account_id=account_id,
                conversation_id=conversation_id,
                channel=channel,
                direction="outbound",
                provider_sid=sid,
                status="queued",
            )
        )
        _audit(
            session,
            account_id,
            {"channel": channel, "sid": sid, "conversation_id": conversation_id},
        )


def update_attempt_status(
    provider_sid: str, status: str, *, answered_by: str | None = None, ended: bool = False
) -> bool:
    """Apply a provider status to its contact attempt; False if the attempt is unknown."""
    from bot.ledger.models import utcnow

    with session_scope() as session:
        attempt = session.query(ContactAttempt).filter_by(provider_sid=provider_sid).first()
        if attempt is None:
            return False
        attempt.status = status
        if answered_by:
            attempt.answered_by = answered_by
        if ended:
            attempt.ended_at = utcnow()
        return True


def _audit(session, account_id: str, data: dict) -> None:
    from bot.compliance import audit

    audit.append(
        session, kind="contact_attempt", account_id=account_id, actor="outreach", data=data
    )
