"""The Media Stream of a call: Twilio opens wss://.../twilio/media/{token} as the `<Stream>` of
the TwiML the voice webhook gave it. A connection is admitted only if its handshake signature is
Twilio's for that exact URL, the token is one the gateway issued and not yet used (it is
consumed here), the call has no stream yet, and the `start` event names the call the token was
issued for. Anything else is closed before a word about an account is said."""

from __future__ import annotations

import asyncio
import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from bot.gateway.deps import RedisDep, SettingsDep, SpeakerDep, VoiceDep, VoskModelDep
from bot.gateway.twilio_auth import token_usable_for
from bot.infra import logs, metrics
from telephony.call import CallSession, VoiceSettings
from telephony.signatures import is_valid

router = APIRouter(prefix="/twilio", tags=["twilio"])
log = logging.getLogger(__name__)
REFUSED = 4403  # a WebSocket close code in the application range, "forbidden"


async def _admit(websocket: WebSocket, token: str, settings, voice) -> str | None:
    """The call SID this connection may stream, or None (the handshake is then refused)."""
    if voice is None or not token_usable_for(websocket, settings):
        return None
    query = f"?{websocket.url.query}" if websocket.url.query else ""
    signature = websocket.headers.get("x-twilio-signature", "")
    if not is_valid(voice.stream_url(token) + query, {}, signature, settings.twilio_auth_token):
        log.warning("refused a media stream with a bad signature")
        metrics.signature_failure("twilio/media")
        return None
    registry = voice.registry
    call_sid = await asyncio.to_thread(registry.consume_stream_token, token)
    if call_sid is None:
        log.warning("refused a media stream with an unknown or used token")
        return None
    known = await asyncio.to_thread(registry.get, call_sid)
    if known is None or known.account_id is None:
        log.warning("refused a media stream for unknown call %s", call_sid)
        return None
    if not await asyncio.to_thread(registry.open_stream, call_sid):
        log.warning("refused a second media stream for call %s", call_sid)
        return None
    return call_sid


@router.websocket("/media/{token}")
async def media_stream(
    websocket: WebSocket,
    token: str,
    settings: SettingsDep,
    voice: VoiceDep,
    speaker: SpeakerDep,
    model: VoskModelDep,
    redis: RedisDep,
):
    call_sid = await _admit(websocket, token, settings, voice)
    if call_sid is None:
        await websocket.close(code=REFUSED)
        return
    await websocket.accept()
    logs.bind(call_id=call_sid)
    session: CallSession | None = None
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            if message.get("event") == "start" and session is None:
                claimed = (message.get("start") or {}).get("callSid", "")
                if claimed != call_sid:
                    log.warning("refused a media stream naming another call than its token's")
                    await websocket.close(code=REFUSED)
                    return
                session = CallSession(
                    send=websocket.send_text,
                    handler=voice.handler(call_sid),
                    speaker=speaker,
                    # The customer's language's recogniser (a Mandarin call: the zh model).
                    model=await asyncio.to_thread(voice.recognition_model, call_sid, model),
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
            metrics.voice_turns(session.stats.turns)


def _keep_timings(redis, session: CallSession) -> None:
    """Per-turn latencies for operations and bench/voice_latency.py (the last 10,000 turns)."""
    rows = [
        json.dumps(
            {
                "processing_ms": (t.first_audio_at - t.end_of_turn_at) * 1000,
                "voice_to_voice_ms": (t.first_audio_at - t.last_voice_at) * 1000,
                "kind": t.kind,
                "end_of_turn_wait_ms": t.wait_ms,
                "end_reason": t.end_reason,  # "whole_answer": the short silence ended it
            }
        )
        for t in session.stats.turns
        if t.first_audio_at is not None
    ]
    if rows:
        redis.rpush("metrics:voice_turns", *rows)
        redis.ltrim("metrics:voice_turns", -10_000, -1)
