"""Campaign planning speed: a synthetic portfolio of 1,000,000 accounts planned on one core.

Generates the portfolio in memory (products, days past due, US and Chinese time zones, consents,
scores, and a history with opt-outs, disputes, pauses, wrong numbers, recent calls, conversations
and signals), runs `bot.campaign.planner.plan` once (single-threaded), prints accounts/s and the
plan summary, then runs the naive way on a sample: one `ContactFacts` and one `decide()` call per
account, extrapolated to the whole portfolio. The goal: 1M accounts in <= 10 s.

    .venv/bin/python -m bench.campaign_plan [--accounts 1000000] [--sample 50000] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.analytics.segments import dpd_bucket
from bot.campaign.planner import OPT_OUT_BITS, Accounts, History, plan
from bot.campaign.strategy import BUCKET_START, SIGNALS, load_strategy
from bot.campaign.windows import DAY_US, from_us, local_midnight, to_us
from bot.compliance.gate import ContactFacts, decide
from bot.compliance.profiles import load_profiles
from bot.settings import ROOT

US_ZONES = (
    ("America/New_York", 30),
    ("America/Chicago", 20),
    ("America/Denver", 8),
    ("America/Phoenix", 4),
    ("America/Los_Angeles", 20),
    ("America/Anchorage", 2),
    ("Pacific/Honolulu", 2),
)
CN_ZONES = (("Asia/Shanghai", 95), ("Asia/Urumqi", 5))
PRODUCTS = (("credit_card", 60), ("personal_loan", 30), ("business_loan", 10))


def _weighted(rng: random.Random, table, k: int) -> list[str]:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights=weights, k=k)


def synthetic(n: int, *, seed: int, now: datetime) -> tuple[Accounts, History]:
    rng = random.Random(seed)
    now_us = to_us(now)
    jurisdictions = rng.choices(("US", "CN"), weights=(70, 30), k=n)
    us_zones = _weighted(rng, US_ZONES, n)
    cn_zones = _weighted(rng, CN_ZONES, n)
    zones = [
        us if j == "US" else cn for j, us, cn in zip(jurisdictions, us_zones, cn_zones, strict=True)
    ]
    ids = [f"SYN-{i:07d}" for i in range(n)]
    dpd = [min(int(rng.expovariate(1 / 35)), 400) for _ in range(n)]
    accounts = Accounts(
        ids=ids,
        products=_weighted(rng, PRODUCTS, n),
        dpd=dpd,
        zones=zones,
        jurisdictions=jurisdictions,
        phones=[f"+1555{i:07d}" for i in range(n)],
        consent_voice=[rng.random() < 0.9 for _ in range(n)],
        consent_sms=[rng.random() < 0.85 for _ in range(n)],
        paused=[
            ("dispute" if rng.random() < 0.5 else "already_paid") if rng.random() < 0.01 else None
            for _ in range(n)
        ],  # fmt: skip
        scores=[None if rng.random() < 0.2 else rng.random() for _ in range(n)],
    )
    h = History()
    opt_choices = tuple(OPT_OUT_BITS.values())
    for i in rng.sample(range(n), n // 50):
        h.opt_outs[ids[i]] = rng.choice(opt_choices)
    h.disputes = {ids[i] for i in rng.sample(range(n), n // 100)}
    h.wrong_numbers = {ids[i] for i in rng.sample(range(n), n // 200)}
    h.calls_7d = {ids[i]: rng.randint(1, 8) for i in rng.sample(range(n), n // 4)}
    h.last_conversation_us = {
        ids[i]: now_us - rng.randint(0, 20) * DAY_US - rng.randint(0, DAY_US)
        for i in rng.sample(range(n), n // 10)
    }
    for channel, share in (("voice", 8), ("sms", 10)):
        h.recent_attempts_us[channel] = {
            accounts.phones[i]: sorted(now_us - rng.randint(0, 26 * 3600 * 10**6)
                                       for _ in range(rng.randint(1, 3)))
            for i in rng.sample(range(n), n // share)
        }  # fmt: skip
        h.last_attempt_us[channel] = {
            ids[i]: now_us - rng.randint(0, 10) * DAY_US - rng.randint(0, DAY_US)
            for i in rng.sample(range(n), n // 3)
        }
    bits = tuple(SIGNALS.values())
    h.signals = {ids[i]: rng.choice(bits) | rng.choice((0,) + bits)
                 for i in rng.sample(range(n), n // 20)}  # fmt: skip
    return accounts, h


def naive(accounts: Accounts, history: History, indices, *, now, strategy, profiles) -> int:
    """One account at a time, the straightforward way: datetime objects, ContactFacts, decide()."""
    allowed = 0
    for i in indices:
        account_id = accounts.ids[i]
        score = accounts.scores[i] if accounts.scores else None
        bucket = dpd_bucket(accounts.dpd[i])
        band = strategy.band(score)
        if bucket == "current":
            continue
        rule = strategy.escalation(
            accounts.products[i], accounts.dpd[i], band, history.signals.get(account_id, 0)
        )
        if rule is not None and not rule.contact:
            continue
        seg = strategy.for_segment(accounts.products[i], bucket, band)
        found = seg.step_for(accounts.dpd[i] - BUCKET_START[bucket])
        if found is None:
            continue
        channel = found[1].channel
        tz = ZoneInfo(accounts.zones[i])
        midnight = to_us(local_midnight(now, tz))
        times = history.recent_attempts_us.get(channel, {}).get(accounts.phones[i], [])
        last = history.last_conversation_us.get(account_id)
        facts = ContactFacts(
            channel=channel,
            timezone=accounts.zones[i],
            consent=(accounts.consent_voice if channel == "voice" else accounts.consent_sms)[i],
            paused_reason=accounts.paused[i],
            opted_out=bool(history.opt_outs.get(account_id, 0) & OPT_OUT_BITS[channel]),
            dispute_open=account_id in history.disputes,
            wrong_number=account_id in history.wrong_numbers,
            calls_last_7_days=history.calls_7d.get(account_id, 0),
            last_conversation_at=from_us(last) if last is not None else None,
            attempts_today_to_number=sum(1 for t in times if t >= midnight),
        )
        profile = profiles.get(accounts.jurisdictions[i]) or profiles["US"]
        allowed += decide(facts, profile, now).allowed
    return allowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, whatever the machine
    now = datetime(2026, 11, 27, 14, 30, tzinfo=timezone.utc)  # 09:30 New York, 22:30 Shanghai
    strategy = load_strategy(ROOT / "bot" / "campaign.yml")
    profiles = load_profiles(ROOT / "bot" / "policy.yml")

    t = time.perf_counter()
    accounts, history = synthetic(args.accounts, seed=args.seed, now=now)
    print(f"generated {len(accounts):,} accounts in {time.perf_counter() - t:.1f} s (not timed)")

    result = plan(accounts, now=now, strategy=strategy, profiles=profiles, history=history)
    s = result.summary
    rate = s.accounts / s.elapsed_s
    print(f"\nplanner: {s.accounts:,} accounts in {s.elapsed_s:.2f} s on one core "
          f"= {rate:,.0f} accounts/s  (goal: <= 10 s)")  # fmt: skip
    print(f"  contact now {s.contact_now:,}, later (window closed now) {s.deferred:,}, "
          f"not contacted {s.not_contacted:,}, fallback channel {s.fallbacks:,}")  # fmt: skip
    print("  by channel: " + ", ".join(f"{k} {v:,}" for k, v in s.by_channel.items()))
    print("  why not now: " + ", ".join(f"{k} {v:,}" for k, v in s.by_reason.items()))
    print("  closed now and refused at the opening: "
          + ", ".join(f"{k} {v:,}" for k, v in s.deferred_denied.items()))  # fmt: skip
    print("  escalation actions: " + ", ".join(f"{k} {v:,}" for k, v in s.by_action.items()))
    print("  segments:")
    for name, count in s.by_segment.items():
        print(f"    {name:32} {count:>9,}")

    sample = random.Random(args.seed).sample(range(len(accounts)), min(args.sample, len(accounts)))
    t = time.perf_counter()
    naive(accounts, history, sample, now=now, strategy=strategy, profiles=profiles)
    naive_s = time.perf_counter() - t
    projected = naive_s * len(accounts) / len(sample)
    print(f"\nnaive per-account decide(): {len(sample):,} accounts in {naive_s:.2f} s "
          f"= {len(sample) / naive_s:,.0f} accounts/s; projected for {len(accounts):,}: "
          f"{projected:.1f} s ({projected / s.elapsed_s:.1f}x the planner)")  # fmt: skip


if __name__ == "__main__":
    main()
