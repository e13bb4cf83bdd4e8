"""The far end of a Media Stream: a scripted caller speaking Twilio's exact WebSocket JSON.

It connects to the bot's stream URL the way Twilio does (``connected``, ``start``, then a
``media`` frame every 20 ms, silence when the caller says nothing), plays the bot's audio out on
a real-time clock (see ``playback``), echoes marks, honours ``clear``, and records everything
with timestamps (see ``recording``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from telephony.twilio_sim import audio
from telephony.twilio_sim.playback import Playback
from telephony.twilio_sim.recording import BotMedia, CallerRecording, CallerTurn, MarkRecord
from telephony.twilio_sim.scenario import (
    Audio,
    BargeIn,
    Dtmf,
    Hangup,
    Say,
    Silence,
    Step,
    WaitForBot,
)
from telephony.twilio_sim.wire import new_sid

log = logging.getLogger(__name__)
POLL_S = 0.01


class ScriptError(RuntimeError):
    """A step could not complete (e.g. the bot never spoke before WaitForBot's timeout)."""


class ScriptedCaller:
    def __init__(
        self,
        *,
        url: str,
        account_sid: str,
        call_sid: str,
        custom_parameters: Mapping[str, str] | None = None,
        steps: Sequence[Step] = (),
        speed: float = 1.0,
        max_duration_s: float = 120.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        self.account_sid = account_sid
        self.call_sid = call_sid
        self.steps = list(steps)
        self.speed = speed
        self.max_duration_s = max_duration_s
        self.headers = dict(headers or {})
        self.stream_sid = new_sid("MZ")
        self.recording = CallerRecording(self.stream_sid, call_sid, dict(custom_parameters or {}))
        self.playback = Playback(self.recording, speed)
        self._ws: Any = None
        self._send_lock = asyncio.Lock()
        self._sequence = 0
        self._chunk = 0
        self._outgoing: deque[tuple[bytes, bool]] = deque()
        self._turn: CallerTurn | None = None
        self._drained = asyncio.Event()
        self._last_bot_media_at = float("-inf")

    # --- sending ------------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any], *, numbered: bool = True) -> None:
        async with self._send_lock:
            if numbered:
                self._sequence += 1
                message = {"event": message["event"], "sequenceNumber": str(self._sequence)} | {
                    k: v for k, v in message.items() if k != "event"
                }
            await self._ws.send(json.dumps(message))

    async def _send_start(self) -> None:
        await self._send(
            {"event": "connected", "protocol": "Call", "version": "1.0.0"}, numbered=False
        )
        await self._send(
            {
                "event": "start",
                "start": {
                    "accountSid": self.account_sid,
                    "streamSid": self.stream_sid,
                    "callSid": self.call_sid,
                    "tracks": ["inbound"],
                    "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
                    "customParameters": self.recording.custom_parameters,
                },
                "streamSid": self.stream_sid,
            }
        )

    async def _send_stop(self) -> None:
        stop = {"accountSid": self.account_sid, "callSid": self.call_sid}
        await self._send({"event": "stop", "stop": stop, "streamSid": self.stream_sid})

    async def _echo_mark(self, mark: MarkRecord) -> None:
        message = {"event": "mark", "streamSid": self.stream_sid, "mark": {"name": mark.name}}
        await self._send(message)

    async def _line(self) -> None:
        """One frame every 20 ms (media time): the current utterance, else silence."""
        interval = audio.FRAME_MS / 1000 / self.speed
        next_at = time.monotonic()
        while True:
            if self._outgoing:
                frame, voiced = self._outgoing.popleft()
            else:
                frame, voiced = audio.SILENCE_FRAME, False
            self._chunk += 1
            media = {
                "track": "inbound",
                "chunk": str(self._chunk),
                "timestamp": str((self._chunk - 1) * audio.FRAME_MS),
                "payload": base64.b64encode(frame).decode("ascii"),
            }
            await self._send({"event": "media", "streamSid": self.stream_sid, "media": media})
            self.recording.frames_sent += 1
            self._account_frame(voiced)
            next_at += interval
            delay = next_at - time.monotonic()
            if delay < -0.2:  # badly behind (loaded machine): resume pacing instead of bursting
                next_at = time.monotonic()
            await asyncio.sleep(max(0.0, delay))

    def _account_frame(self, voiced: bool) -> None:
        turn = self._turn
        if turn is None:
            return
        now = time.monotonic()
        if turn.started_at is None:
            turn.started_at = now
        turn.frames += 1
        if voiced:
            turn.last_voiced_at = now
        if not self._outgoing:
            turn.ended_at = now
            self._turn = None
            self._drained.set()

    async def _speak(self, mulaw: bytes, turn: CallerTurn) -> None:
        chunks = audio.frames(mulaw) or [audio.SILENCE_FRAME]
        self.recording.turns.append(turn)
        self._drained.clear()
        self._turn = turn
        self._outgoing.extend((frame, audio.is_voiced(frame)) for frame in chunks)
        await self._drained.wait()

    # --- receiving ----------------------------------------------------------------------------

    async def _receive(self) -> None:
        async for raw in self._ws:
            now = time.monotonic()
            try:
                message = json.loads(raw)
            except (TypeError, ValueError):
                self.recording.errors.append(f"non-JSON frame from bot: {raw!r:.80}")
                continue
            self._handle(message, now)

    def _handle(self, message: dict[str, Any], now: float) -> None:
        event = message.get("event")
        if message.get("streamSid") != self.stream_sid:
            self.recording.errors.append(f"{event} with streamSid {message.get('streamSid')!r}")
        if event == "media":
            try:
                payload = base64.b64decode(message["media"]["payload"], validate=True)
            except (KeyError, TypeError, ValueError):
                self.recording.errors.append("media without a valid base64 payload")
                return
            self._on_bot_media(payload, now)
        elif event == "mark":
            name = (message.get("mark") or {}).get("name")
            if not name:
                self.recording.errors.append("mark without a name")
                return
            self.playback.add_mark(name, now)
        elif event == "clear":
            self.recording.clears.append(now)
            self.playback.clear(now)
        else:
            self.recording.other_messages.append((now, message))

    def _on_bot_media(self, payload: bytes, now: float) -> None:
        self.recording.media.append(BotMedia(now, payload))
        self.playback.add_media(payload, now)
        self._last_bot_media_at = now
        turn = self.recording.turns[-1] if self.recording.turns else None
        if turn and turn.ended_at is not None and turn.first_bot_media_at is None:
            turn.first_bot_media_at = now  # the bot's first frame after the caller's turn

    # --- the script ---------------------------------------------------------------------------

    async def _script(self) -> str:
        for step in self.steps:
            if isinstance(step, Hangup):
                return "caller_hangup"
            await self._run_step(step)
        return "script_done"

    async def _run_step(self, step: Step) -> None:
        if isinstance(step, Say):
            speech = await asyncio.to_thread(audio.synthesize, step.text, step.voice)
            await self._speak(speech, CallerTurn("say", step.text))
        elif isinstance(step, Audio):
            await self._speak(step.mulaw, CallerTurn("audio"))
        elif isinstance(step, Dtmf):
            await self._press(step)
        elif isinstance(step, Silence):
            await asyncio.sleep(step.ms / 1000 / self.speed)
        elif isinstance(step, WaitForBot):
            await self._wait_for_bot(step)
        elif isinstance(step, BargeIn):
            await self._barge_in(step)

    async def _press(self, step: Dtmf) -> None:
        turn = CallerTurn("dtmf", step.digits)
        self.recording.turns.append(turn)
        for i, digit in enumerate(step.digits):
            if i:
                await asyncio.sleep(step.gap_ms / 1000 / self.speed)
            dtmf = {"track": "inbound_track", "digit": digit}
            await self._send({"event": "dtmf", "streamSid": self.stream_sid, "dtmf": dtmf})
            now = time.monotonic()
            self.recording.dtmf_sent.append((now, digit))
            turn.started_at = turn.started_at or now
            turn.last_voiced_at = now
            turn.frames += 1
        turn.ended_at = turn.last_voiced_at  # only now does the bot's answer count

    async def _wait_for_bot(self, step: WaitForBot) -> None:
        ended = [t.ended_at for t in self.recording.turns if t.ended_at is not None]
        since = ended[-1] if ended else (self.recording.stream_opened_at or 0.0)
        deadline = time.monotonic() + step.timeout_s
        while time.monotonic() < deadline:
            now = time.monotonic()
            heard = self._last_bot_media_at >= since
            quiet = (
                not self.playback.is_playing(now)
                and not self.playback.pending
                and now - self._last_bot_media_at >= step.quiet_ms / 1000
            )
            if heard and quiet:
                return
            await asyncio.sleep(POLL_S)
        raise ScriptError(f"WaitForBot: the bot did not speak and finish within {step.timeout_s}s")

    async def _barge_in(self, step: BargeIn) -> None:
        if step.audio is not None:
            speech = step.audio
        else:  # synthesise first, so the speech starts exactly after_ms into the utterance
            speech = await asyncio.to_thread(audio.synthesize, step.text, step.voice)
        utterance = self.playback.current if self.playback.is_playing() else None
        known = len(self.recording.utterances)
        deadline = time.monotonic() + step.timeout_s
        while utterance is None:
            if len(self.recording.utterances) > known:
                utterance = self.recording.utterances[known]
            elif time.monotonic() > deadline:
                raise ScriptError(f"BargeIn: the bot did not start speaking in {step.timeout_s}s")
            else:
                await asyncio.sleep(POLL_S)
        start_at = utterance.playback_started_at + step.after_ms / 1000 / self.speed
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        await self._speak(speech, CallerTurn("barge_in", step.text))

    # --- lifecycle ----------------------------------------------------------------------------

    async def run(self) -> str:
        """Hold the stream until the caller hangs up, the bot closes it, or the call is ended.

        Returns the reason: ``caller_hangup``, ``bot_closed``, ``max_duration``, ``script_error``
        or ``connect_failed``. Cancelling the task (the call was ended or redirected through the
        REST API) sends ``stop`` and closes the socket, as Twilio does.
        """
        rec = self.recording
        try:
            self._ws = await websockets.connect(
                self.url,
                extra_headers=self.headers,
                open_timeout=10,
                close_timeout=1,
                max_size=2**22,
            )
        except (OSError, InvalidHandshake, InvalidURI, asyncio.TimeoutError) as exc:
            rec.errors.append(f"could not open the stream {self.url}: {exc!r}")
            rec.end_reason = "connect_failed"
            return rec.end_reason
        rec.stream_opened_at = time.monotonic()
        tasks: list[asyncio.Task[Any]] = []
        reason = "call_ended"
        try:
            await self._send_start()
            receiver = asyncio.create_task(self._receive())
            script = asyncio.create_task(self._script())
            tasks = [
                receiver,
                script,
                asyncio.create_task(self._line()),
                asyncio.create_task(self.playback.pump(self._echo_mark)),
            ]
            reason = await self._supervise(receiver, script, tasks[2:])
        except ConnectionClosed:
            reason = "bot_closed"
        finally:
            rec.end_reason = reason
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._close(send_stop=reason != "bot_closed")
        return reason

    async def _supervise(
        self, receiver: asyncio.Task[Any], script: asyncio.Task[Any], helpers: list[asyncio.Task]
    ) -> str:
        deadline = time.monotonic() + self.max_duration_s
        pending: set[asyncio.Task[Any]] = {receiver, script, *helpers}
        while True:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                return "max_duration"
            done, pending = await asyncio.wait(
                pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if receiver in done:
                return "bot_closed"
            for task in done - {script}:
                # the line or the mark pump died: the socket is gone
                if isinstance(task.exception(), ConnectionClosed):
                    return "bot_closed"
                self.recording.errors.append(f"caller task failed: {task.exception()!r}")
                return "script_error"
            if script in done:
                error = script.exception()
                if isinstance(error, ConnectionClosed):
                    return "bot_closed"
                if error is not None:
                    self.recording.errors.append(str(error))
                    return "script_error"
                if script.result() == "caller_hangup":
                    return "caller_hangup"
                # script finished without hanging up: stay on the line until the call ends

    async def _close(self, *, send_stop: bool) -> None:
        if self._ws is None:
            return
        if send_stop:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._send_stop(), 1.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._ws.close(), 2.0)
        self.recording.stream_closed_at = time.monotonic()
