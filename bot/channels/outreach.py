"""Outbound contact: every reminder call and text asks the contact gate first."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.channels.sms_text import split_for_sms
from bot.channels.turns import AccountNotFound, Conversations
from bot.compliance.gate import GateDecision, check_contact
from bot.compliance.profiles import profile_for
from bot.ledger.db import session_scope
from bot.ledger.repo import accounts, attempts
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
        if not accounts.exists(session, account_id):
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
            await asyncio.to_thread(
                record_attempt,
                account_id,
                "sms",
                "outbound",
                sid,
                actor="outreach",
                audited={"conversation_id": opened.conversation_id},
                conversation_id=opened.conversation_id,
            )
            sids.append(sid)
        return SmsSent(opened.conversation_id, sids)


def _phone_and_jurisdiction(account_id: str) -> tuple[str, str]:
    with session_scope() as session:
        account = accounts.account(session, account_id)
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
    """Every placed or answered call and text, with its audit entry (one transaction)."""
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
