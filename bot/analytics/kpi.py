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

Definitions (the industry's; every share is shown with its numerator and denominator, is None
when the denominator is 0, and can never pass 100 %: its numerator is counted over the very rows
of its denominator):

- **attempts**: outbound contact attempts the carrier took: calls dialled, text reminders sent
  (one reminder split into several texts is one attempt). A refused one reached no one.
- **contacts**: a person reached. Outbound: an attempt answered by a human, or whose
  conversation has a customer's turn (a text delivered and replied to, a call in which the
  customer spoke; never a call answered by a machine). Inbound: a conversation the customer
  opened (a call, a text, a chat) and spoke in. **contacts** = outbound + inbound.
- **contact rate** = outbound contacts / attempts.
- **right-party contacts (RPC)**: contacts in which the customer passed verification.
  **RPC rate** = RPC / contacts.
- **promise rate** = RPC with at least one promise to pay / RPC.
- **promises**: promises to pay taken (a conversation may take two: an amount and the rest
  later), and the **amount promised**, per currency.
- **kept / broken**: of those promises, how many have since been kept or broken (pending ones
  count in neither). **kept rate** = kept / (kept + broken). **amount collected**: the amount of
  the kept promises (a promise is kept when payments cover it in full).
- **instalment requests**: instalment plans requested (approved or waiting for approval).
- **escalations**: cases sent to the agent queue, by reason. **wait to claim**: the mean time
  from a case's creation to its claim by an agent, over the **claimed cases only** (None when no
  agent has claimed any).
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
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session

from bot.ledger.repo import kpi as kpi_reads

Key = tuple[date, str, str]  # day, channel, segment
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Share:
    """A rate that is a share: its numerator is a part of its denominator."""

    part: int
    whole: int

    def __post_init__(self) -> None:
        if not 0 <= self.part <= self.whole:
            # Only a wrong definition or query can get here: refuse to show a share over 100 %.
            raise ValueError(f"a share of {self.part} out of {self.whole}")

    @property
    def value(self) -> float | None:
        return self.part / self.whole if self.whole else None

    def __str__(self) -> str:
        value = self.value
        return f"{self.part}/{self.whole} " + ("(-)" if value is None else f"({value:.1%})")


def _mean(total: float, n: int) -> float | None:
    return round(total / n, 1) if n else None


COUNTS = (
    "attempts",
    "outbound_contacts",
    "outbound_rpc",
    "outbound_rpc_promised",
    "inbound_contacts",
    "inbound_rpc",
    "inbound_rpc_promised",
    "promises",
    "kept",
    "broken",
    "instalment_requests",
    "opt_outs",
    "escalations_claimed",
    "handled",
)


@dataclass
class KpiRow:
    day: date | None  # None in a total
    channel: str
    segment: str
    attempts: int = 0
    outbound_contacts: int = 0
    outbound_rpc: int = 0
    outbound_rpc_promised: int = 0
    inbound_contacts: int = 0
    inbound_rpc: int = 0
    inbound_rpc_promised: int = 0
    promises: int = 0
    kept: int = 0
    broken: int = 0
    promised: dict[str, Decimal] = field(default_factory=dict)  # currency -> amount
    collected: dict[str, Decimal] = field(default_factory=dict)
    instalment_requests: int = 0
    escalations: dict[str, int] = field(default_factory=dict)
    escalations_claimed: int = 0
    claim_wait_seconds: float = 0.0  # summed over the claimed escalations
    opt_outs: int = 0
    handled: int = 0  # ended conversations, the AHT's denominator
    handle_seconds: float = 0.0
    contacts: int = field(init=False, default=0)
    rpc: int = field(init=False, default=0)
    rpc_promised: int = field(init=False, default=0)
    contact_rate: float | None = field(init=False, default=None)
    rpc_rate: float | None = field(init=False, default=None)
    promise_rate: float | None = field(init=False, default=None)
    promise_kept_rate: float | None = field(init=False, default=None)
    escalations_total: int = field(init=False, default=0)
    avg_claim_wait_seconds: float | None = field(init=False, default=None)
    avg_handle_seconds: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.refresh()

    def shares(self) -> dict[str, Share]:
        """Each rate with its numerator and denominator (the definitions above)."""
        return {
            "contact_rate": Share(self.outbound_contacts, self.attempts),
            "rpc_rate": Share(self.rpc, self.contacts),
            "promise_rate": Share(self.rpc_promised, self.rpc),
            "promise_kept_rate": Share(self.kept, self.kept + self.broken),
        }

    def refresh(self) -> None:
        """Recompute the sums and the rates from the counts."""
        self.contacts = self.outbound_contacts + self.inbound_contacts
        self.rpc = self.outbound_rpc + self.inbound_rpc
        self.rpc_promised = self.outbound_rpc_promised + self.inbound_rpc_promised
        for name, share in self.shares().items():
            setattr(self, name, share.value)
        self.escalations_total = sum(self.escalations.values())
        self.avg_claim_wait_seconds = _mean(self.claim_wait_seconds, self.escalations_claimed)
        self.avg_handle_seconds = _mean(self.handle_seconds, self.handled)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(), timezone.utc),
        datetime.combine(end + timedelta(days=1), time(), timezone.utc),
    )


def _day(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _money(cents) -> Decimal:
    return (Decimal(str(cents or 0)) / 100).quantize(CENT)


def kpis(session: Session, *, start: date, end: date) -> list[KpiRow]:
    """One row per UTC day, channel and segment that had any activity, sorted."""
    low, high = _bounds(start, end)
    rows: dict[Key, KpiRow] = {}

    def row(day, channel, product, bucket) -> KpiRow:
        key = (_day(day), channel, f"{product}:{bucket}")
        if key not in rows:
            rows[key] = KpiRow(day=key[0], channel=channel, segment=key[2])
        return rows[key]

    for *where, n, reached, verified, promised in kpi_reads.outbound_attempts(session, low, high):
        r = row(*where)
        r.attempts, r.outbound_contacts = n, reached
        r.outbound_rpc, r.outbound_rpc_promised = verified, promised

    for *where, n, verified, promised in kpi_reads.inbound_contacts(session, low, high):
        r = row(*where)
        r.inbound_contacts, r.inbound_rpc, r.inbound_rpc_promised = (
            n,
            int(verified or 0),
            int(promised or 0),
        )

    for *where, handled, seconds in kpi_reads.handled_conversations(session, low, high):
        r = row(*where)
        r.handled, r.handle_seconds = handled, round(float(seconds or 0), 3)

    for *where, n, kept, broken in kpi_reads.promises(session, low, high):
        r = row(*where)
        r.promises, r.kept, r.broken = n, int(kept or 0), int(broken or 0)

    for *where, currency, promised, kept in kpi_reads.promise_amounts(session, low, high):
        r = row(*where)
        r.promised[currency] = _money(promised)
        r.collected[currency] = _money(kept)

    for *where, n in kpi_reads.instalment_requests(session, low, high):
        row(*where).instalment_requests = n

    for *where, n in kpi_reads.opt_outs(session, low, high):
        row(*where).opt_outs = n

    for d, ch, product, bucket, reason, n, claimed, waited in kpi_reads.escalations(
        session, low, high
    ):
        r = row(d, ch, product, bucket)
        r.escalations[reason] = n
        r.escalations_claimed += int(claimed or 0)
        r.claim_wait_seconds = round(r.claim_wait_seconds + float(waited or 0), 3)

    for r in rows.values():
        r.refresh()
    return [rows[key] for key in sorted(rows)]


def totals(rows: Iterable[KpiRow], *, channel: str = "all", segment: str = "all") -> KpiRow:
    """The counts summed and the rates recomputed from the sums (never an average of rates)."""
    total = KpiRow(day=None, channel=channel, segment=segment)
    escalations: dict[str, int] = defaultdict(int)
    promised: dict[str, Decimal] = defaultdict(Decimal)
    collected: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        for name in COUNTS:
            setattr(total, name, getattr(total, name) + getattr(r, name))
        total.handle_seconds += r.handle_seconds
        total.claim_wait_seconds += r.claim_wait_seconds
        for reason, n in r.escalations.items():
            escalations[reason] += n
        for currency, amount in r.promised.items():
            promised[currency] += amount
        for currency, amount in r.collected.items():
            collected[currency] += amount
    total.escalations = dict(sorted(escalations.items()))
    total.promised, total.collected = (
        dict(sorted(promised.items())),
        dict(sorted(collected.items())),
    )
    total.handle_seconds = round(total.handle_seconds, 3)
    total.claim_wait_seconds = round(total.claim_wait_seconds, 3)
    total.refresh()
    return total


def money(amounts: dict[str, Decimal]) -> str:
    """ "USD 120.00, EUR 5.00"; "-" when there is none."""
    return ", ".join(f"{cur} {amount}" for cur, amount in sorted(amounts.items())) or "-"


def write_csv(rows: list[KpiRow], path: Path) -> None:
    """One line per row, then the total; one column per escalation reason and per currency that
    occurs (promised_USD, collected_USD, ...)."""
    all_rows = [*rows, totals(rows)]
    reasons = sorted({reason for r in rows for reason in r.escalations})
    currencies = sorted({cur for r in rows for cur in r.promised})
    skip = ("escalations", "promised", "collected")
    names = [n for n in asdict(all_rows[-1]) if n not in skip]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            names
            + [f"escalations_{reason}" for reason in reasons]
            + [f"{what}_{cur}" for cur in currencies for what in ("promised", "collected")]
        )
        for r in all_rows:
            values = asdict(r)
            line = ["total" if n == "day" and r.day is None else values[n] for n in names]
            line = ["" if v is None else round(v, 4) if isinstance(v, float) else v for v in line]
            writer.writerow(
                line
                + [r.escalations.get(reason, 0) for reason in reasons]
                + [
                    getattr(r, what).get(cur, Decimal("0.00"))
                    for cur in currencies
                    for what in ("promised", "collected")
                ]
            )
