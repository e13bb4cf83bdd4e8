"""Synthetic collection history, for the demo console and for tests of the analytics.

Real collection data cannot leave the bank, but the KPI report and the propensity model need months
of it. This writes a plausible portfolio and what happened to it day by day: contact attempts,
conversations, promises, instalment requests, disputes, escalations, opt-outs and payments — ledger
rows only (no Redis stream entries and no audit entries: it is not a record of real events).

How customers behave (so the propensity model has something real to learn):

- each customer has a hidden willingness to pay; it makes them likelier to answer, pass
  verification, promise, keep promises and pay on their own, and less likely to refuse;
- paying is also less likely the further past due and the larger the balance, likelier for a
  smaller minimum-to-balance ratio, and likelier in the week after a verified conversation.

The campaign contacts an account about one day in three on a channel it consented to and did not
opt out of, leaves it alone while a promise is running or the account is paused (dispute,
already-paid claim, paid in full), and stops after a wrong number. Days past due keep counting from
the first missed due date. Promises are settled with the same rules as real payments
(`bot.analytics.payments.allocate`, 3 grace days) as of the history's last day.

Same seed, same history: every random choice comes from one `random.Random(seed)`, ids included.
Accounts are called SYN-00001, SYN-00002, ...; generating twice into one ledger is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from bot.demo.contacts import _Simulation
from bot.demo.customers import PREFIX
from bot.ledger.repo import accounts as account_repo
from bot.ledger.repo import history as ledger


@dataclass(frozen=True)
class HistorySummary:
    accounts: int
    attempts: int
    conversations: int
    promises: int
    instalment_requests: int
    disputes: int
    escalations: int
    opt_outs: int
    payments: int
    follow_ups: int


def generate(
    session: Session, *, accounts: int, days: int, seed: int, start: date
) -> HistorySummary:
    """Write `accounts` synthetic accounts and `days` days of history from `start` (inclusive).

    Runs in the caller's transaction; rows go in as bulk (executemany) inserts, 5,000 at a time.
    """
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be at least 1")
    if account_repo.any_id_starting(session, PREFIX):
        raise ValueError("this ledger already has synthetic accounts; use a fresh ledger")
    sim = _Simulation(seed=seed, start=start, days=days)
    portfolio = [sim.account(n) for n in range(1, accounts + 1)]
    for acct in portfolio:
        acct.standing = sim.standing(acct)
        for day in range(days):
            sim.day(acct, day)
    sim.settle(portfolio)
    sim.rows["accounts"] = [acct.row for acct in portfolio]
    ledger.write_rows(session, sim.rows)
    count = {name: len(sim.rows.get(name, ())) for name in ledger.TABLES}
    return HistorySummary(
        accounts=count["accounts"],
        attempts=count["contact_attempts"],
        conversations=count["conversations"],
        promises=count["promises"],
        instalment_requests=count["instalment_requests"],
        disputes=count["disputes"],
        escalations=count["escalations"],
        opt_outs=count["opt_outs"],
        payments=count["payments"],
        follow_ups=count["follow_ups"],
    )
