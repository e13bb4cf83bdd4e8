"""The contact rules (`bot.compliance.rules`) on whole columns: the same rule objects the gate
evaluates for one contact, evaluated here for many rows at once.

`zone_context` turns a (zone, profile) into the rules' parameters and the window's state at
`now`, once per zone; `ColumnGate` feeds each rule a view of the rows (`_Rows`: one array per
input name) and marks the rows each refuses among those no earlier rule refused.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from bot.campaign.planner.inputs import SMS_BIT, VOICE_BIT, History
from bot.campaign.planner.result import REASON_CODES
from bot.campaign.windows import day_tag, local_midnight, next_window_open_everywhere, to_us
from bot.compliance.profiles import Profile
from bot.compliance.rules import CHANNELS, NEVER, RULES, limits


def zone_context(now: datetime, zones, profile: Profile) -> dict | None:
    """What the planner needs about one (zones, profile) at `now`, computed once; None for an
    unknown zone. `zones`: the account's zone (its local day) first, then any other plausible
    zone of the number (bot/compliance/location.py): the window must be open in all of them."""
    zones = (zones,) if isinstance(zones, str) else tuple(zones)
    try:
        tz = ZoneInfo(zones[0])
        for other in zones[1:]:
            ZoneInfo(other)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    opening = next_window_open_everywhere(now, zones, profile)
    voice, sms = limits(profile, "voice"), limits(profile, "sms")
    context = {
        "consent_voice": voice.consent_required,
        "consent_sms": sms.consent_required,
        "cooldown": voice.cooldown_us,  # the cooldown and the call cap govern calls only
        "max_calls": voice.max_calls,
        "cap_voice": voice.daily_cap,
        "cap_sms": sms.daily_cap,
        "max_comms": voice.max_communications,  # a state overlay's, both channels together
        "open_now": opening == now,
        "midnight": to_us(local_midnight(now, tz)),
        "day": day_tag(now, tz),
        "opening": NEVER,
        "opening_midnight": NEVER,
        "opening_day": "",
    }
    if opening is not None and opening != now:
        context["opening"] = to_us(opening)
        context["opening_midnight"] = to_us(local_midnight(opening, tz))
        context["opening_day"] = day_tag(opening, tz)
    return context


class _Rows:
    """The rules' inputs for `rows` (each on its own channel, at its own instant) as arrays,
    each computed when a rule first asks for it."""

    def __init__(self, gate: ColumnGate, rows, voice, at_us, window_open, midnight, undecided):
        self.gate = gate
        self.c = gate.c
        self.ctx = gate.ctx
        self.rows = rows
        self.voice = voice
        self.k = gate.ctx["code"][rows]  # each row's (jurisdiction, zone) context
        self.at_us = at_us
        self.window_open = window_open
        self.midnight = midnight
        self.undecided = undecided  # the gate's live mask: no earlier rule refused the row

    def _per_channel(self, voice_values, sms_values):
        return np.where(self.voice, voice_values, sms_values)

    @cached_property
    def opted_out(self):
        return (self.c["opt"][self.rows] & self._per_channel(VOICE_BIT, SMS_BIT)) != 0

    @cached_property
    def dispute_open(self):
        return self.c["dispute"][self.rows]

    @cached_property
    def paused(self):
        return self.c["paused"][self.rows]

    @cached_property
    def wrong_number(self):
        return self.c["wrong"][self.rows]

    @cached_property
    def consent(self):
        return self._per_channel(
            self.c["consent_voice"][self.rows], self.c["consent_sms"][self.rows]
        )

    @cached_property
    def consent_required(self):
        return self._per_channel(self.ctx["consent_voice"][self.k], self.ctx["consent_sms"][self.k])

    @cached_property
    def last_conversation_us(self):
        return self.c["last_conversation"][self.rows]

    @cached_property
    def cooldown_us(self):
        return self.ctx["cooldown"][self.k]

    @cached_property
    def calls_7d(self):
        return self.c["calls_7d"][self.rows]

    @cached_property
    def max_calls(self):
        return self.ctx["max_calls"][self.k]

    @cached_property
    def communications_7d(self):
        return self.c["comms_7d"][self.rows]

    @cached_property
    def max_communications(self):
        return self.ctx["max_comms"][self.k]

    @cached_property
    def daily_cap(self):
        return self._per_channel(self.ctx["cap_voice"][self.k], self.ctx["cap_sms"][self.k])

    @cached_property
    def attempts_today(self):
        # Counting is the costly part (a bisect per row with recent attempts): only the rows
        # still undecided when the daily cap is asked are counted.
        count = np.zeros(len(self.rows), dtype=np.int64)
        todo = self.undecided
        if todo.any():
            count[todo] = self.gate.today_count(
                self.rows[todo], self.voice[todo], self.midnight[todo]
            )
        return count


class ColumnGate:
    """`bot.compliance.rules.RULES` on arrays. Every per-account fact is a column over all
    accounts; a call evaluates the rows `rows` for one channel per row at given instants."""

    def __init__(self, cols: dict, ctx: dict, history: History, phones: list[str]):
        self.c = cols
        self.ctx = ctx
        self.phones = phones
        self.recent = {
            0: history.recent_attempts_us.get("voice", {}),
            1: history.recent_attempts_us.get("sms", {}),
        }
        self.has_recent: dict[int, np.ndarray] = {}

    def today_count(self, rows, voice, midnight) -> np.ndarray:
        """Outbound attempts to the account's number on the channel since `midnight`."""
        count = np.zeros(len(rows), dtype=np.int64)
        phones = self.phones
        for channel, mask in ((0, voice), (1, ~voice)):
            recent = self.recent[channel]
            if not recent:
                continue
            if channel not in self.has_recent:  # which accounts' numbers had attempts, once
                self.has_recent[channel] = np.fromiter(
                    map(recent.__contains__, phones), dtype=bool, count=len(phones)
                )
            positions = np.flatnonzero(mask & self.has_recent[channel][rows])
            for p, row, mid in zip(
                positions.tolist(),
                rows[positions].tolist(),
                midnight[positions].tolist(),
                strict=True,
            ):
                times = recent[phones[row]]
                count[p] = len(times) - bisect_left(times, mid)
        return count

    def __call__(self, rows, voice, at_us, window_open, midnight) -> np.ndarray:
        """Per row, the code (result.REASONS) of the first rule that refuses, 0: allowed."""
        code = np.zeros(len(rows), dtype=np.int8)  # "allowed"
        undecided = np.ones(len(rows), dtype=bool)
        view = _Rows(self, rows, voice, at_us, window_open, midnight, undecided)
        on_channel = {"voice": voice, "sms": ~voice}
        for rule in RULES:
            hit = undecided & rule.refuses(view)
            if rule.channels != frozenset(CHANNELS):
                governed = np.zeros(len(rows), dtype=bool)
                for channel in rule.channels:
                    governed |= on_channel[channel]
                hit &= governed
            code[hit] = REASON_CODES[rule.reason]
            undecided[hit] = False
        return code
