"""The planner's input: the portfolio as columns and the ledger's facts as sparse maps."""

from __future__ import annotations

from dataclasses import dataclass, field

VOICE_BIT, SMS_BIT = 1, 2
OPT_OUT_BITS = {"voice": VOICE_BIT, "sms": SMS_BIT, "all": VOICE_BIT | SMS_BIT}


@dataclass
class Accounts:
    """The portfolio as columns; row i of every list is one account."""

    ids: list[str]
    products: list[str]
    dpd: list[int]
    zones: list[str]
    jurisdictions: list[str]
    phones: list[str]
    consent_voice: list[bool]
    consent_sms: list[bool]
    paused: list[str | None]
    scores: list[float | None] | None = None  # propensity to pay; None: nobody is scored

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in (
            "products",
            "dpd",
            "zones",
            "jurisdictions",
            "phones",
            "consent_voice",
            "consent_sms",
            "paused",
        ):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Accounts.{name} has {len(getattr(self, name))} rows, not {n}")
        if self.scores is not None and len(self.scores) != n:
            raise ValueError(f"Accounts.scores has {len(self.scores)} rows, not {n}")

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class History:
    """What the ledger knows, in bulk; only accounts with something to say appear. Times are
    microseconds since the epoch (`windows.to_us`)."""

    opt_outs: dict[str, int] = field(default_factory=dict)  # account -> VOICE_BIT | SMS_BIT
    disputes: set[str] = field(default_factory=set)  # accounts with an open dispute
    wrong_numbers: set[str] = field(default_factory=set)  # current phone flagged wrong
    calls_7d: dict[str, int] = field(default_factory=dict)  # outbound calls in the 7 days to now
    last_conversation_us: dict[str, int] = field(default_factory=dict)  # right-party voice
    # channel -> phone -> sorted outbound attempt times of the last 26 h (the daily cap counts
    # attempts to the number since the customer's local midnight, whichever account)
    recent_attempts_us: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    # channel -> account -> last outbound attempt (the strategy's cadence)
    last_attempt_us: dict[str, dict[str, int]] = field(default_factory=dict)
    signals: dict[str, int] = field(default_factory=dict)  # account -> strategy.SIGNALS bits
    # outbound calls and texts in the 7 days to now (a state overlay's cap, e.g. MA)
    communications_7d: dict[str, int] = field(default_factory=dict)
