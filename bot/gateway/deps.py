"""What routes get through `Depends(...)`: the API token check, a ledger transaction and each
service made in the app's lifespan. This is the only module that reads `app.state`; routes
never reach into it, so a test can hand any route a stand-in service. The getters are `async`
so FastAPI calls them on the loop (reading app.state never blocks) without a threadpool hop."""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, HTTPException
from fastapi.requests import HTTPConnection

from bot.agents.escalations import EscalationQueue
from bot.channels.outreach import Outreach
from bot.channels.sms import SmsChannel
from bot.channels.turns import Conversations
from bot.channels.voice.service import VoiceService
from bot.ledger.db import session_scope
from bot.settings import Settings
from bot.web.live import ConsoleHub
from bot.web.security import Sessions
from bot.web.throttle import LoginThrottle

T = TypeVar("T")


class Ledger:
    """The session dependency: each `run` is one transaction (committed when the work returns,
    rolled back if it raises) in a worker thread, so the event loop never waits on SQL."""

    async def run(self, work: Callable[..., T], *args) -> T:
        return await asyncio.to_thread(self.transaction, work, *args)

    @staticmethod
    def transaction(work: Callable[..., T], *args) -> T:
        with session_scope() as session:
            return work(session, *args)


# Who holds the API token: a system (the bank's app, the dialer), recorded as the actor of what
# it does through the API. A name sent in a request body is never taken for it.
API_CALLER = "api"


def require_token(
    conn: HTTPConnection, authorization: Annotated[str | None, Header()] = None
) -> str:
    """The authenticated caller's name, or 401."""
    expected = conn.app.state.api_token
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )
    return API_CALLER


async def ledger() -> Ledger:
    return Ledger()


async def settings(conn: HTTPConnection) -> Settings:
    return conn.app.state.settings


async def conversations(conn: HTTPConnection) -> Conversations:
    return conn.app.state.conversations


async def queue(conn: HTTPConnection) -> EscalationQueue:
    return conn.app.state.queue


async def redis(conn: HTTPConnection):
    """The gateway's Redis client (the escalation queue's)."""
    return conn.app.state.queue.redis


async def outreach(conn: HTTPConnection) -> Outreach:
    return conn.app.state.outreach


async def sms(conn: HTTPConnection) -> SmsChannel:
    return conn.app.state.sms


async def voice(conn: HTTPConnection) -> VoiceService | None:
    """None when the voice channel is off (no speech model); see `voice_problem`."""
    return conn.app.state.voice


async def voice_problem(conn: HTTPConnection) -> str:
    return conn.app.state.voice_problem


async def speaker(conn: HTTPConnection):
    return conn.app.state.speaker


async def vosk_model(conn: HTTPConnection):
    return conn.app.state.vosk_model


async def console_sessions(conn: HTTPConnection) -> Sessions:
    return conn.app.state.sessions


async def login_throttle(conn: HTTPConnection) -> LoginThrottle:
    return conn.app.state.login_throttle


async def console_hub(conn: HTTPConnection) -> ConsoleHub:
    return conn.app.state.console_hub


async def rasa(conn: HTTPConnection):
    return conn.app.state.rasa


async def http(conn: HTTPConnection):
    return conn.app.state.http


Authorized = Depends(require_token)
CallerDep = Annotated[str, Depends(require_token)]
LedgerDep = Annotated[Ledger, Depends(ledger)]
SettingsDep = Annotated[Settings, Depends(settings)]
ConversationsDep = Annotated[Conversations, Depends(conversations)]
QueueDep = Annotated[EscalationQueue, Depends(queue)]
RedisDep = Annotated[object, Depends(redis)]
OutreachDep = Annotated[Outreach, Depends(outreach)]
SmsDep = Annotated[SmsChannel, Depends(sms)]
VoiceDep = Annotated[VoiceService | None, Depends(voice)]
VoiceProblemDep = Annotated[str, Depends(voice_problem)]
SpeakerDep = Annotated[object, Depends(speaker)]
VoskModelDep = Annotated[object, Depends(vosk_model)]
ConsoleSessionsDep = Annotated[Sessions, Depends(console_sessions)]
ConsoleHubDep = Annotated[ConsoleHub, Depends(console_hub)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(login_throttle)]
RasaDep = Annotated[object, Depends(rasa)]
HttpDep = Annotated[object, Depends(http)]
