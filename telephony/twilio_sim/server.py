"""The sandbox carrier: Twilio's REST subset at its real paths, plus the simulator's state.

``create_sim_app`` returns a FastAPI app whose ``app.state.sim`` is the ``Simulator``: tests
register scenarios on it (``expect_call``), trigger inbound traffic (``inbound_call``,
``inbound_sms``) and read what happened (``calls``, ``messages``, ``events``, ``deliveries``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import secrets
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from telephony.twilio_sim import messages as sms
from telephony.twilio_sim.calls import CallRun
from telephony.twilio_sim.scenario import CallScenario, MessageScenario
from telephony.twilio_sim.state import SimCall, SimEvent, SimMessage, WebhookDelivery
from telephony.twilio_sim.webhooks import WebhookSender
from telephony.twilio_sim.wire import API_VERSION, call_json, error_body, message_json, new_sid

CALL_EVENTS = {"initiated", "ringing", "answered", "completed"}


class Simulator:
    """All state of one simulated Twilio account; every method runs on the server's loop."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        webhook_base: str,
        wss_to_ws: bool = True,
        duplicate_callbacks: bool = False,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.webhook_base = webhook_base.rstrip("/")
        # Loopback gateways usually have no TLS: open wss:// stream URLs as ws:// (the signature
        # header still covers the wss:// URL the TwiML named, as Twilio's would).
        self.wss_to_ws = wss_to_ws
        # Twilio retries webhooks; True sends each status/AMD/message-status callback twice.
        self.duplicate_callbacks = duplicate_callbacks
        self.base_url: str | None = None  # set by running_simulator
        self.calls: dict[str, SimCall] = {}
        self.messages: dict[str, SimMessage] = {}
        self.events: list[SimEvent] = []
        self.deliveries: list[WebhookDelivery] = []
        self.webhooks = WebhookSender(auth_token, on_delivery=self.deliveries.append)
        self._call_scenarios: dict[str, deque[CallScenario]] = defaultdict(deque)
        self._message_scenarios: dict[str, deque[MessageScenario]] = defaultdict(deque)
        self._runs: dict[str, CallRun] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    # --- scenarios and inspection -------------------------------------------------------------

    def expect_call(self, to_number: str, scenario: CallScenario) -> None:
        """The next call to ``to_number`` plays out as ``scenario`` (FIFO per number)."""
        self._call_scenarios[to_number].append(scenario)

    def expect_message(self, to_number: str, scenario: MessageScenario) -> None:
        self._message_scenarios[to_number].append(scenario)

    def log(self, kind: str, sid: str, **data: Any) -> None:
        self.events.append(SimEvent(kind, sid, data))

    def events_for(self, sid: str, kind: str | None = None) -> list[SimEvent]:
        return [e for e in self.events if e.sid == sid and (kind is None or e.kind == kind)]

    async def wait_for_call(self, call_sid: str, timeout: float = 30.0) -> SimCall:
        """Wait until the call has ended and its final callback has been posted."""
        await asyncio.wait_for(self._runs[call_sid].done.wait(), timeout)
        return self.calls[call_sid]

    async def wait_for_message(self, sid: str, status: str, timeout: float = 10.0) -> SimMessage:
        async def reached() -> None:
            while self.messages[sid].status != status or not self._idle(sid):
                await asyncio.sleep(0.01)

        await asyncio.wait_for(reached(), timeout)
        return self.messages[sid]

    def _idle(self, sid: str) -> bool:
        return not any(t.get_name() == f"message-{sid}" for t in self._tasks)

    # --- traffic ------------------------------------------------------------------------------

    def place_call(self, form: dict[str, Any]) -> SimCall:
        """An outbound call from a Calls.json POST; its lifecycle starts in the background."""
        to = form["To"]
        queue = self._call_scenarios.get(to)
        scenario = queue.popleft() if queue else CallScenario()
        events = tuple(e for e in form.get("StatusCallbackEvent", []) if e in CALL_EVENTS)
        call = SimCall(
            sid=new_sid("CA"),
            account_sid=self.account_sid,
            to=to,
            from_=form.get("From", ""),
            direction="outbound-api",
            scenario=scenario,
            url=form.get("Url"),
            twiml=form.get("Twiml"),
            status_callback=form.get("StatusCallback"),
            status_callback_events=events or ("completed",),
            machine_detection=form.get("MachineDetection"),
            async_amd=str(form.get("AsyncAmd", "false")).lower() == "true",
            async_amd_status_callback=form.get("AsyncAmdStatusCallback"),
        )
        self._start_call(call)
        return call

    async def inbound_call(
        self,
        from_number: str,
        to_number: str,
        scenario: CallScenario | None = None,
        *,
        status_callback: str | None = None,
    ) -> SimCall:
        """Someone dials ``to_number``: Twilio posts to ``{webhook_base}/twilio/voice``."""
        call = SimCall(
            sid=new_sid("CA"),
            account_sid=self.account_sid,
            to=to_number,
            from_=from_number,
            direction="inbound",
            scenario=scenario or CallScenario(),
            url=f"{self.webhook_base}/twilio/voice",
            status_callback=status_callback,
        )
        self._start_call(call)
        return call

    def _start_call(self, call: SimCall) -> None:
        self.calls[call.sid] = call
        self.log("call-created", call.sid, to=call.to, from_=call.from_, direction=call.direction)
        run = CallRun(self, call)
        self._runs[call.sid] = run
        run.start()
        assert run.task is not None
        self._track(run.task)

    def update_call(self, call: SimCall, form: dict[str, Any]) -> None:
        run = self._runs[call.sid]
        status, doc, url = form.get("Status"), form.get("Twiml"), form.get("Url")
        if status in ("completed", "canceled"):
            run.hang_up(status)
        elif doc is not None or url is not None:
            if call.status in ("queued", "ringing"):
                call.twiml, call.url = (doc, call.url) if doc is not None else (None, url)
            else:
                run.redirect(twiml_doc=doc, url=url)
            self.log("call-redirected", call.sid, twiml=doc, url=url)

    def send_message(self, form: dict[str, Any]) -> SimMessage:
        to = form["To"]
        queue = self._message_scenarios.get(to)
        message = SimMessage(
            sid=new_sid("SM"),
            account_sid=self.account_sid,
            to=to,
            from_=form.get("From", ""),
            body=form.get("Body", ""),
            direction="outbound-api",
            scenario=queue.popleft() if queue else None,
            status_callback=form.get("StatusCallback"),
            validity_period=int(form["ValidityPeriod"]) if form.get("ValidityPeriod") else None,
        )
        self.messages[message.sid] = message
        self.log("message-created", message.sid, to=to, body=message.body)
        self._track(asyncio.create_task(sms.deliver(self, message), name=f"message-{message.sid}"))
        return message

    async def inbound_sms(
        self, from_number: str, to_number: str, body: str, message_sid: str | None = None
    ) -> list[str]:
        """A text to ``to_number``: the bodies of the app's <Message> replies.

        Pass the same ``message_sid`` again to simulate Twilio re-sending the webhook.
        Raises ``WebhookRejected`` when the app answers non-2xx.
        """
        return await sms.receive(self, from_number, to_number, body, message_sid)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Stop every call and delivery in flight (server shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.webhooks.aclose()


# --- the REST API -------------------------------------------------------------------------------


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, code, message), status_code=status)


def _authorized(request: Request, sim: Simulator, account_sid: str) -> bool:
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, password = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (
        secrets.compare_digest(user, sim.account_sid)
        and secrets.compare_digest(password, sim.auth_token)
        and account_sid == sim.account_sid
    )


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    data: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    data["StatusCallbackEvent"] = form.getlist("StatusCallbackEvent")
    return data


def _router(sim: Simulator) -> APIRouter:
    router = APIRouter(prefix=f"/{API_VERSION}/Accounts/{{account_sid}}")
    unauthorized = (401, 20003, "Authenticate")

    @router.post("/Calls.json")
    async def create_call(account_sid: str, request: Request) -> JSONResponse:
        if not _authorized(request, sim, account_sid):
            return _error(*unauthorized)
        form = await _form(request)
        if not form.get("To"):
            return _error(400, 21201, "No 'To' number is specified")
        if not form.get("From"):
            return _error(400, 21213, "No 'From' number is specified")
        if not form.get("Url") and not form.get("Twiml"):
            return _error(400, 21205, "Url parameter is required.")
        call = sim.place_call(form)
        return JSONResponse(call_json(call), status_code=201)

    @router.get("/Calls/{call_sid}.json")
    async def fetch_call(account_sid: str, call_sid: str, request: Request) -> JSONResponse:
        if not _authorized(request, sim, account_sid):
            return _error(*unauthorized)
        call = sim.calls.get(call_sid)
        if call is None:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        return JSONResponse(call_json(call))

    @router.post("/Calls/{call_sid}.json")
    async def update_call(account_sid: str, call_sid: str, request: Request) -> JSONResponse:
        if not _authorized(request, sim, account_sid):
            return _error(*unauthorized)
        call = sim.calls.get(call_sid)
        if call is None:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        form = await _form(request)
        status = form.get("Status")
        if status is not None and status not in ("completed", "canceled"):
            return _error(400, 20001, f"Invalid Status {status!r}")
        if call.is_final and (form.get("Twiml") or form.get("Url")):
            return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
        if not call.is_final:
            sim.update_call(call, form)
        return JSONResponse(call_json(call))

    @router.post("/Messages.json")
    async def create_message(account_sid: str, request: Request) -> JSONResponse:
        if not _authorized(request, sim, account_sid):
            return _error(*unauthorized)
        form = await _form(request)
        if not form.get("To"):
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        validity = form.get("ValidityPeriod")
        if validity is not None and not (
            validity.isdigit() and 1 <= int(validity) <= sms.MAX_VALIDITY_S
        ):
            return _error(400, 21624, "Invalid validity period value")
        message = sim.send_message(form)
        return JSONResponse(message_json(message), status_code=201)

    @router.get("/Messages/{message_sid}.json")
    async def fetch_message(account_sid: str, message_sid: str, request: Request) -> JSONResponse:
        if not _authorized(request, sim, account_sid):
            return _error(*unauthorized)
        message = sim.messages.get(message_sid)
        if message is None:
            return _error(404, 20404, f"The requested resource {request.url.path} was not found")
        return JSONResponse(message_json(message))

    return router


def create_sim_app(
    *,
    account_sid: str,
    auth_token: str,
    webhook_base: str,
    wss_to_ws: bool = True,
    duplicate_callbacks: bool = False,
) -> FastAPI:
    """The simulator as an ASGI app; its state is ``app.state.sim`` (a ``Simulator``)."""
    sim = Simulator(
        account_sid=account_sid,
        auth_token=auth_token,
        webhook_base=webhook_base,
        wss_to_ws=wss_to_ws,
        duplicate_callbacks=duplicate_callbacks,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await sim.aclose()

    app = FastAPI(title="Twilio simulator", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.include_router(_router(sim))
    from telephony.twilio_sim.control import control_router

    app.include_router(control_router(sim))
    app.state.sim = sim
    return app
