"""Every Prometheus metric of the stack, in one place (docs/operations.md lists them).

Labels are bounded by construction: channels, stages, reasons and outcomes are words of the code,
never an account, a phone number or a customer's text; `bounded` turns anything else into
"other". Each process (gateway workers, the action server, campaign workers) writes its values to
PROMETHEUS_MULTIPROC_DIR when the supervisor sets it, and the gateway's /metrics adds them up
(`registry`); without it a process counts in memory, for itself.

Instrumentation never fails the work it measures: an error while counting is logged once and
swallowed, because a customer's turn matters more than its metric."""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from pathlib import Path
from time import perf_counter

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The files must have somewhere to go before the first value is written, or every instrumented
# call would raise.
if os.environ.get(MULTIPROC_ENV):
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)

CHANNELS = frozenset({"chat", "sms", "voice"})
STAGES = ("gateway", "rasa", "action", "ledger")
# The channel of the turn being served, for the stages that do not know it (Rasa, the ledger):
# set by the turn (bot/channels/turns.py, bot/conversation/service.py), copied into threads.
CHANNEL: ContextVar[str] = ContextVar("metrics_channel", default="none")

TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
VOICE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
WAIT_BUCKETS = (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

TURNS = Counter(
    "reminderbot_turns_total",
    "Customer turns answered by the gateway, by channel and result (ok, safe_reply: Rasa or the "
    "action server failed and the safe message was sent, ended, not_found, error).",
    ["channel", "result"],
)
STAGE_SECONDS = Histogram(
    "reminderbot_turn_stage_seconds",
    "Time spent in each stage of a turn: gateway (the whole turn as the gateway serves it), rasa "
    "(the round trip to Rasa, actions included), action (the engine in the action server, ledger "
    "included), ledger (one SQL transaction; channel none outside a turn).",
    ["channel", "stage"],
    buckets=TURN_BUCKETS,
)
ESCALATIONS = Counter(
    "reminderbot_escalations_total", "Escalations raised for a person, by reason.", ["reason"]
)
QUEUE_DEPTH = Gauge(
    "reminderbot_escalation_queue_depth",
    "Escalations waiting (open) and being worked (claimed), read from the ledger at each scrape.",
    ["state"],
    multiprocess_mode="mostrecent",
)
GATE_DECISIONS = Counter(
    "reminderbot_gate_decisions_total",
    "Contact gate decisions (bot/compliance/gate.py), by channel, decision and the rule's reason.",
    ["channel", "decision", "reason"],
)
DIALER_HANDLED = Counter(
    "reminderbot_dialer_handled_total",
    "Dispatch entries a campaign worker handled, by result (done, denied, rescheduled, "
    "already_done, recovered, lost_race, held_by_live_worker, error, ...).",
    ["result"],
)
DIALER_OUTCOMES = Counter(
    "reminderbot_dialer_outcomes_total",
    "Outcomes recorded for campaign contacts, by channel and outcome (the executor's, or "
    "denied:<reason>).",
    ["channel", "outcome"],
)
PACING_WAIT = Histogram(
    "reminderbot_dialer_pacing_wait_seconds",
    "Time a campaign worker waited for pacing: a token of the rate bucket, or a slot of the "
    "global in-flight limit.",
    ["kind"],
    buckets=WAIT_BUCKETS,
)
VOICE_END_OF_TURN_WAIT = Histogram(
    "reminderbot_voice_end_of_turn_wait_seconds",
    "Silence waited after the caller's last voiced frame before the turn was taken as ended.",
    ["kind"],
    buckets=VOICE_BUCKETS,
)
VOICE_PROCESSING = Histogram(
    "reminderbot_voice_processing_seconds",
    "From the end of the caller's turn to the first frame of the bot's answer.",
    ["kind"],
    buckets=VOICE_BUCKETS,
)
VOICE_TO_VOICE = Histogram(
    "reminderbot_voice_to_voice_seconds",
    "From the caller's last voiced frame to the first frame of the bot's answer.",
    ["kind"],
    buckets=VOICE_BUCKETS,
)
RECOGNIZERS = Gauge(
    "reminderbot_recognizer_pool",
    "Free-recognition decoders of the gateway's pools: created so far and idle now (created - "
    "idle is at most the number in use), summed over live gateway processes.",
    ["state"],
    multiprocess_mode="livesum",
)
SIGNATURE_FAILURES = Counter(
    "reminderbot_webhook_signature_failures_total",
    "Twilio requests refused for a missing or bad signature, by route.",
    ["route"],
)
PART_UP = Gauge(
    "reminderbot_part_up",
    "1 if the part answered the gateway's last check (/health, or a /metrics scrape), else 0.",
    ["part"],
    multiprocess_mode="mostrecent",
)

# For the dashboard test and the docs: every name this module defines.
ALL = (
    TURNS,
    STAGE_SECONDS,
    ESCALATIONS,
    QUEUE_DEPTH,
    GATE_DECISIONS,
    DIALER_HANDLED,
    DIALER_OUTCOMES,
    PACING_WAIT,
    VOICE_END_OF_TURN_WAIT,
    VOICE_PROCESSING,
    VOICE_TO_VOICE,
    RECOGNIZERS,
    SIGNATURE_FAILURES,
    PART_UP,
)

_WORD = re.compile(r"[a-z][a-z0-9_:+.-]{0,47}")
_failed_once = False


def bounded(value: object) -> str:
    """A label value that is a word of the code, or "other" (never free text)."""
    text = str(value)
    return text if _WORD.fullmatch(text) else "other"


def channel_label(channel: object) -> str:
    return str(channel) if channel in CHANNELS else "none" if channel in (None, "none") else "other"


def _safely(fn: Callable[[], object]) -> None:
    global _failed_once
    try:
        fn()
    except Exception:  # noqa: BLE001 - a metric never fails the work it measures
        if not _failed_once:
            _failed_once = True
            log.exception("a metric could not be recorded (further failures not logged)")


# -- the calls the instrumented modules make -----------------------------------------------------


def observe_stage(stage: str, started: float) -> None:
    channel = channel_label(CHANNEL.get())
    _safely(lambda: STAGE_SECONDS.labels(channel, stage).observe(perf_counter() - started))


def timed_stage(stage: str, *, channel_arg: str | None = "channel"):
    """Decorate a function (sync or async) whose run is one `stage` of a turn. A `channel`
    keyword argument, when given, names the turn's channel for the stages inside it."""

    def decorate(fn):
        def enter(kwargs) -> tuple:
            given = kwargs.get(channel_arg) if channel_arg else None
            # Always a token of our own: a channel the body sets (in_turn) ends with the stage.
            return perf_counter(), CHANNEL.set(given or CHANNEL.get())

        def leave(started, token) -> None:
            observe_stage(stage, started)
            CHANNEL.reset(token)

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def timed_async(*args, **kwargs):
                started, token = enter(kwargs)
                try:
                    return await fn(*args, **kwargs)
                finally:
                    leave(started, token)

            return timed_async

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            started, token = enter(kwargs)
            try:
                return fn(*args, **kwargs)
            finally:
                leave(started, token)

        return timed

    return decorate


def timed_generator(stage: str):
    """Decorate a generator function (under @contextmanager): the time from its start to its end
    (the body of the `with` included) is one `stage`."""

    def decorate(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            started = perf_counter()
            try:
                return (yield from fn(*args, **kwargs))
            finally:
                observe_stage(stage, started)

        return timed

    return decorate


def in_turn(channel: str, conversation_id: str | None = None) -> None:
    """The turn being served belongs to this channel (and conversation, for the logs)."""
    CHANNEL.set(channel)
    if conversation_id:
        from bot.infra import logs

        logs.bind(conversation_id=conversation_id)


def timed_turn(fn):
    """Decorate `Conversations.start` / `send` (and the keyed opening): counts the turn by
    channel and result and times its gateway stage. The channel comes from a `channel` argument
    or `in_turn`."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    async def turn(self, *args, **kwargs):
        channel = signature.bind(self, *args, **kwargs).arguments.get("channel", "")
        token = CHANNEL.set(channel or CHANNEL.get())
        started, result = perf_counter(), "error"
        try:
            reply = await fn(self, *args, **kwargs)
            result = "safe_reply" if getattr(reply, "failed", False) else "ok"
            return reply
        except LookupError:
            result = "not_found"
            raise
        except Exception as exc:
            result = "ended" if type(exc).__name__ == "ConversationEnded" else "error"
            raise
        finally:
            label = channel_label(CHANNEL.get())
            observe_stage("gateway", started)
            _safely(lambda: TURNS.labels(label, result).inc())
            ms = round((perf_counter() - started) * 1e3, 1)
            fields = {"channel": label, "result": result, "ms": ms}
            log.info("turn channel=%s result=%s", label, result, extra={"fields": fields})
            CHANNEL.reset(token)

    return turn


def escalation(reason: str) -> None:
    _safely(lambda: ESCALATIONS.labels(bounded(reason)).inc())


def gate_decision(channel: str, allowed: bool, reason: str) -> None:
    decision = "allowed" if allowed else "denied"
    _safely(lambda: GATE_DECISIONS.labels(bounded(channel), decision, bounded(reason)).inc())


def dialer_handled(result: str) -> None:
    _safely(lambda: DIALER_HANDLED.labels(bounded(result)).inc())


def dialer_outcome(channel: str, outcome: str) -> None:
    _safely(lambda: DIALER_OUTCOMES.labels(bounded(channel), bounded(outcome)).inc())


def timed_wait(kind: str):
    """Decorate a pacing wait (sync)."""

    def decorate(fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            started = perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                _safely(lambda: PACING_WAIT.labels(kind).observe(perf_counter() - started))

        return timed

    return decorate


def voice_turns(turns: Iterable) -> None:
    """A finished call's answered turns (telephony.call.TurnTiming): end-of-turn wait,
    processing, voice-to-voice; and the recogniser pools as they are now."""

    def record():
        for t in turns:
            kind = bounded(t.kind)
            VOICE_END_OF_TURN_WAIT.labels(kind).observe(max(0, t.wait_ms) / 1000)
            if t.first_audio_at is not None:
                VOICE_PROCESSING.labels(kind).observe(t.first_audio_at - t.end_of_turn_at)
                VOICE_TO_VOICE.labels(kind).observe(t.first_audio_at - t.last_voice_at)

    _safely(record)
    recognizer_pools()


def recognizer_pools() -> None:
    """The pools of this process (telephony.asr), summed."""

    def record():
        from telephony import asr

        pools = asr.pools()
        RECOGNIZERS.labels("created").set(sum(p.created for p in pools))
        RECOGNIZERS.labels("idle").set(sum(p.idle for p in pools))

    _safely(record)


def signature_failure(route: str) -> None:
    _safely(lambda: SIGNATURE_FAILURES.labels(bounded(route.strip("/").replace("/", "_"))).inc())


def parts_up(state: dict[str, bool]) -> None:
    for part, up in state.items():
        _safely(lambda part=part, up=up: PART_UP.labels(bounded(part)).set(1 if up else 0))


# -- the supervisor and the /metrics route -------------------------------------------------------


def fresh_dir(path: Path) -> Path:
    """The supervisor's per-run directory, emptied: the files of an earlier run's processes
    would otherwise be added to this run's."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(var_dir: Path) -> Path:
    """Where a stack's processes write their values (the supervisor's PROMETHEUS_MULTIPROC_DIR)."""
    return Path(var_dir) / "metrics"


def process_died(pid: int, path: Path) -> None:
    """A dead process's live gauges stop counting (its counters stay, as they should)."""
    _safely(lambda: multiprocess.mark_process_dead(pid, str(path)))


def registry(path: str | None = None) -> CollectorRegistry:
    """What /metrics exposes: every process's values when multiprocess, else this process's."""
    path = path or os.environ.get(MULTIPROC_ENV)
    if not path:
        return REGISTRY
    collecting = CollectorRegistry()
    multiprocess.MultiProcessCollector(collecting, path=path)
    return collecting


def names() -> set[str]:
    """The series names a scrape can show (a counter's `_total`, a histogram's `_bucket`...)."""
    found = set()
    for metric in ALL:
        base = metric._name
        kind = metric._type
        if kind == "counter":
            found |= {base + "_total", base + "_created"}
        elif kind == "histogram":
            found |= {base + s for s in ("_bucket", "_sum", "_count", "_created")}
        else:
            found.add(base)
    return found
