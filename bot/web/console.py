"""The agents' console: login, the live escalation queue, claiming and resolving a case, and the
supervisor's view. Every page and API needs a logged-in agent; every change needs the session's
CSRF token."""

from __future__ import annotations

import asyncio
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.websockets import WebSocketDisconnect

from bot.agents import console_data
from bot.agents.escalations import NotClaimable
from bot.agents.logins import authenticate
from bot.ledger.db import session_scope
from bot.web.security import SESSION_COOKIE, SESSION_TTL_S, ConsoleSession, csrf_ok
from bot.web.templating import templates

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


def _session(request: Request) -> ConsoleSession | None:
    return request.app.state.sessions.get(request.cookies.get(SESSION_COOKIE))


def page_agent(request: Request) -> ConsoleSession:
    session = _session(request)
    if session is None:
        raise LoginRequired
    return session


def api_agent(request: Request) -> ConsoleSession:
    session = _session(request)
    if session is None:
        raise HTTPException(401, "log in to the console first")
    if request.method != "GET" and not csrf_ok(session, request.headers.get("X-CSRF-Token")):
        raise HTTPException(403, "missing or wrong CSRF token")
    return session


PageAgent = Annotated[ConsoleSession, Depends(page_agent)]
ApiAgent = Annotated[ConsoleSession, Depends(api_agent)]


def _page(request: Request, name: str, agent: ConsoleSession | None, **context):
    settings = request.app.state.settings
    return templates.TemplateResponse(
        request, name, {"bank": settings.bank_name, "agent": agent, **context}
    )


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, error: str = ""):
    token = secrets.token_urlsafe(24)
    response = _page(request, "login.html", None, csrf=token, error=error)
    response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict")
    return response


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
):
    if not secrets.compare_digest(csrf, request.cookies.get(LOGIN_CSRF, "")):
        raise HTTPException(403, "missing or wrong CSRF token")
    agent = await asyncio.to_thread(authenticate, username, password)
    if agent is None:
        return RedirectResponse("/console/login?error=1", status_code=303)
    session = await asyncio.to_thread(request.app.state.sessions.create, agent.username, agent.role)
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="strict",
        max_age=SESSION_TTL_S,
        secure=request.app.state.settings.effective_public_base_url.startswith("https"),
    )
    response.delete_cookie(LOGIN_CSRF)
    return response


@router.post("/logout")
async def logout(request: Request, agent: PageAgent, csrf: Annotated[str, Form()]):
    if not csrf_ok(agent, csrf):
        raise HTTPException(403, "missing or wrong CSRF token")
    request.app.state.sessions.delete(agent.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("", response_class=HTMLResponse)
async def queue_page(request: Request, agent: PageAgent):
    return _page(request, "queue.html", agent)


def _load(fn, *args):
    with session_scope() as session:
        return fn(session, *args)


@router.get("/api/queue")
async def queue_json(agent: ApiAgent):
    return {"escalations": await asyncio.to_thread(_load, console_data.queue), "me": agent.username}


@router.post("/api/escalations/{escalation_id}/claim")
async def claim(request: Request, escalation_id: str, agent: ApiAgent):
    queue = request.app.state.queue

    def work():
        with session_scope() as session:
            queue.claim(session, escalation_id, agent.username)

    try:
        await asyncio.to_thread(work)
    except NotClaimable:
        return JSONResponse({"claimed": False, "detail": "someone else has this case"}, 409)
    return {"claimed": True, "url": f"/console/escalations/{escalation_id}"}


@router.get("/escalations/{escalation_id}", response_class=HTMLResponse)
async def case_page(request: Request, escalation_id: str, agent: PageAgent):
    case = await asyncio.to_thread(_load, console_data.case, escalation_id)
    if case is None:
        raise HTTPException(404, "no such escalation")
    return _page(request, "case.html", agent, case=case, dispositions=DISPOSITIONS)


@router.post("/escalations/{escalation_id}/{step}")
async def case_step(
    request: Request,
    escalation_id: str,
    step: str,
    agent: PageAgent,
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
    queue = request.app.state.queue

    def work():
        with session_scope() as session:
            if step == "resolve":
                queue.resolve(
                    session, escalation_id, agent.username, disposition=disposition, note=note
                )
            else:
                queue.release(session, escalation_id, agent.username)

    try:
        await asyncio.to_thread(work)
    except NotClaimable:
        raise HTTPException(409, "this case is not claimed by you") from None
    return RedirectResponse("/console", status_code=303)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_page(request: Request, agent: PageAgent):
    if agent.role != "supervisor":
        raise HTTPException(403, "supervisors only")
    stats = await asyncio.to_thread(_load, console_data.supervisor)
    charts = await asyncio.to_thread(_load, console_data.kpi_charts)
    return _page(request, "supervisor.html", agent, stats=stats, charts=charts)


@router.websocket("/ws")
async def live(websocket: WebSocket):
    session = websocket.app.state.sessions.get(websocket.cookies.get(SESSION_COOKIE))
    if session is None:
        await websocket.close(code=4401)
        return
    await websocket.accept()
    hub = websocket.app.state.console_hub
    queue = hub.subscribe()
    try:
        while True:
            event = await queue.get()
            await websocket.send_json({"type": "changed", "escalation_id": event})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        hub.unsubscribe(queue)
