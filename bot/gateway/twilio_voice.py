"""Twilio's voice webhooks and the Media Stream: every request signed, every stream for a call
the gateway placed or answered."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from bot.channels.outreach import update_attempt_status
from bot.conversation.messages import text
from bot.gateway.deps import RedisDep, SettingsDep, SpeakerDep, VoiceDep, VoskModelDep
from bot.gateway.twilio_auth import twilio_form
from bot.infra import webhook_events
from telephony import twiml
from telephony.call import CallSession, VoiceSettings
from telephony.signatures import is_valid

router = APIRouter(prefix="/twilio", tags=["twilio"])
log = logging.getLogger(__name__)
TwilioForm = Annotated[dict, Depends(twilio_form)]
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
STATUSES = FINAL | {"queued", "initiated", "ringing", "in-progress", "answered"}


def xml(body: str) -> Response:
    return Response(body, media_type="application/xml")


@router.post("/voice")
async def answer(params: TwilioForm, voice: VoiceDep):
    if voice is None:  # no speech model: the voice channel is off
        return xml(twiml.say_and_hangup(text("voice.unavailable")))
    body = await asyncio.to_thread(
        voice.answer,
        params.get("CallSid", ""),
        params.get("From", ""),
        params.get("Direction", "inbound"),
    )
    return xml(body)


@router.post("/voice/status")
async def call_status(params: TwilioForm):
    sid, status = params.get("CallSid", ""), params.get("CallStatus", "")
    key = f"{sid}:{status}"
    if status in STATUSES and await asyncio.to_thread(webhook_events.claim, "call_status", key):
        await asyncio.to_thread(update_attempt_status, sid, status, ended=status in FINAL)
    return xml(twiml.empty())


@router.post("/voice/amd")
async def machine_detection(params: TwilioForm, voice: VoiceDep):
    sid, answered_by = params.get("CallSid", ""), params.get("AnsweredBy", "")
    if not await asyncio.to_thread(webhook_events.claim, "amd", sid):
        return xml(twiml.empty())
    await asyncio.to_thread(update_attempt_status, sid, "in-progress", answered_by=answered_by)
    if answered_by.startswith("machine") or answered_by == "fax":
        message = await asyncio.to_thread(voice.voicemail, sid) if voice else None
        if message:
            from telephony import twilio_client

            await twilio_client.redirect_call(voice.twilio, sid, message)
    return xml(twiml.empty())


@router.websocket("/media")
async def media_stream(
    websocket: WebSocket,
    settings: SettingsDep,
    voice: VoiceDep,
    speaker: SpeakerDep,
    model: VoskModelDep,
    redis: RedisDep,
):
    query = f"?{websocket.url.query}" if websocket.url.query else ""
    url = voice.stream_url() + query if voice else ""
    signature = websocket.headers.get("x-twilio-signature", "")
    if not voice or not is_valid(url, {}, signature, settings.twilio_auth_token):
        await websocket.close(code=4403)
        return
    await websocket.accept()
    session: CallSession | None = None
    call_sid = ""
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            if message.get("event") == "start" and session is None:
                call_sid = message["start"].get("callSid", "")
                known = await asyncio.to_thread(voice.registry.get, call_sid)
                if known is None or known.account_id is None:
                    log.warning("refused a media stream for unknown call %s", call_sid)
                    await websocket.close(code=4404)
                    return
                session = CallSession(
                    send=websocket.send_text,
                    handler=voice.handler(call_sid),
                    speaker=speaker,
                    model=model,
                    voice=settings.tts_voice,
                    settings=VoiceSettings(
                        silence_s=settings.voice_silence_s,
                        end_ms=settings.voice_end_ms,
                        complete_end_ms=settings.voice_complete_end_ms,
                    ),
                )
            if session is not None:
                await session.handle(message)
                if message.get("event") == "stop":
                    break
    except WebSocketDisconnect:
        pass
    except Exception:
        # The customer hears a safe message and a person gets the case; nothing is lost.
        log.exception("voice pipeline failed on call %s", call_sid)
        if session is not None:
            await session.handler.fail_safe()
    finally:
        if session is not None:
            await session.close()
            await asyncio.to_thread(_keep_timings, redis, session)


def _keep_timings(redis, session: CallSession) -> None:
    """Per-turn latencies for operations and bench/voice_latency.py (the last 10,000 turns)."""
    rows = [
        json.dumps(
            {
                "processing_ms": (t.first_audio_at - t.end_of_turn_at) * 1000,
                "voice_to_voice_ms": (t.first_audio_at - t.last_voice_at) * 1000,
                "kind": t.kind,
                "end_of_turn_wait_ms": t.wait_ms,
            }
        )
        for t in session.stats.turns
        if t.first_audio_at is not None
    ]
    if rows:
        redis.rpush("metrics:voice_turns", *rows)
        redis.ltrim("metrics:voice_turns", -10_000, -1)
