"""One simulated call, from dialling to the final status callback, run as an asyncio task.

Follows Twilio's order of events: status callbacks (initiated, ringing, answered) as the call
progresses, the signed voice webhook for TwiML once answered, then the TwiML executed verb by verb
(a Media Stream for ``<Connect><Stream>``), and the ``completed`` (or busy, no-answer, ...)
callback at the end. A REST update can hang the call up or replace its TwiML at any point.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from telephony import twiml
from telephony.signatures import SIGNATURE_HEADER, sign
from telephony.twilio_sim.caller import ScriptedCaller
from telephony.twilio_sim.state import PlayedVerb, SimCall
from telephony.twilio_sim.wire import (
    amd_fields,
    new_sid,
    status_callback_fields,
    utcnow,
    voice_webhook_fields,
)

if TYPE_CHECKING:
    from telephony.twilio_sim.server import Simulator

log = logging.getLogger(__name__)
END = object()  # a verb ended the call
SAY_S_PER_CHAR = 0.065  # Twilio's <Say> speaks roughly 15 characters a second
PLAY_S = 1.0  # we do not fetch <Play> audio; assume a short prompt
EVENT_STATUS = {"initiated": "initiated", "ringing": "ringing", "answered": "in-progress"}


class CallRun:
    def __init__(self, sim: Simulator, call: SimCall) -> None:
        self.sim = sim
        self.call = call
        self.task: asyncio.Task[None] | None = None
        self.done = asyncio.Event()
        self._sequence = 0
        self._hangup = asyncio.Event()
        self._final_status: str | None = None
        self._finished = False
        self._pending: tuple[str, str] | None = None  # ("twiml", doc) or ("url", url)
        self._program: asyncio.Task[None] | None = None
        self._helpers: list[asyncio.Task[None]] = []
        self._speed = call.scenario.speed

    def start(self) -> None:
        self.task = asyncio.create_task(self._lifecycle(), name=f"call-{self.call.sid}")

    # --- control from the REST API ------------------------------------------------------------

    def hang_up(self, status: str = "completed") -> None:
        """End the call now (REST Status=completed|canceled); the callback follows shortly."""
        if self.call.is_final or self._hangup.is_set():
            return
        answered = self.call.status == "in-progress"
        if status == "canceled" and answered:
            return  # Twilio ignores a cancel once the call is answered
        self._set_final("completed" if answered else "canceled")
        self._hangup.set()
        if self._program is not None:
            self._program.cancel()

    def redirect(self, *, twiml_doc: str | None = None, url: str | None = None) -> None:
        """Replace the call's current TwiML (REST Twiml=... or Url=...)."""
        self._pending = ("twiml", twiml_doc) if twiml_doc is not None else ("url", url or "")
        if self._program is not None:
            self._program.cancel()

    # --- lifecycle ----------------------------------------------------------------------------

    async def _lifecycle(self) -> None:
        try:
            await self._progress()
        except Exception as exc:  # noqa: BLE001 - a simulator bug must not kill the server
            log.exception("call %s failed", self.call.sid)
            self.call.errors.append(repr(exc))
            await self._finish("failed")
        finally:
            for helper in self._helpers:
                helper.cancel()
            self.done.set()

    async def _progress(self) -> None:
        if self.call.direction == "inbound":
            first = await self._ring_inbound()
        else:
            first = await self._ring_outbound()
        if first is None or self._hangup.is_set():
            return await self._finish(self._final_status or "completed")
        if self._pending is None:  # a REST redirect may have arrived while fetching
            self._pending = first
        await self._run_programs()
        await self._finish(self._final_status or "completed")

    async def _ring_outbound(self) -> tuple[str, str] | None:
        """initiated -> ringing -> answered (or busy, no-answer, ...); then the first TwiML."""
        call, scenario = self.call, self.call.scenario
        await self._status("initiated")
        if scenario.outcome in ("busy", "failed"):
            await self._wait_hangup(scenario.ring_s)
            await self._finish(self._final_status or scenario.outcome)
            return None
        call.status = "ringing"
        self._touch("ringing")
        await self._status("ringing")
        if await self._wait_hangup(scenario.ring_s) or scenario.outcome == "no-answer":
            await self._finish(self._final_status or "no-answer")
            return None
        if call.machine_detection and not call.async_amd:
            # synchronous AMD: Twilio waits for the verdict, then reports it on the Url request
            await self._wait_hangup(scenario.amd_delay_s)
            call.answered_by = scenario.answered_by or "human"
        self._answer()
        await self._status("answered")
        if call.machine_detection and call.async_amd:
            self._helpers.append(asyncio.create_task(self._report_amd()))
        return await self._fetch_first()

    async def _ring_inbound(self) -> tuple[str, str] | None:
        """Twilio asks for TwiML while the call rings, and answers it to run that TwiML."""
        self.call.status = "ringing"
        self._touch("ringing")
        first = await self._fetch_first()
        if first is not None and not self._hangup.is_set():
            self._answer()
        return first

    async def _fetch_first(self) -> tuple[str, str] | None:
        """The call's first TwiML: inline (Twiml=) or from the voice webhook (Url=)."""
        if self.call.twiml is not None:
            return ("twiml", self.call.twiml)
        doc = await self._fetch("voice", self.call.url or "", {})
        return ("twiml", doc) if doc is not None else None

    def _answer(self) -> None:
        call = self.call
        call.status = "in-progress"
        call.start_time = utcnow()
        call.answered_at = time.monotonic()
        self._touch("answered")

    async def _run_programs(self) -> None:
        while self._pending is not None and not self._hangup.is_set():
            kind, value = self._pending
            self._pending = None
            self._program = asyncio.create_task(self._execute_source(kind, value))
            await asyncio.wait({self._program})
            if not self._program.cancelled() and self._program.exception() is not None:
                raise self._program.exception()  # type: ignore[misc]
            self._program = None

    async def _execute_source(self, kind: str, value: str) -> None:
        doc = value if kind == "twiml" else await self._fetch("redirect", value, {})
        base = self.call.url or self.sim.webhook_base
        if kind == "url":
            base = value
        while doc is not None:
            doc, base = await self._execute(doc, base)

    async def _execute(self, doc: str, base: str) -> tuple[str | None, str]:
        """Run one TwiML document; returns the next document (Redirect, actions) or None."""
        self.call.twiml_documents.append(doc)
        try:
            verbs = twiml.parse(doc)
        except twiml.TwiMLError as exc:
            self._error(f"12100 document parse failure: {exc}")
            return None, base
        for verb in verbs:
            outcome = await self._verb(verb, base)
            if outcome is END:
                self._set_final("completed")
                self._hangup.set()
                return None, base
            if isinstance(outcome, tuple):
                return outcome
        return None, base

    async def _verb(self, verb: twiml.Verb, base: str) -> object:
        call = self.call
        call.played.append(PlayedVerb(verb))
        self.sim.log("verb", call.sid, verb=type(verb).__name__, detail=verb)
        if isinstance(verb, twiml.Say):
            await self._sleep(min(30.0, len(verb.text) * SAY_S_PER_CHAR) * verb.loop)
        elif isinstance(verb, twiml.Play):
            await self._sleep(PLAY_S * verb.loop)
        elif isinstance(verb, twiml.Pause):
            await self._sleep(verb.length)
        elif isinstance(verb, twiml.Hangup):
            return END
        elif isinstance(verb, twiml.Redirect):
            url = urljoin(base, verb.url)
            doc = await self._fetch("redirect", url, {})
            return (doc, url) if doc is not None else END
        elif isinstance(verb, twiml.Dial):
            return await self._dial(verb, base)
        elif isinstance(verb, twiml.Gather):
            return await self._gather(verb, base)
        elif isinstance(verb, twiml.Connect):
            return await self._connect(verb, base)
        return None

    async def _dial(self, verb: twiml.Dial, base: str) -> object:
        self.call.transfers.append(verb.number)
        self.sim.log("transfer", self.call.sid, number=verb.number, caller_id=verb.caller_id)
        started = time.monotonic()
        await self._sleep(self.call.scenario.dial_duration_s)
        if not verb.action:
            return None
        fields = {
            "DialCallStatus": "completed",
            "DialCallSid": new_sid("CA"),
            "DialCallDuration": str(round(time.monotonic() - started)),
        }
        url = urljoin(base, verb.action)
        doc = await self._fetch("action", url, fields)
        return (doc, url) if doc is not None else END

    async def _gather(self, verb: twiml.Gather, base: str) -> object:
        for child in verb.children:
            await self._verb(child, base)
        digits = self.call.scenario.gather_digits
        if digits is None or not verb.action:
            await self._sleep(verb.timeout)
            return None
        url = urljoin(base, verb.action)
        doc = await self._fetch("action", url, {"Digits": digits, "FinishedOnKey": ""})
        return (doc, url) if doc is not None else END

    async def _connect(self, verb: twiml.Connect, base: str) -> object:
        call = self.call
        if verb.stream is None:
            self._error("<Connect> without <Stream> is not simulated")
            return None
        public_url = verb.stream.url
        ws_url = public_url
        if self.sim.wss_to_ws and ws_url.startswith("wss://"):
            ws_url = "ws://" + ws_url[len("wss://") :]
        caller = ScriptedCaller(
            url=ws_url,
            account_sid=call.account_sid,
            call_sid=call.sid,
            custom_parameters=verb.stream.parameters,
            steps=call.scenario.steps,
            speed=call.scenario.speed,
            max_duration_s=call.scenario.max_duration_s,
            headers={SIGNATURE_HEADER: sign(public_url, {}, self.sim.auth_token)},
        )
        call.streams.append(caller.recording)
        self.sim.log("stream-start", call.sid, url=public_url, stream_sid=caller.stream_sid)
        reason = "call_ended"  # what it is if this task is cancelled (REST hang-up / redirect)
        try:
            reason = await caller.run()
        finally:
            self.sim.log("stream-end", call.sid, reason=reason, stream_sid=caller.stream_sid)
        if reason == "connect_failed":
            self._error(f"31920 stream connection failed: {caller.recording.errors[-1:]}")
            return None
        if reason != "bot_closed":
            return END  # the caller hung up (or the script failed / ran out of time)
        if verb.action:
            url = urljoin(base, verb.action)
            doc = await self._fetch("action", url, {})
            return (doc, url) if doc is not None else END
        return None

    # --- helpers ------------------------------------------------------------------------------

    async def _fetch(self, kind: str, url: str, extra: dict[str, str]) -> str | None:
        """POST the voice webhook fields (+ extra) to ``url``; the TwiML, or None on failure."""
        params = voice_webhook_fields(self.call) | extra
        [delivery] = await self.sim.webhooks.post(kind, url, params)
        self.call.callbacks.append(delivery)
        if delivery.error or delivery.status_code != 200:
            self._error(f"11200 HTTP retrieval failure: {url} -> {delivery.status_code}")
            return None
        return delivery.body

    async def _status(self, event: str, final_status: str | None = None) -> None:
        call = self.call
        if not call.status_callback or event not in call.status_callback_events:
            return
        call_status = final_status or EVENT_STATUS[event]
        params = status_callback_fields(call, call_status, self._sequence)
        self._sequence += 1
        copies = 2 if self.sim.duplicate_callbacks else 1
        deliveries = await self.sim.webhooks.post(
            "status", call.status_callback, params, copies=copies
        )
        call.callbacks.extend(deliveries)

    async def _report_amd(self) -> None:
        call, scenario = self.call, self.call.scenario
        await asyncio.sleep(scenario.amd_delay_s)
        if call.is_final:
            return
        call.answered_by = scenario.answered_by or "human"
        self.sim.log("amd", call.sid, answered_by=call.answered_by)
        if call.async_amd_status_callback:
            params = amd_fields(call, call.answered_by, int(scenario.amd_delay_s * 1000))
            copies = 2 if self.sim.duplicate_callbacks else 1
            url = call.async_amd_status_callback
            call.callbacks.extend(await self.sim.webhooks.post("amd", url, params, copies=copies))

    async def _finish(self, status: str) -> None:
        if self._finished:
            return
        self._finished = True
        self._set_final(status)
        for helper in self._helpers:
            helper.cancel()
        await self._status("completed", final_status=self.call.status)

    def _set_final(self, status: str) -> None:
        call = self.call
        if call.is_final:
            return
        call.status = status
        call.end_time = utcnow()
        if call.answered_at is not None:
            call.duration = round(time.monotonic() - call.answered_at)
        else:
            call.duration = 0
        self._final_status = status
        self._touch(status)

    async def _wait_hangup(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if the call was hung up meanwhile."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._hangup.wait(), seconds)
        return self._hangup.is_set()

    async def _sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self._speed)

    def _touch(self, what: str) -> None:
        self.call.date_updated = utcnow()
        self.sim.log(f"call-{what}", self.call.sid, status=self.call.status)

    def _error(self, message: str) -> None:
        self.call.errors.append(message)
        self.sim.log("error", self.call.sid, message=message)
