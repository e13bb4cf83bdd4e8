"""Twilio's playout buffer for the bot's audio, modelled with a clock.

Twilio plays the audio a bot sends in real time, however fast it arrives, and echoes a ``mark``
once all audio queued before it has played; ``clear`` drops whatever has not played yet and
echoes pending marks at once. Bots rely on exactly this to know what the caller heard, so the
simulator keeps the same clock instead of echoing marks on receipt.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from telephony.twilio_sim.audio import FRAME_BYTES, SAMPLE_RATE
from telephony.twilio_sim.recording import BotUtterance, CallerRecording, MarkRecord


class Playback:
    """Playout clock for one stream.

    Bot audio that arrives within ``utterance_gap_s`` (wall-clock) of the previous audio's
    playback end belongs to the same utterance: streaming TTS is bursty, and a short underrun is
    not a new thing said. After a ``clear`` the next audio always starts a new utterance.
    """

    def __init__(
        self, recording: CallerRecording, speed: float = 1.0, utterance_gap_s: float = 0.2
    ) -> None:
        self.recording = recording
        self.speed = speed
        self.utterance_gap_s = utterance_gap_s
        self.play_until = 0.0
        self.pending: deque[MarkRecord] = deque()
        self.current: BotUtterance | None = None
        self._changed = asyncio.Event()

    def is_playing(self, now: float | None = None) -> bool:
        return self.play_until > (time.monotonic() if now is None else now)

    def add_media(self, payload: bytes, now: float) -> None:
        new_utterance = self.current is None or now - self.play_until > self.utterance_gap_s
        start = max(now, self.play_until)
        self.play_until = start + len(payload) / SAMPLE_RATE / self.speed
        if new_utterance or self.current is None:  # (None: for the type checker)
            self.current = BotUtterance(now, start, self.play_until)
            self.recording.utterances.append(self.current)
        self.current.frames += -(-len(payload) // FRAME_BYTES)  # 20 ms frames, rounded up
        self.current.playback_ends_at = self.play_until

    def add_mark(self, name: str, now: float) -> MarkRecord:
        mark = MarkRecord(name, now, max(now, self.play_until))
        self.recording.marks.append(mark)
        self.pending.append(mark)
        self._changed.set()
        return mark

    def clear(self, now: float) -> None:
        if self.current is not None and self.is_playing(now):
            self.current.interrupted_at = now
            self.current.playback_ends_at = now
        self.current = None
        self.play_until = now
        for mark in self.pending:
            mark.due_at = now
            mark.cleared = True
        self._changed.set()

    async def pump(self, echo: Callable[[MarkRecord], Awaitable[None]]) -> None:
        """Echo each pending mark when its audio has played (run as a task)."""
        while True:
            if not self.pending:
                await self._changed.wait()
                self._changed.clear()
                continue
            delay = self.pending[0].due_at - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self._changed.wait(), delay)
                    self._changed.clear()
                    continue  # a clear may have moved the due time: re-check
                except asyncio.TimeoutError:
                    pass
            mark = self.pending.popleft()
            mark.echoed_at = time.monotonic()
            await echo(mark)
