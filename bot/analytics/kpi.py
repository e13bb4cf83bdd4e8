"""Collection KPIs per day, channel and segment, for the supervisor console and the daily report.

Days are **UTC calendar days** (the ledger stores UTC; one day boundary for a portfolio that spans
New York and Shanghai). A record belongs to the day its own timestamp falls on: an attempt or a
conversation to the day it started, a promise, instalment request, escalation or opt-out to the day
it was recorded. `start` and `end` are both included.

The segment is `bot.analytics.segments.segment_of(product, days_past_due)` with the account's days
past due as the ledger holds it now (it keeps no history of it), so a re-run after a portfolio
refresh can move an account between buckets. The channel is the one the contact happened on: the
attempt's or the conversation's; for instalment requests, escalations and opt-outs the channel of
the conversation they came from ("unknown" without one; for an opt-out its own channel).

Definitions, as the console shows them (a rate is None when its denominator is 0):

- **attempts**: outbound contact attempts started (calls dialled, SMS and chat messages sent).
- **contacts**: conversations held — a person answered or replied and the bot talked with them.
- **contact rate** = contacts / attempts.
- **right-party contacts (RPC)**: conversations in which the customer passed verification.
- **RPC rate** = RPC / contacts.
- **promises**: promises to pay taken.  **promise rate** = promises / RPC.
- **kept / broken**: of those promises, how many have since been kept or broken (pending ones
  count in neither). **promise-kept rate** = kept / (kept + broken).
- **instalment requests**: instalment plans requested (approved or waiting for approval).
- **escalations**: cases sent to the agent queue, by reason.
- **opt-outs**: requests to stop contact on a channel or on all channels.
- **average handle time (AHT)**: mean of (ended - started) in seconds over the conversations that
  have ended.

The aggregation is done by the database (GROUP BY, in `bot.ledger.repo.kpi`), so a report over a
large portfolio reads one row per day x channel x segment, not one per contact.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from bot.ledger.repo import kpi as kpi_reads

Key = tuple[date, str, str]  # day, channel, segment


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass
class KpiRow:
    day: date | None  # None in a total
    channel: str
    segment: str
    attempts: int = 0
    contacts: int = 0
    rpc: int = 0
    promises: int = 0
    kept: int = 0
    broken: int = 0
    instalment_requests: int = 0
    escalations: dict[str, int] = field(default_factory=dict)
    opt_outs: int = 0
    handled: int = 0  # ended conversations, the AHT's denominator
    handle_seconds: float = 0.0
    contact_rate: float | None = field(init=False, default=None)
    rpc_rate: float | None = field(init=False, default=None)
    promise_rate: float | None = field(init=False, default=None)
    promise_kept_rate: float | None = field(init=False, default=None)
    escalations_total: int = field(init=False, default=0)
    avg_handle_seconds: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute the rates from the counts."""
        self.contact_rate = _rate(self.contacts, self.attempts)
        self.rpc_rate = _rate(self.rpc, self.contacts)
        self.promise_rate = _rate(self.promises, self.rpc)
        self.promise_kept_rate = _rate(self.kept, self.kept + self.broken)
        self.escalations_total = sum(self.escalations.values())
        seconds = _rate(self.handle_seconds, self.handled)
        self.avg_handle_seconds = None if seconds is None else round(seconds, 1)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(), timezone.utc),
        datetime.combine(end + timedelta(days=1), time(), timezone.utc),
    )


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def kpis(session: Session, *, start: date, end: date) -> list[KpiRow]:
    """One row per UTC day, channel and segment that had any activity, sorted."""
    low, high = _bounds(start, end)
    rows: dict[Key, KpiRow] = {}

    def row(day, channel, product, bucket) -> KpiRow:
        key = (_day(day), channel, f"{product}:{bucket}")
        if key not in rows:
            rows[key] = KpiRow(day=key[0], channel=channel, segment=key[2])
        return rows[key]

    for day, channel, product, bucket, n in kpi_reads.outbound_attempts(session, low, high):
        row(day, channel, product, bucket).attempts = n

    for day, channel, product, bucket, n, verified, handled, seconds in kpi_reads.conversations(
        session, low, high
    ):
        r = row(day, channel, product, bucket)
        r.contacts, r.rpc, r.handled = n, int(verified or 0), handled
        r.handle_seconds = round(float(seconds or 0), 3)

    for day, channel, product, bucket, n, kept, broken in kpi_reads.promises(session, low, high):
        r = row(day, channel, product, bucket)
        r.promises, r.kept, r.broken = n, int(kept or 0), int(broken or 0)

    for day, ch, product, bucket, n in kpi_reads.instalment_requests(session, low, high):
        row(day, ch, product, bucket).instalment_requests = n

    for day, ch, product, bucket, n in kpi_reads.opt_outs(session, low, high):
        row(day, ch, product, bucket).opt_outs = n

    for d, ch, product, bucket, reason, n in kpi_reads.escalations(session, low, high):
        row(d, ch, product, bucket).escalations[reason] = n

    for r in rows.values():
        r.refresh()
    return [rows[key] for key in sorted(rows)]


def totals(rows: Iterable[KpiRow], *, channel: str = "all", segment: str = "all") -> KpiRow:
    """The counts summed and the rates recomputed from the sums (never an average of rates)."""
    total = KpiRow(day=None, channel=channel, segment=segment)
    escalations: dict[str, int] = defaultdict(int)
    for r in rows:
        for name in (
            "attempts",
            "contacts",
            "rpc",
            "promises",
            "kept",
            "broken",
            "instalment_requests",
            "opt_outs",
            "handled",
        ):
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.handle_seconds += r.handle_seconds
        for reason, n in r.escalations.items():
            escalations[reason] += n
    total.escalations = dict(sorted(escalations.items()))
    total.handle_seconds = round(total.handle_seconds, 3)
    total.refresh()
    return total


def write_csv(rows: list[KpiRow], path: Path) -> None:
    """One line per row, then the total; one column per escalation reason that occurs."""
    reasons = sorted({reason for r in rows for reason in r.escalations})
    all_rows = [*rows, totals(rows)]
    names = [n for n in asdict(all_rows[-1]) if n != "escalations"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(names + [f"escalations_{reason}" for reason in reasons])
        for r in all_rows:
            values = asdict(r)
            line = ["total" if n == "day" and r.day is None else values[n] for n in names]
            line = ["" if v is None else round(v, 4) if isinstance(v, float) else v for v in line]
            writer.writerow(line + [r.escalations.get(reason, 0) for reason in reasons])
