"""Twilio's SMS webhooks: inbound texts and delivery status callbacks (both signed)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from bot.channels.outreach import update_attempt_status
from bot.gateway.deps import SmsDep
from bot.gateway.twilio_auth import twilio_form
from bot.infra import webhook_events
from telephony import twiml

router = APIRouter(prefix="/twilio/sms", tags=["twilio"])
TwilioForm = Annotated[dict, Depends(twilio_form)]
DELIVERY_STATUSES = {
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "accepted",
    "scheduled",
    "read",
    "canceled",
}


def xml(body: str) -> Response:
    return Response(body, media_type="application/xml")


@router.post("")
async def inbound_sms(params: TwilioForm, sms: SmsDep):
    replies = await sms.inbound(
        message_sid=params.get("MessageSid") or params.get("SmsSid", ""),
        sender=params.get("From", ""),
        body=params.get("Body", ""),
    )
    return xml(twiml.messages(replies))


@router.post("/status")
async def delivery_status(params: TwilioForm):
    sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
    if status in DELIVERY_STATUSES and await asyncio.to_thread(
        webhook_events.claim, "sms_status", f"{sid}:{status}"
    ):
        await asyncio.to_thread(
            update_attempt_status,
            sid,
            status,
            ended=status in ("delivered", "undelivered", "failed"),
        )
    return xml(twiml.empty())
