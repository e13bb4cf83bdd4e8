"""Collection strategies per segment, as read from `bot/campaign.yml`.

A segment is product x days-past-due bucket (`bot.analytics.segments`) x score band (from the
propensity to pay: high >= 0.6, medium >= 0.3, low below, `unscored` without a score), written
`credit_card:1-30:high`. A strategy says which channel to use on which day of the bucket and how
often (`steps`), how to back off after a no-answer or a busy line (`retry`), and the escalation
rules say when a case leaves automated contact (legal review, relationship manager) or changes its
ask (an instalment offer for a customer willing but unable to pay).

This module is the strategy itself and how it answers (which step, which back-off, which
escalation); `loading.py` reads and validates the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.analytics.segments import BUCKETS, dpd_bucket

PRODUCTS = ("credit_card", "personal_loan", "business_loan")
BUCKET_NAMES = ("current", *(name for _low, _high, name in BUCKETS))
BUCKET_START = {"current": 0, **{name: low for low, _high, name in BUCKETS}}
BANDS = ("high", "medium", "low", "unscored")
# Signals from the ledger, as bits: what the customer said in earlier conversations.
SIGNALS = {"hardship": 1, "instalment_request": 2, "refusal": 4, "broken_promise": 8}
ALL_SIGNALS = sum(SIGNALS.values())
# Escalation actions and whether the bot keeps contacting the customer by default.
ACTIONS = {"instalment_offer": True, "legal_review": False, "relationship_manager": False}
RETRY_OUTCOMES = ("no_answer", "busy", "failed")


@dataclass(frozen=True)
class Step:
    channel: str
    from_day: int
    every_days: int = 1
    fallback: str | None = None


@dataclass(frozen=True)
class Backoff:
    delays: tuple[int, ...]  # seconds; the last one repeats
    max_retries: int

    def delay(self, retry: int) -> int | None:
        """Seconds to wait before retry number `retry` (1 = the first), None past the limit."""
        if retry < 1 or retry > self.max_retries:
            return None
        return self.delays[min(retry, len(self.delays)) - 1]


@dataclass(frozen=True)
class SegmentStrategy:
    pattern: str  # "credit_card:1-30", "*:90+", "default"
    steps: tuple[Step, ...]  # sorted by from_day
    retry: dict[str, Backoff] = field(default_factory=dict)

    def step_for(self, day: int) -> tuple[int, Step] | None:
        """The step in force on this day of the bucket and its index, or None before the first."""
        found = None
        for index, step in enumerate(self.steps):
            if step.from_day <= day:
                found = (index, step)
        return found

    def backoff(self, outcome: str) -> Backoff | None:
        return self.retry.get(outcome)


@dataclass(frozen=True)
class EscalationRule:
    name: str
    action: str
    contact: bool
    products: frozenset[str] | None = None
    bands: frozenset[str] | None = None
    min_dpd: int | None = None
    max_dpd: int | None = None
    any_signal: int = 0  # at least one of these bits (0: no condition)
    all_signals: int = 0  # every one of these bits

    def matches(self, product: str, dpd: int, band: str, signals: int) -> bool:
        return (
            (self.products is None or product in self.products)
            and (self.bands is None or band in self.bands)
            and (self.min_dpd is None or dpd >= self.min_dpd)
            and (self.max_dpd is None or dpd <= self.max_dpd)
            and (not self.any_signal or bool(signals & self.any_signal))
            and (signals & self.all_signals) == self.all_signals
        )


@dataclass(frozen=True)
class Strategy:
    high: float
    medium: float
    signal_lookback_days: int
    default: SegmentStrategy
    segments: tuple[SegmentStrategy, ...]  # most specific first
    escalations: tuple[EscalationRule, ...]  # first match wins
    source: str = "<memory>"
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def band(self, score: float | None) -> str:
        if score is None:
            return "unscored"
        if score >= self.high:
            return "high"
        return "medium" if score >= self.medium else "low"

    def segment(self, product: str, days_past_due: int, score: float | None = None) -> str:
        return f"{product}:{dpd_bucket(days_past_due)}:{self.band(score)}"

    def for_segment(self, product: str, bucket: str, band: str) -> SegmentStrategy:
        return _lookup(self, product, bucket, band)

    def for_label(self, label: str) -> SegmentStrategy:
        """The strategy for a segment label as `segment()` writes it."""
        product, bucket, band = (label.split(":") + ["*", "*"])[:3]
        return _lookup(self, product, bucket, band)

    def escalation(
        self, product: str, days_past_due: int, band: str, signals: int
    ) -> EscalationRule | None:
        for rule in self.escalations:
            if rule.matches(product, days_past_due, band, signals):
                return rule
        return None


def _lookup(strategy: Strategy, product: str, bucket: str, band: str) -> SegmentStrategy:
    key = (product, bucket, band)
    found = strategy._cache.get(key)
    if found is None:
        found = strategy.default
        for seg in strategy.segments:
            p, b, n = _parts(seg.pattern)
            if p in ("*", product) and b in ("*", bucket) and n in ("*", band):
                found = seg
                break
        strategy._cache[key] = found
    return found


def _parts(pattern: str) -> tuple[str, str, str]:
    parts = pattern.split(":")
    return (parts + ["*"])[:3] if len(parts) == 2 else tuple(parts)  # type: ignore[return-value]


def specificity(pattern: str) -> tuple[bool, bool, bool]:
    """Which parts of a pattern are named (not *): the loader puts the most specific first."""
    return tuple(part != "*" for part in _parts(pattern))  # type: ignore[return-value]
