"""The gateway application: shared clients are made in the lifespan, never at import."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from bot.agents.escalations import EscalationQueue
from bot.channels.outreach import Outreach
from bot.channels.sms import Bank as SmsBank
from bot.channels.sms import SmsChannel
from bot.channels.turns import Conversations
from bot.channels.voice import models as speech_models
from bot.channels.voice.registry import CallRegistry
from bot.channels.voice.service import VoiceService, warm_recognizers
from bot.channels.webchat import router as chat_router
from bot.gateway import outages
from bot.gateway.api import router as api_router
from bot.gateway.body_limits import TwilioBodyGuard
from bot.gateway.deps import HttpDep, QueueDep, RasaDep, VoiceDep
from bot.gateway.metrics_route import router as metrics_router
from bot.gateway.twilio_auth import development_token_misplaced
from bot.gateway.twilio_media import router as media_router
from bot.gateway.twilio_sms import router as sms_router
from bot.gateway.twilio_voice import router as voice_router
from bot.infra import logs, metrics
from bot.infra.rasa_client import RasaClient
from bot.infra.redis_client import redis_for
from bot.ledger import db
from bot.settings import Settings, generate_api_token, get_settings
from bot.web.console import LoginRequired
from bot.web.console import router as console_router
from bot.web.live import ConsoleHub
from bot.web.security import Sessions
from bot.web.templating import WEB
from bot.web.throttle import Limits, LoginThrottle
from telephony.asr import ModelMissing
from telephony.tts import Speaker

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    logs.configure(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Routes get these through bot/gateway/deps.py; only the lifespan writes app.state.
        redis = redis_for(settings.effective_redis_url)
        queue = EscalationQueue(redis, settings.escalation_stream)
        rasa = RasaClient(settings.effective_rasa_url)
        conversations = Conversations(rasa, queue)
        outreach = Outreach(settings, conversations, redis)
        http = httpx.AsyncClient(timeout=3)
        speaker = Speaker(voice=settings.tts_voice)
        app.state.queue, app.state.rasa, app.state.http = queue, rasa, http
        app.state.conversations, app.state.outreach = conversations, outreach
        app.state.sms = SmsChannel(conversations, SmsBank(settings.bank_name, settings.bank_phone))
        app.state.sessions = Sessions(redis)
        app.state.login_throttle = LoginThrottle(
            redis,
            Limits(
                per_username=settings.console_login_user_failures,
                per_address=settings.console_login_address_failures,
                window_s=settings.console_login_window_s,
            ),
        )
        app.state.speaker = speaker
        app.state.vosk_model, app.state.voice, app.state.voice_problem = None, None, ""
        background: set[asyncio.Task] = set()
        try:
            model = await asyncio.to_thread(speech_models.load, settings)
            app.state.vosk_model = model
            voice = VoiceService(settings, conversations, CallRegistry(redis), outreach.twilio)
            app.state.voice = voice
            try:  # before serving: the first burst of calls finds warm recognisers
                await warm_recognizers(settings, speaker, model)
                for lang in filter(None, settings.voice_preload_languages.split(",")):
                    await asyncio.to_thread(voice.model_for, lang.strip(), model)
            except Exception:  # noqa: BLE001 - cold recognisers are slow, not broken
                log.exception("warming recognizers failed")
        except ModelMissing as missing:
            # Without a model the voice channel refuses to start; the rest of the stack runs.
            app.state.voice_problem = str(missing)
            log.warning("voice channel off: %s", missing)
        hub = ConsoleHub(settings.effective_redis_url, f"{settings.escalation_stream}:events")
        app.state.console_hub = hub
        hub.start()
        _keep(background, _release_idle_claims(queue, settings), "idle-claim sweeper")
        _keep(background, outages.replay_kept_messages(queue), "kept-message replayer")
        if settings.audit_checkpoint_minutes > 0:
            _keep(background, _write_audit_checkpoints(settings), "audit checkpoints")
        yield
        for task in list(background):
            task.cancel()
        speaker.close()
        await hub.stop()
        await rasa.aclose()
        await http.aclose()

    app = FastAPI(title="Collections reminder bot", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.api_token = settings.api_token or generate_api_token()
    if not settings.api_token:
        log.warning("REMINDERBOT_API_TOKEN is unset: a one-off token was generated")
    app.include_router(api_router)
    app.include_router(sms_router)
    app.include_router(voice_router)
    app.include_router(media_router)
    app.include_router(chat_router)
    app.include_router(console_router)
    app.include_router(metrics_router)
    outages.add_net(app)  # the ledger or Redis down: never a 5xx to Twilio (outages.py)
    # Before any route: an unsigned /twilio/* body is refused by size and type unparsed.
    app.add_middleware(TwilioBodyGuard)
    if development_token_misplaced(settings):
        log.error(
            "the development TWILIO_AUTH_TOKEN is in force on a gateway that does not listen on "
            "loopback: every Twilio request will be refused; set TWILIO_AUTH_TOKEN"
        )
    app.mount("/static", StaticFiles(directory=str(WEB / "static")), name="static")

    @app.exception_handler(LoginRequired)
    async def _to_login(request, exc):
        return RedirectResponse("/console/login", status_code=303)

    @app.get("/health", tags=["health"])
    async def health(queue: QueueDep, rasa: RasaDep, http: HttpDep, voice: VoiceDep):
        parts = await asyncio.gather(
            _check(lambda: queue.redis.ping()),
            rasa.healthy(),
            _http_ok(http, settings.effective_actions_url + "/health"),
            _check(lambda: db.ping(settings.sql_url)),
        )
        names = ("redis", "rasa", "actions", "database")
        state = {name: "up" if ok else "down" for name, ok in zip(names, parts, strict=True)}
        metrics.parts_up(dict(zip(names, parts, strict=True)))
        return JSONResponse(
            {
                "status": "ok" if all(parts) else "degraded",
                "parts": state,
                "voice_languages": voice.languages_heard() if voice else [],
            },
            status_code=200 if all(parts) else 503,
        )

    return app


def _keep(tasks: set[asyncio.Task], work, what: str) -> asyncio.Task:
    """Start a background task the lifespan owns: the set keeps it alive until it ends (the
    loop holds only a weak reference) and a failure is logged, not lost."""
    task = asyncio.create_task(work, name=what)

    def done(finished: asyncio.Task) -> None:
        tasks.discard(finished)
        if not finished.cancelled() and finished.exception() is not None:
            log.error("%s failed", what, exc_info=finished.exception())

    tasks.add(task)
    task.add_done_callback(done)
    return task


async def _release_idle_claims(queue: EscalationQueue, settings: Settings) -> None:
    """A case claimed and left idle beyond the timeout goes back to the queue."""
    from bot.ledger.db import session_scope

    def sweep():
        with session_scope() as session:
            # Also streams escalations whose stream entry failed after their commit.
            queue.stream_unstreamed(session)
        with session_scope() as session:
            return queue.release_idle(session, idle_ms=settings.escalation_claim_idle_ms)

    while True:
        await asyncio.sleep(min(30.0, settings.escalation_claim_idle_ms / 4000))
        try:
            released = await asyncio.to_thread(sweep)
            if released:
                log.info("released %d idle claims", len(released))
        except Exception as exc:  # noqa: BLE001 - the sweeper must keep running
            log.warning("idle-claim sweep failed: %s", exc)


async def _write_audit_checkpoints(settings: Settings) -> None:
    """Sign the audit chain's head now and every AUDIT_CHECKPOINT_MINUTES, so deleting the
    newest entries is caught by `reminderbot audit verify` (bot/compliance/checkpoints.py)."""
    from bot.compliance import checkpoints
    from bot.ledger.db import session_scope

    def write():
        with session_scope() as session:
            return checkpoints.write_if_moved(session, settings)

    while True:
        try:
            await asyncio.to_thread(write)
        except (checkpoints.ChainCut, checkpoints.CheckpointRefused) as problem:
            log.error("audit chain not checkpointed: %s", problem)
        except Exception as exc:  # noqa: BLE001 - the writer must keep running
            log.warning("audit checkpoint failed: %s", exc)
        await asyncio.sleep(settings.audit_checkpoint_minutes * 60)


async def _check(fn) -> bool:
    try:
        return bool(await asyncio.wait_for(asyncio.to_thread(fn), timeout=3))
    except Exception:  # noqa: BLE001 - any failure means the part is down
        return False


async def _http_ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False
