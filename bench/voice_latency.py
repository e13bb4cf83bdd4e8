"""Voice latency: K simultaneous simulated calls through the real pipeline (real Vosk model,
real TTS, real Rasa and actions), the caller speaking in real time.

    .venv/bin/python -m bench.voice_latency --calls 1 5 10 15

Each caller answers the identity question with "네" (a yes/no turn: grammar-mode recognition)
and the verification question with "아니요" (the digits grammar with free recognition beside it,
since a date of birth may come instead), in Korean, the language of the only model here. The K
calls are answered at random moments within the first `--spread` seconds (3 s by default), as
calls in progress would be; `--spread 0` puts every caller in lockstep, the worst case for the
single action server.

Per K it prints, p50 and p95, over all turns and per kind of turn:
- processing: from the end-of-turn decision to the first bot audio frame sent (gateway side);
- voice-to-voice: from the caller's last voiced audio to the first bot audio frame sent (this
  includes the end-of-turn wait: 500 ms of silence, 250 ms after a whole answer);
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
from pathlib import Path

import redis

from bot.infra.launcher import add_account, sandbox_voice_settings, start_stack, stop_stack
from telephony.twilio_sim.scenario import CallScenario, Hangup, Say, WaitForBot

SCRIPT = [
    WaitForBot(timeout_s=60),
    Say("네", voice="ko"),
    WaitForBot(timeout_s=60),
    Say("아니요", voice="ko"),
    WaitForBot(timeout_s=60),
    Hangup(),
]


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def one_round(running, accounts: list[dict], spread_s: float) -> list:
    sim = running.carrier.sim
    for account in accounts:
        ring_s = random.uniform(0, spread_s)
        sim.expect_call(
            account["phone"], CallScenario(answered_by="human", ring_s=ring_s, steps=SCRIPT)
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
    return await asyncio.gather(*(sim.wait_for_call(sid, timeout=300) for sid in sids))


def wait_for_turns(client, expected: int, timeout_s: float = 10) -> list[dict]:
    """The gateway records a call's turns just after its stream stops: wait for them."""
    deadline = time.monotonic() + timeout_s
    while client.llen("metrics:voice_turns") < expected and time.monotonic() < deadline:
        time.sleep(0.1)
    return [json.loads(t) for t in client.lrange("metrics:voice_turns", 0, -1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, nargs="+", default=[1, 5, 10, 15])
    parser.add_argument("--spread", type=float, default=3.0, help="seconds over which calls start")
    parser.add_argument(
        "--no-warmup",
        dest="warmup",
        action="store_false",
        help="measure from a cold start only (no first round of the largest K, reported apart)",
    )
    args = parser.parse_args()
    random.seed(7)
    tmp = Path(tempfile.mkdtemp(prefix="bench-voice-"))
    running = start_stack(tmp / "stack", **sandbox_voice_settings())
    client = redis.Redis.from_url(running.settings.effective_redis_url)
    rows, kinds = [], []
    # A gateway that has served calls holds warm recognisers (telephony/asr.py); the first
    # round after a restart builds them. It is reported as "cold", apart from the others.
    rounds = [("cold", max(args.calls))] if args.warmup else []
    rounds += [(str(k), k) for k in args.calls]
    try:
        for label, k in rounds:
            accounts = [add_account(running, tmp) for _ in range(k)]
            client.delete("metrics:voice_turns")
            calls = running.carrier.run(one_round(running, accounts, args.spread), timeout=600)
            turns = wait_for_turns(client, 2 * k)
            processing = [t["processing_ms"] for t in turns]
            v2v = [t["voice_to_voice_ms"] for t in turns]
            errors = sum(
                len(c.errors) + (c.stream.end_reason == "script_error" if c.stream else 1)
                for c in calls
            )
            answered = len(turns) >= 2 * k
            kept_up = answered and not errors and bool(v2v) and pct(v2v, 0.95) < 1500
            if errors:
                print(
                    f"K={k}: caller script errors: "
                    f"{[c.errors or c.stream and c.stream.end_reason for c in calls]}"
                )
            rows.append((label, processing, v2v, kept_up, len(turns)))
            for kind in sorted({t["kind"] for t in turns}):
                some = [t for t in turns if t["kind"] == kind]
                kinds.append(
                    (
                        label,
                        kind,
                        [t["processing_ms"] for t in some],
                        [t["voice_to_voice_ms"] for t in some],
                    )
                )
    finally:
        stop_stack(running)
    print(
        f"{'K':>4} {'turns':>6} {'proc p50':>9} {'proc p95':>9} {'v2v p50':>8} "
        f"{'v2v p95':>8}  kept up"
    )
    for k, processing, v2v, kept_up, n in rows:
        if not processing:
            print(f"{k:>4} {n:>6}  no answered turns (see the gateway log)")
            continue
        print(
            f"{k:>4} {n:>6} {statistics.median(processing):9.0f} {pct(processing, .95):9.0f} "
            f"{statistics.median(v2v):8.0f} {pct(v2v, .95):8.0f}  {'yes' if kept_up else 'no'}"
        )
    print("\nper kind of turn")
    for k, kind, processing, v2v in kinds:
        print(
            f"{k:>4} {kind:>12} {len(v2v):>4} turns  proc p50 {statistics.median(processing):5.0f} "
            f"p95 {pct(processing, .95):5.0f}  v2v p50 {statistics.median(v2v):5.0f} "
            f"p95 {pct(v2v, .95):5.0f}"
        )
    kept = [int(k) for k, *_, ok, _ in rows if ok and k != "cold"]
    print(f"largest K that kept up: {max(kept) if kept else 0}")


if __name__ == "__main__":
    main()
