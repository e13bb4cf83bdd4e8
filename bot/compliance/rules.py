"""The contact rules, each defined once: the per-contact gate (`bot.compliance.gate.decide`, one
account and one channel) and the campaign planner (`bot.campaign.planner`, a million accounts as
numpy columns) both evaluate these same objects, in the order of `RULES`.

A rule reads named inputs from a *contact view* and answers whether it refuses. The view holds
either scalars (the gate: one contact) or equal-length numpy arrays (the planner: one row per
account); every rule is written with operators that mean the same on both (`&`, comparisons and
`negate`, never `and`/`not`, which do not broadcast). The names a view offers:

    opted_out, dispute_open, paused, wrong_number   bool: what the ledger holds for the contact
    consent, consent_required                       bool: the channel's consent, and the profile's
    window_open                                     bool: the calling window, open in every
                                                    plausible zone of the consumer (location.py)
    at_us                                           int: the instant decided for (us since epoch)
    last_conversation_us, cooldown_us               int: NEVER if there was none; 0: no cooldown
    calls_7d, max_calls                             int: outbound calls in the 7 days before
    attempts_today, daily_cap                       int: this channel, this number, local day;
                                                    NO_CAP: the profile has none for the channel
    communications_7d, max_communications           int: outbound calls and texts in the 7 days
                                                    before; NO_CAP: no state overlay caps them

Times are integer microseconds since the Unix epoch (`to_us`): integer arithmetic is exact, so a
comparison gives the same answer for a `datetime` and for a column of them, to the microsecond.
The profile's numbers become rule parameters in one place as well (`limits`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.compliance.profiles import Profile

CHANNELS = ("voice", "sms")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_US = timedelta(microseconds=1)
DAY_US = 86_400 * 1_000_000
NEVER = -(2**62)  # "no such time": far past, and no int64 overflow when subtracted from a time
NO_CAP = -1  # the profile sets no daily cap for the channel


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (an aware datetime)."""
    return (moment - EPOCH) // ONE_US


def negate(flag):
    """Logical not of a bool or of a bool array alike (`~True` is -2, `not` does not broadcast)."""
    return flag ^ True


def window_open(local: time, profile: Profile) -> bool:
    """The window is [start, end) in the consumer's local time: 21:00:00 is already after 9 p.m.
    Evaluated per contact by the gate and once per time zone by the planner."""
    return profile.window_start <= local < profile.window_end


def window_open_everywhere(now: datetime, zones, profile: Profile) -> str | None:
    """None when the window is open at `now` in every zone, else the first zone it is closed in.
    Reg F §1006.6(b)(1)(i) with comment 6(b)(1)(i)-4: where the consumer's location is ambiguous
    (bot/compliance/location.py: the number's area-code zone and the account's zone differ) a
    time is convenient only if it is inside the window in every plausible location."""
    for zone in zones:
        if not window_open(now.astimezone(ZoneInfo(zone)).time(), profile):
            return zone
    return None


# The longest ValidityPeriod asked for: Twilio's SDK documents 1 to 14,400 s (newer docs allow
# 36,000); the lower bound is accepted by both.
MAX_TEXT_VALIDITY_S = 14_400


def window_closes(now: datetime, zones, profile: Profile) -> datetime:
    """The instant the window closes on the local day of `now`, in the zone it closes first."""
    closes = []
    for zone in zones:
        tz = ZoneInfo(zone)
        closes.append(datetime.combine(now.astimezone(tz).date(), profile.window_end, tz))
    return min(closes)


def text_validity_s(now: datetime, zones, profile: Profile) -> int:
    """How long a text may wait in the carrier's queue: until the window closes in every
    plausible zone. A text the carrier delivers later would reach the consumer at a time known
    to be inconvenient (Reg F §1006.6(b)(1)(i)); Twilio drops a message whose ValidityPeriod
    has passed (error 30036) instead of sending it."""
    left = int((window_closes(now, zones, profile) - now).total_seconds())
    return max(1, min(MAX_TEXT_VALIDITY_S, left))


def window_opens_later_today(local: time, profile: Profile) -> bool:
    return local < profile.window_start


def window_opening(day: date, tz: tzinfo, profile: Profile) -> datetime:
    """The instant (UTC) the window opens on the consumer's local `day`."""
    return datetime.combine(day, profile.window_start, tz).astimezone(timezone.utc)


class Limits(NamedTuple):
    """A profile's numbers for one channel, as the rules read them (a tuple: the gate builds
    one per decision, and a frozen dataclass costs several times as much to make)."""

    consent_required: bool
    cooldown_us: int
    max_calls: int
    daily_cap: int
    max_communications: int  # a state overlay's cap on calls and texts together, or NO_CAP


def limits(profile: Profile, channel: str) -> Limits:
    cap = profile.daily_cap_per_number.get(channel)
    return Limits(
        # a channel the profile does not mention needs consent: the safe side
        consent_required=profile.consent_required.get(channel, True),
        cooldown_us=profile.cooldown_days_after_conversation * DAY_US,
        max_calls=profile.max_calls_in_7_days,
        daily_cap=NO_CAP if cap is None else cap,
        max_communications=(
            NO_CAP
            if profile.max_communications_in_7_days is None
            else profile.max_communications_in_7_days
        ),
    )


@dataclass(frozen=True)
class Rule:
    """One contact rule. `refuses(view)` over scalars or arrays; `detail(view)` is what the gate
    records with a refusal of one contact (the audit trail's words)."""

    reason: str  # the refusal's code, as the audit trail, the API and the plan name it
    source: str  # where the rule comes from
    refuses: Callable = field(repr=False)
    channels: frozenset[str] = frozenset(CHANNELS)  # the channels it governs
    channel_specific: bool = False  # a refusal about this channel only: another may be used
    detail: Callable = field(default=lambda view: "", repr=False)


# A customer's own wishes first, then the law's timing rules; the first that refuses answers.
OPT_OUT = Rule(
    "opted_out",
    # TCPA revocation of consent by any reasonable means (47 CFR 64.1200(a)(10), FCC 24-24),
    # honoured at once; Reg F §1006.6(e) opt-out. `opted_out` holds the opt-outs of the account
    # and of every account at its phone number (bot/ledger/repo/contact_history.py), recorded
    # from any channel's wording (bot/compliance/revocation.py): "stop calling me" by text
    # closes calls.
    "TCPA 47 CFR 64.1200(a)(10); Reg F §1006.6(e)",
    lambda v: v.opted_out,
    channel_specific=True,
)
DISPUTE = Rule(
    "dispute_open",
    # FDCPA §809(b): collection stops on a disputed debt until it is verified
    "FDCPA §809(b) (15 USC 1692g(b))",
    lambda v: v.dispute_open,
)
PAUSE = Rule(
    "paused",
    # the bank's own stop: an agent paused the account (a paid claim, a review, ...)
    "bank policy: account paused",
    lambda v: v.paused,
    detail=lambda v: v.paused_reason,
)
WRONG_NUMBER = Rule(
    "wrong_number",
    # TCPA: consent belongs to the number's subscriber; a number reported wrong has none
    "TCPA 47 USC 227(b); 47 CFR 64.1200(m)",
    lambda v: v.wrong_number,
)
CONSENT = Rule(
    "no_consent",
    # TCPA: prior express consent for artificial-voice calls and texts (policy consent_required)
    "TCPA 47 USC 227(b)(1)(A)",
    lambda v: v.consent_required & negate(v.consent),
    channel_specific=True,
)
WINDOW = Rule(
    "outside_window",
    # Reg F §1006.6(b)(1)(i): not before 08:00 or after 21:00 at the consumer's location
    "Reg F §1006.6(b)(1)(i)",
    lambda v: negate(v.window_open),
    detail=lambda v: f"{v.local:%H:%M} {v.timezone}",
)
COOLDOWN = Rule(
    "cooldown_after_conversation",
    # Reg F §1006.14(b)(2)(i)(B): no call within 7 days after a telephone conversation
    "Reg F §1006.14(b)(2)(i)(B)",
    lambda v: (
        (v.cooldown_us > 0)
        & (v.last_conversation_us != NEVER)
        & (v.at_us - v.last_conversation_us < v.cooldown_us)
    ),
    channels=frozenset({"voice"}),
    channel_specific=True,
    detail=lambda v: v.last_conversation_at.isoformat(),
)
FREQUENCY = Rule(
    "frequency_cap",
    # Reg F §1006.14(b)(2)(i)(A): more than 7 calls in 7 consecutive days is presumed harassment
    "Reg F §1006.14(b)(2)(i)(A)",
    lambda v: v.calls_7d >= v.max_calls,
    channels=frozenset({"voice"}),
    channel_specific=True,
    detail=lambda v: f"{v.calls_7d} calls in 7 days",
)
STATE_FREQUENCY = Rule(
    "state_frequency_cap",
    # a state overlay (bot/policy.yml state_overlays), e.g. Massachusetts 940 CMR 7.04(1)(f): at
    # most 2 communications (calls, texts, voicemails) per debt in 7 days to the residence or
    # mobile. Every outbound attempt is counted, whatever its outcome: the safe side.
    "state overlay (940 CMR 7.04(1)(f) for MA)",
    lambda v: (v.max_communications != NO_CAP) & (v.communications_7d >= v.max_communications),
    detail=lambda v: f"{v.communications_7d} communications in 7 days ({v.profile.state})",
)
DAILY_CAP = Rule(
    "daily_cap",
    # the bank's cap per number, channel and local day (policy daily_cap_per_number), any account
    "bank policy: daily_cap_per_number",
    lambda v: (v.daily_cap != NO_CAP) & (v.attempts_today >= v.daily_cap),
    channel_specific=True,
    detail=lambda v: f"{v.attempts_today} today",
)

RULES: tuple[Rule, ...] = (
    OPT_OUT,
    DISPUTE,
    PAUSE,
    WRONG_NUMBER,
    CONSENT,
    WINDOW,
    COOLDOWN,
    FREQUENCY,
    STATE_FREQUENCY,
    DAILY_CAP,
)
