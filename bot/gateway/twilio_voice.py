"""Twilio's voice webhooks and the Media Stream: every request signed, every stream for a call
the gateway placed or answered."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import Response

from bot.channels.outreach import update_attempt_status
from bot.channels.voice.service import VoiceUnavailable
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


def voice_or_apology(request: Request):
    voice = request.app.state.voice
    if voice is None:
        raise VoiceUnavailable(request.app.state.voice_problem)
    return voice


@router.post("/voice")
async def answer(request: Request, params: TwilioForm):
    try:
        voice = voice_or_apology(request)
    except VoiceUnavailable:
        return xml(twiml.say_and_hangup("Sorry, we can't take calls right now. Goodbye."))
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
async def machine_detection(request: Request, params: TwilioForm):
    sid, answered_by = params.get("CallSid", ""), params.get("AnsweredBy", "")
    if not await asyncio.to_thread(webhook_events.claim, "amd", sid):
        return xml(twiml.empty())
    await asyncio.to_thread(update_attempt_status, sid, "in-progress", answered_by=answered_by)
    if answered_by.startswith("machine") or answered_by == "fax":
        voice = request.app.state.voice
        message = await asyncio.to_thread(voice.voicemail, sid) if voice else None
        if message:
            from telephony import twilio_client

            await twilio_client.redirect_call(voice.twilio, sid, message)
    return xml(twiml.empty())


@router.websocket("/media")
async def media_stream(websocket: WebSocket):
    app = websocket.app
    settings = app.state.settings
    query = f"?{websocket.url.query}" if websocket.url.query else ""
    url = app.state.voice.stream_url() + query if app.state.voice else ""
    signature = websocket.headers.get("x-twilio-signature", "")
    if not app.state.voice or not is_valid(url, {}, signature, settings.twilio_auth_token):
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
                known = await asyncio.to_thread(app.state.voice.registry.get, call_sid)
                if known is None or known.account_id is None:
                    log.warning("refused a media stream for unknown call %s", call_sid)
                    await websocket.close(code=4404)
                    return
                session = CallSession(
                    send=websocket.send_text,
                    handler=app.state.voice.handler(call_sid),
                    speaker=app.state.speaker,
                    model=app.state.vosk_model,
                    voice=settings.tts_voice,
                    settings=VoiceSettings(
                        silence_s=settings.voice_silence_s,
                        end_ms=settings.voice_end_ms,
                        complete_end_ms=settings.voice_complete_end_ms,
                    ),
                )
                app.state.call_sessions[call_sid] = session
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
            app.state.call_sessions.pop(call_sid, None)
            await asyncio.to_thread(_keep_timings, app.state.queue.redis, session)


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
