"""The agents' console: login, the live escalation queue, claiming and resolving a case, and the
supervisor's view. Every page and API needs a logged-in, still active agent; every change needs
the session's CSRF token. Logins are throttled (bot/web/throttle.py); an agent sees the waiting
cases and their own, a supervisor everything."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.websockets import WebSocketDisconnect

from bot.agents import console_data
from bot.agents.escalations import NotClaimable
from bot.agents.logins import authenticate, deactivate, is_active
from bot.gateway.deps import (
    ConsoleHubDep,
    ConsoleSessionsDep,
    LedgerDep,
    LoginThrottleDep,
    QueueDep,
    SettingsDep,
)
from bot.settings import Settings
from bot.web.security import (
    SESSION_COOKIE,
    SESSION_TTL_S,
    ConsoleSession,
    csrf_ok,
    secret_key,
)
from bot.web.templating import templates
from bot.web.throttle import DEVICE_COOKIE, DEVICE_TTL_S, Devices

router = APIRouter(prefix="/console", tags=["agent console"])
LOGIN_CSRF = "rb_login_csrf"
DISPOSITIONS = (
    "called_back",
    "promise_taken",
    "plan_approved",
    "plan_rejected",
    "dispute_logged",
    "payment_confirmed",
    "referred_legal",
    "referred_field_visit",
    "no_action",
)


class LoginRequired(Exception):
    pass


def _live_session(sessions, token: str | None) -> ConsoleSession | None:
    """The session, if it exists and its agent is still active: deactivation ends sessions in
    Redis, and this ledger check refuses them even if that step failed."""
    session = sessions.get(token)
    if session is None or not is_active(session.username):
        return None
    return session


# The agent dependencies are plain functions: FastAPI runs them in its threadpool, so their
# Redis and ledger reads never block the event loop.
def page_agent(request: Request, sessions: ConsoleSessionsDep) -> ConsoleSession:
    session = _live_session(sessions, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise LoginRequired
    return session


def api_agent(request: Request, sessions: ConsoleSessionsDep) -> ConsoleSession:
    session = _live_session(sessions, request.cookies.get(SESSION_COOKIE))
    if session is None:
        raise HTTPException(401, "log in to the console first")
    if request.method != "GET" and not csrf_ok(session, request.headers.get("X-CSRF-Token")):
        raise HTTPException(403, "missing or wrong CSRF token")
    return session


PageAgent = Annotated[ConsoleSession, Depends(page_agent)]
ApiAgent = Annotated[ConsoleSession, Depends(api_agent)]


def _page(request: Request, settings: Settings, name: str, agent: ConsoleSession | None, **ctx):
    return templates.TemplateResponse(
        request, name, {"bank": settings.bank_name, "agent": agent, **ctx}
    )


def _login_page(request: Request, settings: Settings, *, error: str = "", locked_s: int = 0):
    token = secrets.token_urlsafe(24)
    response = _page(
        request,
        settings,
        "login.html",
        None,
        csrf=token,
        error=error,
        locked_minutes=-(-locked_s // 60),
    )
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict")
    if locked_s:
        response.status_code = 429
        response.headers["Retry-After"] = str(locked_s)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, settings: SettingsDep, error: str = ""):
    return _login_page(request, settings, error=error)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form()],
    settings: SettingsDep,
    sessions: ConsoleSessionsDep,
    throttle: LoginThrottleDep,
):
    # Bytes: compare_digest raises on a non-ASCII str (a 500 for a junk form field).
    if not secrets.compare_digest(csrf.encode(), request.cookies.get(LOGIN_CSRF, "").encode()):
        raise HTTPException(403, "missing or wrong CSRF token")
    devices = Devices(secret_key(settings.var_dir, settings.secret_key))
    device = devices.device_for(request.cookies.get(DEVICE_COOKIE), username)
    address = request.client.host if request.client else "unknown"
    locked_s = await asyncio.to_thread(throttle.attempt, username, address, device)
    if locked_s:
        # No password is checked while locked: the lock lifts by itself when its window ends.
        return _login_page(request, settings, locked_s=locked_s)
    agent = await asyncio.to_thread(authenticate, username, password)
    if agent is None:
        return RedirectResponse("/console/login?error=1", status_code=303)
    session = await asyncio.to_thread(sessions.create, agent.username, agent.role)
    if not await asyncio.to_thread(is_active, agent.username):
        # Deactivated while logging in: the session may have missed `end_all`.
        await asyncio.to_thread(sessions.delete, session.token)
        return RedirectResponse("/console/login?error=1", status_code=303)
    await asyncio.to_thread(throttle.succeeded, username, address, device)
    secure = settings.effective_public_base_url.startswith("https")
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        max_age=SESSION_TTL_S,
        secure=secure,
    )
    if device is None:
        response.set_cookie(
            DEVICE_COOKIE,
            devices.issue(agent.username),
            httponly=True,
            samesite="strict",
            max_age=DEVICE_TTL_S,
            secure=secure,
            path="/console/login",
        )
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(agent: PageAgent, sessions: ConsoleSessionsDep, csrf: Annotated[str, Form()]):
    if not csrf_ok(agent, csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    await asyncio.to_thread(sessions.delete, agent.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, agent: PageAgent, settings: SettingsDep):
    return _page(request, settings, "queue.html", agent)


@router.get("/api/queue")
async def queue_json(agent: ApiAgent, ledger: LedgerDep):
    def waiting(session):
        return console_data.queue(session, viewer=agent.username, role=agent.role)

    return {"escalations": await ledger.run(waiting), "me": agent.username}


@router.post("/api/escalations/{escalation_id}/claim")
async def claim(escalation_id: str, agent: ApiAgent, queue: QueueDep, ledger: LedgerDep):
    try:
        await ledger.run(queue.claim, escalation_id, agent.username)
    except NotClaimable:
        return JSONResponse({"claimed": False, "detail": "someone else has this case"}, 409)
    return {"claimed": True, "url": f"/console/escalations/{escalation_id}"}


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
async def case_page(
    request: Request, escalation_id: str, agent: PageAgent, settings: SettingsDep, ledger: LedgerDep
):
    case = await ledger.run(console_data.case, escalation_id)
    if case is None:
        raise HTTPException(404, "no such escalation")
    if not console_data.may_open(agent.username, agent.role, case["escalation"]):
        raise HTTPException(403, "another agent has this case")
    return _page(request, settings, "case.html", agent, case=case, dispositions=DISPOSITIONS)


@router.post("/escalations/{escalation_id}/{step}")
async def case_step(
    escalation_id: str,
    step: str,
    agent: PageAgent,
    queue: QueueDep,
    ledger: LedgerDep,
    csrf: Annotated[str, Form()],
    disposition: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
):
    if not csrf_ok(agent, csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    if step not in ("resolve", "release") or (
        step == "resolve" and disposition not in DISPOSITIONS
    ):
        raise HTTPException(422, "choose a disposition")

    def work(session):
        if step == "resolve":
            queue.resolve(
                session, escalation_id, agent.username, disposition=disposition, note=note
            )
        else:
            queue.release(session, escalation_id, agent.username)

    try:
        await ledger.run(work)
    except NotClaimable:
        raise HTTPException(409, "this case is not claimed by you") from None
    return RedirectResponse("/console", status_code=303)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_page(
    request: Request, agent: PageAgent, settings: SettingsDep, ledger: LedgerDep
):
    if agent.role != "supervisor":
        raise HTTPException(403, "supervisors only")
    stats = await ledger.run(console_data.supervisor)
    charts = await ledger.run(console_data.kpi_charts)
    return _page(request, settings, "supervisor.html", agent, stats=stats, charts=charts)


@router.post("/api/agents/{username}/deactivate")
async def deactivate_agent(username: str, agent: ApiAgent, sessions: ConsoleSessionsDep):
    """A supervisor deactivates an agent: no more logins, every open session ends now."""
    if not console_data.sees_everything(agent.role):
        raise HTTPException(403, "supervisors only")
    if not await asyncio.to_thread(deactivate, username):
        raise HTTPException(404, "no such active agent")
    ended = await asyncio.to_thread(sessions.end_all, username)
    return {"deactivated": username, "sessions_ended": ended}


@router.websocket("/ws")
async def live(websocket: WebSocket, sessions: ConsoleSessionsDep, hub: ConsoleHubDep):
    token = websocket.cookies.get(SESSION_COOKIE)
    if await asyncio.to_thread(_live_session, sessions, token) is None:
        await websocket.close(code=4401)
        return
    await websocket.accept()
    queue = hub.subscribe()
    try:
        while True:
            event = await queue.get()
            # A session ended meanwhile (logout, deactivation) gets nothing more.
            if await asyncio.to_thread(_live_session, sessions, token) is None:
                await websocket.close(code=4401)
                return
            await websocket.send_json({"type": "changed", "escalation_id": event})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(queue)
