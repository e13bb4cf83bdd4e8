"""The simulator's in-memory records: calls, messages, webhook deliveries and an event log.

Plain dataclasses so tests and benchmarks can read them directly (``sim.calls[sid].status``,
``sim.events``); times are ``time.monotonic()`` seconds plus a UTC datetime for humans.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from telephony.twilio_sim.wire import utcnow

if TYPE_CHECKING:
    from telephony import twiml
    from telephony.twilio_sim.recording import CallerRecording
    from telephony.twilio_sim.scenario import CallScenario, MessageScenario

FINAL_CALL_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


@dataclass
class SimEvent:
    kind: str
    sid: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    wall: datetime = field(default_factory=utcnow)


@dataclass
class WebhookDelivery:
    """One signed request the simulator made, and how the app answered it."""

    kind: str  # voice | status | amd | sms | message-status | action | redirect
    url: str
    params: dict[str, str]
    signature: str
    sent_at: float
    status_code: int | None = None
    body: str = ""
    error: str | None = None


@dataclass
class PlayedVerb:
    """A TwiML verb the simulator executed (Say/Play/Pause/Dial/Gather/...), in order."""

    verb: twiml.Verb
    at: float = field(default_factory=time.monotonic)


@dataclass
class SimCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    direction: str
    scenario: CallScenario
    url: str | None = None
    twiml: str | None = None
    status_callback: str | None = None
    status_callback_events: tuple[str, ...] = ("completed",)
    machine_detection: str | None = None
    async_amd: bool = False
    async_amd_status_callback: str | None = None
    status: str = "queued"
    answered_by: str | None = None
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    start_time: datetime | None = None
    end_time: datetime | None = None
    answered_at: float | None = None
    duration: int | None = None
    played: list[PlayedVerb] = field(default_factory=list)
    transfers: list[str] = field(default_factory=list)
    streams: list[CallerRecording] = field(default_factory=list)
    twiml_documents: list[str] = field(default_factory=list)
    callbacks: list[WebhookDelivery] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_CALL_STATUSES

    @property
    def stream(self) -> CallerRecording | None:
        """The latest Media Stream of the call (most calls have exactly one)."""
        return self.streams[-1] if self.streams else None


@dataclass
class SimMessage:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    direction: str  # outbound-api | inbound | outbound-reply
    scenario: MessageScenario | None = None
    status: str = "queued"
    status_callback: str | None = None
    validity_period: int | None = None  # seconds it may wait queued (ValidityPeriod)
    error_code: int | None = None
    error_message: str | None = None
    date_created: datetime = field(default_factory=utcnow)
    date_updated: datetime = field(default_factory=utcnow)
    date_sent: datetime | None = None
    callbacks: list[WebhookDelivery] = field(default_factory=list)
