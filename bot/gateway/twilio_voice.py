"""Twilio's voice webhooks (every request signed); the Media Stream is twilio_media.py."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from bot.channels import outage
from bot.channels.outreach import update_attempt_status
from bot.channels.turns import SAFE_REPLY
from bot.conversation.messages import text
from bot.gateway.deps import VoiceDep
from bot.gateway.twilio_auth import twilio_form
from bot.infra import webhook_events
from bot.ledger.db import LEDGER_DOWN
from telephony import twiml

router = APIRouter(prefix="/twilio", tags=["twilio"])
log = logging.getLogger(__name__)
TwilioForm = Annotated[dict, Depends(twilio_form)]
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
DIALLING = {"initiated", "ringing"}
STATUSES = FINAL | {"queued", "initiated", "ringing", "in-progress", "answered"}


def xml(body: str) -> Response:
    return Response(body, media_type="application/xml")


@router.post("/voice")
async def answer(params: TwilioForm, voice: VoiceDep):
    if voice is None:  # no speech model: the voice channel is off
        return xml(twiml.say_and_hangup(text("voice.unavailable")))
    sid, direction = params.get("CallSid", ""), params.get("Direction", "inbound")
    try:
        body = await asyncio.to_thread(voice.answer, sid, params.get("From", ""), direction)
    except LEDGER_DOWN:
        # The caller hears the safe message, which promises a call back: the call is kept
        # for replay, where it becomes the case that keeps that promise.
        customer = params.get("From" if direction == "inbound" else "To", "")
        await asyncio.to_thread(outage.keep_call, sid, customer)
        return xml(twiml.say_and_hangup(SAFE_REPLY))
    return xml(body)


@router.post("/voice/status")
async def call_status(params: TwilioForm, voice: VoiceDep):
    sid, status = params.get("CallSid", ""), params.get("CallStatus", "")
    key = f"{sid}:{status}"
    try:
        first = status in STATUSES and await asyncio.to_thread(
            webhook_events.claim, "call_status", key
        )
        if first:
            await asyncio.to_thread(update_attempt_status, sid, status, ended=status in FINAL)
    except LEDGER_DOWN:  # kept for replay: Twilio does not send an answered callback again
        await asyncio.to_thread(outage.keep_call_status, sid, status, ended=status in FINAL)
        return xml(twiml.empty())
        # The carrier dials now: a call queued past the end of the window is cancelled.
        dialling = status in DIALLING and voice is not None
        if dialling and await asyncio.to_thread(voice.window_closed, sid, status):
            await voice.cancel(sid)
    return xml(twiml.empty())


@router.post("/voice/amd")
async def machine_detection(params: TwilioForm, voice: VoiceDep):
    sid, answered_by = params.get("CallSid", ""), params.get("AnsweredBy", "")
    if not await asyncio.to_thread(webhook_events.claim, "amd", sid):
        return xml(twiml.empty())
    await asyncio.to_thread(update_attempt_status, sid, "in-progress", answered_by=answered_by)
    if voice is not None:
        await voice.detected(sid, answered_by or "unknown")
    return xml(twiml.empty())
