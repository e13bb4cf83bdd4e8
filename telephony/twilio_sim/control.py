"""Loopback-only control of a standalone simulator, for the demo (`reminderbot call --sandbox`,
`reminderbot sms --reply`): script the next call to a number, read back what happened on it, and
text the app as a customer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from telephony.twilio_sim.scenario import CallScenario, Dtmf, Hangup, Say, Silence, WaitForBot


class Step(BaseModel):
    say: str | None = None
    voice: str = "en"
    dtmf: str | None = None
    silence_ms: int | None = None
    wait_for_bot_s: float | None = None
    hangup: bool = False


class Script(BaseModel):
    to: str
    answered_by: str = "human"
    speed: float = 1.0
    max_duration_s: float = 120.0  # the caller hangs up after this long on the stream
    steps: list[Step]


class InboundText(BaseModel):
    sender: str = Field(alias="from")
    to: str
    body: str


def _step(step: Step):
    if step.say:
        return Say(step.say, voice=step.voice)
    if step.dtmf:
        return Dtmf(step.dtmf)
    if step.silence_ms is not None:
        return Silence(step.silence_ms)
    if step.wait_for_bot_s is not None:
        return WaitForBot(timeout_s=step.wait_for_bot_s)
    if step.hangup:
        return Hangup()
    raise HTTPException(
        422, "each step needs one of say, dtmf, silence_ms, wait_for_bot_s, " "hangup"
    )


def control_router(sim) -> APIRouter:
    router = APIRouter(prefix="/_sim", include_in_schema=False)

    @router.post("/expect-call")
    async def expect_call(script: Script) -> dict[str, Any]:
        sim.expect_call(
            script.to,
            CallScenario(
                answered_by=script.answered_by,
                speed=script.speed,
                max_duration_s=script.max_duration_s,
                steps=[_step(s) for s in script.steps],
            ),
        )
        return {"expected": script.to}

    @router.post("/inbound-sms")
    async def inbound_sms(text: InboundText) -> dict[str, Any]:
        """A customer's text to the app, sent as Twilio would (signed); the app's replies."""
        return {"replies": await sim.inbound_sms(text.sender, text.to, text.body)}

    @router.get("/calls/{sid}")
    async def call_timeline(sid: str) -> dict[str, Any]:
        call = sim.calls.get(sid)
        if call is None:
            raise HTTPException(404, "unknown call")
        stream = call.stream
        latencies = stream.latencies() if stream else []
        return {
            "status": call.status,
            "answered_by": call.answered_by,
            "ended": call.end_time is not None,
            "transfers": list(call.transfers),
            "played": [
                type(p.verb).__name__ + ": " + getattr(p.verb, "text", "") for p in call.played
            ],
            "bot_utterances": len(stream.utterances) if stream else 0,
            "clears": len(stream.clears) if stream else 0,
            "response_latencies_s": [round(x, 3) for x in latencies],
        }

    return router
