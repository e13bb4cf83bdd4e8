"""Scenarios: what the far end of a simulated call or message does.

A call scenario says how the call resolves (answered, busy, ...), what answering-machine detection
reports, and, once a Media Stream is up, what the scripted caller does, step by step. Steps are
small frozen dataclasses so scripts read like a transcript::

    CallScenario(steps=[WaitForBot(), Say("yes speaking"), WaitForBot(), Dtmf("1"), Hangup()])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

CallOutcome = Literal["answered", "busy", "no-answer", "failed"]
MessageOutcome = Literal["delivered", "undelivered", "failed"]


@dataclass(frozen=True)
class Say:
    """Speak ``text`` with espeak-ng (voice ``voice``), as 8 kHz mu-law, paced like a live line."""

    text: str
    voice: str = "en"


@dataclass(frozen=True)
class Audio:
    """Send raw 8 kHz mu-law audio (any length; padded with silence to whole 20 ms frames)."""

    mulaw: bytes


@dataclass(frozen=True)
class Dtmf:
    """Press keys: one ``dtmf`` event per digit, ``gap_ms`` apart (media time)."""

    digits: str
    gap_ms: int = 100


@dataclass(frozen=True)
class Silence:
    """Stay quiet for ``ms`` (media time); the line keeps sending silence frames."""

    ms: int


@dataclass(frozen=True)
class WaitForBot:
    """Wait until the bot has spoken and gone quiet again.

    Quiet means: its audio would have finished playing, every mark it sent has been echoed, and
    no new audio came for ``quiet_ms`` (wall-clock). Bot audio counts only if it arrived after
    the caller's last turn ended (or after this step began, before any turn). On timeout the
    script stops, the error is recorded and the caller hangs up.
    """

    timeout_s: float = 10.0
    quiet_ms: int = 300


@dataclass(frozen=True)
class BargeIn:
    """Start saying ``text`` ``after_ms`` (media time) into the bot's utterance.

    The utterance is the one playing when the step begins, else the next one to start.
    ``audio`` (mu-law) replaces espeak speech when given.
    """

    text: str = ""
    after_ms: int = 500
    voice: str = "en"
    audio: bytes | None = None
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Hangup:
    """The caller hangs up: Twilio sends ``stop``, closes the socket and completes the call."""


Step = Say | Audio | Dtmf | Silence | WaitForBot | BargeIn | Hangup


@dataclass(frozen=True)
class CallScenario:
    """How one call to (or from) a number plays out.

    - ``outcome``: answered, or busy / no-answer / failed (no TwiML is ever requested then).
    - ``answered_by``: the AMD verdict (human, machine_start, machine_end_beep, ...) reported
      after ``amd_delay_s`` when the call asked for MachineDetection; "human" if left None.
    - ``ring_s``: time spent ringing; ``steps``: the caller's script once a stream is up.
    - ``speed`` > 1 runs media time faster than the wall clock (frames every 20/speed ms, bot
      audio plays out speed times faster, Say/Play/Pause verbs shortened) for quick tests;
      latency figures are then wall-clock seconds, not comparable with speed 1.
    - ``max_duration_s``: the caller hangs up after this long (wall-clock) on a stream.
    - ``gather_digits``: what a <Gather> collects (posted to its action); None lets it time out.
    - ``dial_duration_s``: how long a <Dial> leg lasts before its action is requested.
    """

    outcome: CallOutcome = "answered"
    answered_by: str | None = None
    amd_delay_s: float = 0.2
    ring_s: float = 0.05
    steps: Sequence[Step] = ()
    speed: float = 1.0
    max_duration_s: float = 120.0
    gather_digits: str | None = None
    dial_duration_s: float = 0.1


@dataclass(frozen=True)
class MessageScenario:
    """How an outbound SMS resolves; ``error_code`` defaults per outcome (30003 / 30008)."""

    outcome: MessageOutcome = "delivered"
    error_code: int | None = None
    step_delay_s: float = 0.02
    # Seconds the message waits in the carrier's queue before it is sent: past its
    # ValidityPeriod it fails with 30036 instead (a busy sender, a throttled long code).
    queued_s: float = 0.0
