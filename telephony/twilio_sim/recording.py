"""What the scripted caller saw on a Media Stream, timestamped for latency measurements.

All times are ``time.monotonic()`` seconds (the event loop's clock), so they compare directly
with each other and with ``SimEvent.at``. ``stream_opened_at`` anchors them when relative
times are wanted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class BotMedia:
    """One ``media`` message from the bot: its arrival time and decoded mu-law bytes."""

    at: float
    payload: bytes


@dataclass
class MarkRecord:
    """A ``mark`` from the bot and its echo (``cleared``: echoed early because of a ``clear``)."""

    name: str
    received_at: float
    due_at: float
    echoed_at: float | None = None
    cleared: bool = False


@dataclass
class BotUtterance:
    """A run of bot audio that played without a gap (as Twilio would have played it)."""

    first_media_at: float
    playback_started_at: float
    playback_ends_at: float
    frames: int = 0
    interrupted_at: float | None = None


@dataclass
class CallerTurn:
    """Something the caller said or pressed, and when the bot's answer started arriving.

    ``first_bot_media_at`` is the first bot media frame received after the turn's last frame
    was sent; ``response_latency_s`` measures it from the last voiced frame (for DTMF, the last
    key press), i.e. what a person on the phone would feel as the bot's reaction time.
    """

    kind: str
    text: str = ""
    started_at: float | None = None
    ended_at: float | None = None
    last_voiced_at: float | None = None
    first_bot_media_at: float | None = None
    frames: int = 0

    @property
    def response_latency_s(self) -> float | None:
        reference = self.last_voiced_at or self.ended_at
        if reference is None or self.first_bot_media_at is None:
            return None
        return self.first_bot_media_at - reference


@dataclass
class CallerRecording:
    stream_sid: str
    call_sid: str
    custom_parameters: dict[str, str] = field(default_factory=dict)
    stream_opened_at: float | None = None
    stream_closed_at: float | None = None
    end_reason: str | None = None
    media: list[BotMedia] = field(default_factory=list)
    marks: list[MarkRecord] = field(default_factory=list)
    clears: list[float] = field(default_factory=list)
    utterances: list[BotUtterance] = field(default_factory=list)
    turns: list[CallerTurn] = field(default_factory=list)
    dtmf_sent: list[tuple[float, str]] = field(default_factory=list)
    frames_sent: int = 0
    other_messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def bot_audio(self) -> bytes:
        """Everything the bot sent, concatenated (mu-law), whether or not it was played."""
        return b"".join(m.payload for m in self.media)

    def latencies(self) -> list[float]:
        """Response latency of every caller turn the bot answered, in order."""
        return [t.response_latency_s for t in self.turns if t.response_latency_s is not None]

    def clears_after(self, moment: float) -> list[float]:
        return [c for c in self.clears if c >= moment]
