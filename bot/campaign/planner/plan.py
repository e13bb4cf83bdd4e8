"""`plan`: for every account, the next contact (channel and due time) or the reason there is
none. Pure (accounts, history, strategy, profiles and `now` in; a Plan out) and fast: a million
accounts in a few seconds on one core.

Per account the plan says: contact now (the gate allows it now), contact later (the calling
window is closed now and the gate would allow the contact when it opens: due at the opening), or
why not (the gate's reason at `now`, or the campaign's own: not overdue, handed to a person, no
step yet, contacted recently on that channel).

How it stays fast and still answers exactly as the gate:

- Inputs are columns (`Accounts`: one list per field) and sparse facts (`History`: sets and dicts
  holding only the accounts with an opt-out, a dispute, recent calls, ...). Times are integer
  microseconds since the epoch. The columns become numpy arrays once; the sparse facts are
  scattered into arrays through one account-id index.
- Per (jurisdiction, time zone), once: the profile's numbers, whether the calling window is open
  now, the local midnight and date, and the next window opening (with its midnight and date).
- Per distinct (product, days past due, score band, signals), once: the segment, the escalation
  rule and the strategy step in force (a few thousand combinations, not a million accounts).
- `ColumnGate` (columns.py) evaluates the very rule objects of `bot.compliance.rules` that
  `bot.compliance.gate.decide` evaluates, in the same order, on whole arrays: each rule marks the
  accounts it refuses among those no earlier rule refused. The test
  tests/campaign/test_planner.py::test_planner_answers_exactly_as_decide checks it against
  `decide()` on thousands of random facts (window edges, DST days and caps included).

Why arrays: a tight per-account Python loop measured 6-7 us per account on the development
machine (memory-bound: a dozen scattered objects per account); the array version spends most of
its ~3 us per account mapping the sparse facts' account ids to rows (bench/campaign_plan.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from itertools import repeat

import numpy as np

from bot.analytics.segments import dpd_bucket
from bot.campaign.planner.columns import ColumnGate, zone_context
from bot.campaign.planner.inputs import Accounts, History
from bot.campaign.planner.result import (
    BAD_ZONE,
    CADENCE,
    CHANNEL_CODES,
    CHANNELS_BY_CODE,
    FALLBACK_REASONS,
    NO_STEP,
    NOT_OVERDUE,
    REASON_CODES,
    REASONS,
    Plan,
    PlanSummary,
    named_counts,
)
from bot.campaign.strategy import ACTIONS, BANDS, BUCKET_START, Strategy
from bot.campaign.windows import DAY_US, to_us
from bot.compliance.location import plausible_zones, state_of
from bot.compliance.profiles import Profile, with_overlay
from bot.compliance.rules import NEVER

_R = REASON_CODES
_FALLBACK_CODES = np.array(sorted(_R[r] for r in FALLBACK_REASONS))
_MAX_DPD = 2**31 - 1


class _Codes(dict):
    """value -> small int, numbering new values as they come."""

    def __missing__(self, key):
        code = self[key] = len(self)
        return code

    def names(self) -> list:
        return list(self)


def _encode(values, codes: _Codes, n: int) -> np.ndarray:
    return np.fromiter(map(codes.__getitem__, values), dtype=np.int64, count=n)


def _resolve(strategy: Strategy, product: str, dpd: int, band_index: int, signals: int) -> dict:
    """The campaign's view of one (product, dpd, band, signals) combination."""
    band = BANDS[band_index]
    bucket = dpd_bucket(dpd)
    out = {"segment": f"{product}:{bucket}:{band}", "stop": None, "action": None}
    if bucket == "current":
        return {**out, "stop": NOT_OVERDUE}
    rule = strategy.escalation(product, dpd, band, signals)
    if rule is not None:
        out["action"] = rule.action
        if not rule.contact:
            return {**out, "stop": rule.action}
    found = strategy.for_segment(product, bucket, band).step_for(dpd - BUCKET_START[bucket])
    if found is None:
        return {**out, "stop": NO_STEP}
    index, step = found
    return {
        **out,
        "offer": "instalment" if out["action"] == "instalment_offer" else None,
        "channel": step.channel,
        "cadence": (step.every_days - 1) * DAY_US,
        "tag": f"s{index}",
        "fallback": step.fallback,
    }


def _places(accounts: Accounts):
    """Per account, (jurisdiction, plausible zones, overlay state): what its rules' parameters and
    its window depend on. The number counts only through its area code (or country): cached."""
    seen: dict = {}

    def place(jurisdiction, zone, phone):
        key = (jurisdiction, zone, phone[:5])
        found = seen.get(key)
        if found is None:
            found = seen[key] = (jurisdiction, plausible_zones(zone, phone), state_of(phone))
        return found

    return map(place, accounts.jurisdictions, accounts.zones, accounts.phones)


def plan(
    accounts: Accounts,
    *,
    now: datetime,
    strategy: Strategy,
    profiles: Mapping[str, Profile],
    history: History | None = None,
) -> Plan:
    """Decide every account's next contact. Pure: reads its arguments, returns a Plan."""
    if now.tzinfo is None:
        raise ValueError("plan() needs an aware `now`")
    started = time.perf_counter()
    history = history or History()
    now_us = to_us(now)
    n = len(accounts)
    ids = accounts.ids
    index = dict(zip(ids, range(n), strict=True))
    if len(index) != n:
        raise ValueError("Accounts.ids has duplicates")

    def rows_of(keys, count: int) -> np.ndarray:
        return np.fromiter(map(index.get, keys, repeat(-1)), dtype=np.int64, count=count)

    def sparse(values: Mapping, default: int, dtype) -> np.ndarray:
        column = np.full(n, default, dtype=dtype)
        if values:
            at = rows_of(values.keys(), len(values))
            known = at >= 0
            column[at[known]] = np.fromiter(values.values(), dtype=dtype, count=len(values))[known]
        return column

    def member(keys) -> np.ndarray:
        column = np.zeros(n, dtype=bool)
        if keys:
            at = rows_of(keys, len(keys))
            column[at[at >= 0]] = True
        return column

    # ---- the accounts' columns
    dpd = np.clip(np.fromiter(accounts.dpd, dtype=np.int64, count=n), 0, _MAX_DPD)
    if accounts.scores is None:
        band = np.full(n, 3, dtype=np.int64)
    else:
        score = np.array(accounts.scores, dtype=float)  # None -> nan
        band = np.select(
            [np.isnan(score), score >= strategy.high, score >= strategy.medium], [3, 0, 1], 2
        )
    signals = sparse(history.signals, 0, np.int64) & 15
    products = _Codes()
    product = _encode(accounts.products, products, n)
    places = _Codes()
    place = _encode(_places(accounts), places, n)
    cols = {
        "opt": sparse(history.opt_outs, 0, np.int64),
        "dispute": member(history.disputes),
        "wrong": member(history.wrong_numbers),
        "paused": np.fromiter(map(bool, accounts.paused), dtype=bool, count=n),
        "consent_voice": np.fromiter(map(bool, accounts.consent_voice), dtype=bool, count=n),
        "consent_sms": np.fromiter(map(bool, accounts.consent_sms), dtype=bool, count=n),
        "calls_7d": sparse(history.calls_7d, 0, np.int64),
        "comms_7d": sparse(history.communications_7d, 0, np.int64),
        "last_conversation": sparse(history.last_conversation_us, NEVER, np.int64),
        "last_voice": sparse(history.last_attempt_us.get("voice", {}), NEVER, np.int64),
        "last_sms": sparse(history.last_attempt_us.get("sms", {}), NEVER, np.int64),
    }

    # ---- per (jurisdiction, plausible zones, state), once
    us_profile = profiles.get("US")
    contexts = [
        # as profile_for(): an unknown jurisdiction gets the US rules, then the state's overlay
        zone_context(now, zones, with_overlay(profiles.get(jurisdiction) or us_profile, state))
        for jurisdiction, zones, state in places.names()
    ]
    bad_place = np.array([c is None for c in contexts], dtype=bool)
    filler = zone_context(now, "UTC", us_profile)
    contexts = [c or filler for c in contexts] or [filler]
    days = _Codes()
    ctx = {
        name: np.array([c[name] for c in contexts])
        for name in filler
        if name not in ("day", "opening_day")
    }
    ctx["day"] = np.array([days[c["day"]] for c in contexts], dtype=np.int64)
    ctx["opening_day"] = np.array([days[c["opening_day"]] for c in contexts], dtype=np.int64)
    ctx["code"] = place

    # ---- per distinct (product, dpd, band, signals), once
    combo = (((product << 32) | dpd) << 6) | (band << 4) | signals
    unique, inverse = np.unique(combo, return_inverse=True)
    product_names = products.names()
    resolved = [
        _resolve(strategy, product_names[u >> 38], (u >> 6) & _MAX_DPD, (u >> 4) & 3, u & 15)
        for u in unique.tolist()
    ]
    segment_names = _Codes()
    tags, offers = _Codes(), _Codes()
    action_list = tuple(ACTIONS)

    def per_combo(values, dtype=np.int64) -> np.ndarray:
        return np.array(values, dtype=dtype)[inverse]

    segment_code = per_combo([segment_names[r["segment"]] for r in resolved])
    stop = per_combo([-1 if r["stop"] is None else _R[r["stop"]] for r in resolved])
    action = per_combo([-1 if r["action"] is None else action_list.index(r["action"])
                        for r in resolved])  # fmt: skip
    step = {
        "channel": per_combo([CHANNEL_CODES.get(r.get("channel"), -1) for r in resolved]),
        "fallback": per_combo([CHANNEL_CODES.get(r.get("fallback"), -1) for r in resolved]),
        "cadence": per_combo([r.get("cadence", 0) for r in resolved]),
        "tag": per_combo([tags[r.get("tag", "")] for r in resolved]),
        "offer": per_combo([offers[r.get("offer")] for r in resolved]),
    }

    gate = ColumnGate(cols, ctx, history, accounts.phones)
    fallback_codes = _FALLBACK_CODES

    def cadence_ok(rows, voice, midnight) -> np.ndarray:
        last = np.where(voice, cols["last_voice"][rows], cols["last_sms"][rows])
        return last < midnight - step["cadence"][rows]

    def choose(rows, at_us, window_open, midnight) -> tuple[np.ndarray, np.ndarray]:
        """The primary channel, or the fallback when the primary is refused for a reason of its
        own: (reason codes, channel codes) for `rows`."""
        channel = step["channel"][rows].copy()
        voice = channel == 0
        reason = gate(rows, voice, at_us, window_open, midnight)
        allowed = reason == 0
        reason[allowed & ~cadence_ok(rows, voice, midnight)] = _R[CADENCE]
        fallback = step["fallback"][rows]
        second = np.flatnonzero((fallback >= 0) & np.isin(reason, fallback_codes))
        if len(second):
            sub = rows[second]
            voice2 = fallback[second] == 0
            reason2 = gate(sub, voice2, at_us[second], window_open[second], midnight[second])
            ok = (reason2 == _R["outside_window"]) | (
                (reason2 == 0) & cadence_ok(sub, voice2, midnight[second])
            )
            reason[second[ok]] = reason2[ok]
            channel[second[ok]] = fallback[second[ok]]
        return reason, channel

    # ---- decide: now, then at the window's opening for those it is closed for
    reason = stop.astype(np.int8)
    reason[(stop < 0) & bad_place[place]] = _R[BAD_ZONE]
    rows = np.flatnonzero(reason < 0)
    k = place[rows]
    now_reason, now_channel = choose(
        rows, np.full(len(rows), now_us, dtype=np.int64), ctx["open_now"][k], ctx["midnight"][k]
    )
    reason[rows] = now_reason
    contact_now = now_reason == 0
    later = (now_reason == _R["outside_window"]) & (ctx["opening"][k] != NEVER)
    later_rows = rows[later]
    lk = place[later_rows]
    later_reason, later_channel = choose(
        later_rows,
        ctx["opening"][lk],
        np.ones(len(later_rows), dtype=bool),
        ctx["opening_midnight"][lk],
    )
    go_later = later_reason == 0

    contact_index = np.concatenate([rows[contact_now], later_rows[go_later]])
    contact_channel = np.concatenate([now_channel[contact_now], later_channel[go_later]])
    contact_due = np.concatenate(
        [np.full(int(contact_now.sum()), now_us, dtype=np.int64), ctx["opening"][lk][go_later]]
    )
    day_names = days.names()
    day_codes = np.concatenate([ctx["day"][k][contact_now], ctx["opening_day"][lk][go_later]])
    tag_names, offer_names = tags.names(), offers.names()

    segment_list = segment_names.names()
    reason_counts = np.bincount(reason.astype(np.int64), minlength=len(REASONS))
    deferred_counts = np.bincount(later_reason[~go_later].astype(np.int64),
                                  minlength=len(REASONS))  # fmt: skip
    channel_counts = np.bincount(contact_channel, minlength=len(CHANNEL_CODES))
    action_counts = np.bincount(action[action >= 0], minlength=len(action_list))
    deferred = int(go_later.sum())
    summary = PlanSummary(
        accounts=n,
        contact_now=int(reason_counts[0]),
        deferred=deferred,
        not_contacted=n - int(reason_counts[0]) - deferred,
        by_segment={
            segment_list[code]: int(count)
            for code, count in sorted(
                enumerate(np.bincount(segment_code, minlength=len(segment_list)).tolist()),
                key=lambda item: segment_list[item[0]],
            )
            if count
        },
        by_channel={CHANNELS_BY_CODE[c]: int(v) for c, v in enumerate(channel_counts) if v},
        by_reason=named_counts(reason_counts, skip=0),
        deferred_denied=named_counts(deferred_counts),
        by_action={action_list[c]: int(v) for c, v in enumerate(action_counts) if v},
        fallbacks=int((contact_channel != step["channel"][contact_index]).sum()),
        elapsed_s=0.0,
    )
    result = Plan(
        now=now,
        accounts=accounts,
        summary=summary,
        segment_names=segment_list,
        segment_codes=segment_code,
        reason_codes=reason,
        action_codes=action,
        contact_index=contact_index,
        contact_channel=contact_channel,
        contact_due_us=contact_due,
        contact_day=[day_names[d] for d in day_codes.tolist()],
        contact_tag=[tag_names[t] for t in step["tag"][contact_index].tolist()],
        contact_offer=[offer_names[o] for o in step["offer"][contact_index].tolist()],
    )
    summary.elapsed_s = time.perf_counter() - started
    return result
