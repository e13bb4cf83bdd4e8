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

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.analytics.payments import allocate
from bot.conversation.verification import secret_hash
from bot.ledger import models as m

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
GRACE_DAYS = 3
PREFIX = "SYN-"
CNY_PER_USD = 7
# As in the conversation engine (bot/conversation/engine.py), without importing it.
PRIORITY = {
    "customer_request": 1,
    "dispute": 2,
    "already_paid": 2,
    "hardship": 2,
    "verification_failed": 3,
    "instalment_approval": 3,
    "extension_request": 3,
    "refusal": 3,
}
US_ZONES = (
    ("America/New_York", 35),
    ("America/Chicago", 25),
    ("America/Denver", 10),
    ("America/Los_Angeles", 25),
    ("America/Phoenix", 5),
)
US_NAMES = (
    ("James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Maria", "Kevin", "Aisha"),
    ("Smith", "Johnson", "Garcia", "Brown", "Miller", "Davis", "Lopez", "Wilson", "Nguyen", "Lee"),
)
CN_NAMES = (
    ("Wei", "Fang", "Lei", "Jing", "Qiang", "Min", "Jun", "Yan", "Tao", "Hui"),
    ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou"),
)
# (median balance in USD, sigma of its log, months the minimum instalment spreads over)
PRODUCTS = {
    "credit_card": (2500, 0.8, None),
    "personal_loan": (9000, 0.6, (12, 48)),
    "business_loan": (45000, 0.7, (12, 36)),
}


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


@dataclass
class _Account:
    row: dict
    tz: ZoneInfo
    willing: float  # hidden
    dpd0: int
    balance: Decimal
    minimum: Decimal
    paused: str | None = None
    opted_out: set[str] = field(default_factory=set)
    wrong_number: bool = False
    standing: float = 0.0
    boost_until: int = -1  # a verified conversation makes paying likelier for a week
    promise_until: int = -1  # no chasing while a promise is running
    scheduled: dict[int, list[Decimal]] = field(default_factory=lambda: defaultdict(list))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


class _Simulation:
    def __init__(self, *, seed: int, start: date, days: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.start = start
        self.days = days
        self.last_day = start + timedelta(days=days - 1)
        self.rows: dict[str, list[dict]] = defaultdict(list)

    # ---- helpers --------------------------------------------------------------------------
    def new_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, weighted: tuple[tuple[str, int], ...]) -> str:
        point = self.rng.random() * sum(w for _, w in weighted)
        for name, weight in weighted:
            point -= weight
            if point < 0:
                return name
        return weighted[-1][0]

    def at(self, acct: _Account, day: int, first_hour: int = 9, last_hour: int = 19) -> datetime:
        """A moment within the customer's local working day, in UTC."""
        local = datetime.combine(
            self.start + timedelta(days=day),
            time(self.rng.randint(first_hour, last_hour), self.rng.randrange(60)),
            acct.tz,
        ) + timedelta(seconds=self.rng.randrange(60))
        return local.astimezone(timezone.utc)

    # ---- the portfolio ----------------------------------------------------------------------
    def account(self, n: int) -> _Account:
        rng = self.rng
        account_id = f"{PREFIX}{n:05d}"
        us = self.chance(0.7)
        product = self.pick((("credit_card", 55), ("personal_loan", 30), ("business_loan", 15)))
        median, sigma, months = PRODUCTS[product]
        usd = rng.lognormvariate(math.log(median), sigma)
        rate = 1 if us else CNY_PER_USD
        balance = _money(max(50.0, usd) * rate)
        bucket = self.pick((("1-30", 40), ("31-60", 25), ("61-90", 15), ("90+", 20)))
        low, high = {"1-30": (1, 30), "31-60": (31, 60), "61-90": (61, 90), "90+": (91, 180)}[
            bucket
        ]
        dpd0 = rng.randint(low, high)
        monthly = (
            max(25.0 * rate, 0.025 * float(balance))
            if months is None
            else (float(balance) / rng.randint(*months))
        )
        minimum = min(balance, _money(monthly * (1 + dpd0 // 30)))
        first, last = US_NAMES if us else CN_NAMES
        zone = self.pick(US_ZONES) if us else "Asia/Shanghai"
        phone = (
            f"+1{rng.choice((212, 312, 415, 617, 720, 305, 602))}555{rng.randrange(10000):04d}"
            if us
            else f"+861{rng.choice((3, 5, 8))}{rng.randrange(10**9):09d}"
        )
        dob = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
        created = datetime.combine(self.start - timedelta(days=1), time(), timezone.utc)
        row = dict(
            account_id=account_id,
            customer_name=f"{rng.choice(first)} {rng.choice(last)}",
            phone=phone,
            timezone=zone,
            language="en" if us else "zh-CN",
            product=product,
            currency="USD" if us else "CNY",
            balance=balance,
            minimum_due=minimum,
            due_date=self.start - timedelta(days=dpd0),
            days_past_due=dpd0,
            dob_hash=secret_hash(account_id, dob.isoformat()),
            last4_hash=secret_hash(account_id, f"{rng.randrange(10000):04d}"),
            consent_voice=self.chance(0.9),
            consent_sms=self.chance(0.85),
            jurisdiction="US" if us else "CN",
            paused_reason=None,
            created_at=created,
            updated_at=created,
        )
        return _Account(
            row=row,
            tz=ZoneInfo(zone),
            willing=rng.gauss(0.0, 1.0),
            dpd0=dpd0,
            balance=balance,
            minimum=minimum,
        )

    # ---- one day of one account ---------------------------------------------------------------
    @staticmethod
    def standing(acct: _Account) -> float:
        """The part of the inclination to pay that changes only when the account does."""
        usd = float(acct.balance) / (1 if acct.row["currency"] == "USD" else CNY_PER_USD)
        ratio = float(acct.minimum / acct.balance) if acct.balance else 0.0
        return (
            1.0 * acct.willing
            - 0.022 * acct.dpd0
            - 0.45 * (math.log(max(usd, 1.0)) - 8.0)
            - 1.5 * ratio
        )

    def appetite(self, acct: _Account, day: int) -> float:
        """The customer's inclination to pay today, on a logit scale."""
        return acct.standing - 0.022 * day + (0.9 if day <= acct.boost_until else 0.0)

    def pay(self, acct: _Account, day: int, amount: Decimal) -> None:
        amount = min(amount, acct.balance)
        if amount <= ZERO:
            return
        self.rows["payments"].append(
            dict(
                account_id=acct.row["account_id"],
                amount=amount,
                currency=acct.row["currency"],
                paid_on=self.start + timedelta(days=day),
                balance_before=acct.balance,
                minimum_due_before=acct.minimum,
                batch=f"synthetic:{self.seed}",
                created_at=self.at(acct, day, 20, 23),
            )
        )
        acct.balance -= amount
        acct.minimum = max(ZERO, acct.minimum - amount)
        acct.standing = self.standing(acct)
        if acct.balance == ZERO:
            acct.paused = "paid_in_full"

    def spontaneous_amount(self, acct: _Account) -> Decimal:
        small = float(acct.balance) < 500 * (1 if acct.row["currency"] == "USD" else CNY_PER_USD)
        kind = self.pick((("full", 50 if small else 15), ("minimum", 55), ("part", 30)))
        if kind == "full" or (kind == "minimum" and acct.minimum == ZERO):
            return acct.balance
        if kind == "minimum":
            return acct.minimum
        base = acct.minimum if acct.minimum > ZERO else acct.balance
        return max(_money(1), _money(float(base) * self.rng.uniform(0.3, 0.7)))

    def channels(self, acct: _Account) -> list[tuple[str, int]]:
        if "all" in acct.opted_out or acct.wrong_number:
            return []
        out = []
        if acct.row["consent_voice"] and "voice" not in acct.opted_out:
            out.append(("voice", 55))
        if acct.row["consent_sms"] and "sms" not in acct.opted_out:
            out.append(("sms", 35))
        if "chat" not in acct.opted_out:
            out.append(("chat", 10))
        return out

    def day(self, acct: _Account, day: int) -> None:
        for amount in acct.scheduled.pop(day, []):
            if acct.paused != "paid_in_full":
                self.pay(acct, day, amount)
        if acct.paused != "paid_in_full" and self.chance(_sigmoid(self.appetite(acct, day) - 4.2)):
            self.pay(acct, day, self.spontaneous_amount(acct))
        if acct.paused or day <= acct.promise_until or not self.chance(0.33):
            return
        allowed = self.channels(acct)
        if allowed:
            self.attempt(acct, day, self.pick(tuple(allowed)))

    def attempt(self, acct: _Account, day: int, channel: str) -> None:
        w = acct.willing
        started = self.at(acct, day)
        answered_by = None
        if channel == "voice":
            reached = self.chance(_sigmoid(-0.8 + 0.9 * w))
            if reached:
                status, answered_by = "completed", "human"
            else:
                status = self.pick(
                    (("completed", 30), ("no-answer", 45), ("busy", 15), ("failed", 10))
                )
                answered_by = "machine_end_beep" if status == "completed" else None
        else:
            reached = self.chance(_sigmoid(-1.3 + 0.9 * w))
            status = "completed" if reached else self.pick((("no-answer", 92), ("failed", 8)))
        attempt = dict(
            id=self.new_id(),
            account_id=acct.row["account_id"],
            conversation_id=None,
            channel=channel,
            direction="outbound",
            provider_sid=None,
            status=status,
            answered_by=answered_by,
            disposition=None,
            started_at=started,
            ended_at=started + timedelta(seconds=self.rng.randint(5, 40)),
        )
        self.rows["contact_attempts"].append(attempt)
        if reached:
            attempt["conversation_id"], attempt["disposition"], attempt["ended_at"] = (
                self.conversation(acct, day, channel, started)
            )

    def conversation(
        self, acct: _Account, day: int, channel: str, started: datetime
    ) -> tuple[str, str, datetime]:
        rng, w = self.rng, acct.willing
        conv_id = self.new_id()
        seconds = (
            rng.randint(45, 120) + int(rng.expovariate(1 / 150))
            if channel == "voice"
            else rng.randint(60, 300) + int(rng.expovariate(1 / 400))
        )
        ended = started + timedelta(seconds=seconds)
        common = dict(account_id=acct.row["account_id"], conversation_id=conv_id)
        verified = False
        escalate: str | None = None
        dpd = acct.dpd0 + day
        if self.chance(0.06):
            disposition = "wrong_number"
            acct.wrong_number = True
            self.rows["wrong_number_flags"].append(
                dict(id=self.new_id(), phone=acct.row["phone"], created_at=ended, **common)
            )
        elif not self.chance(_sigmoid(1.0 + 0.6 * w)):
            # Not verified: failed the questions, or the customer could not talk now.
            disposition = self.pick((("verification_failed", 50), ("callback", 50)))
            if disposition == "callback":
                self.callback(acct, day, ended, common)
            elif self.chance(0.5):
                escalate = "verification_failed"
        else:
            verified = True
            acct.boost_until = day + 7
            disposition, escalate = self.verified_outcome(acct, day, channel, ended, common, dpd)
        self.rows["conversations"].append(
            dict(
                id=conv_id,
                account_id=acct.row["account_id"],
                channel=channel,
                started_at=started,
                ended_at=ended,
                verified=verified,
                disposition=disposition,
            )
        )
        if escalate:
            self.escalation(acct, day, escalate, ended, common)
        return conv_id, disposition, ended

    def verified_outcome(
        self, acct: _Account, day: int, channel: str, ended: datetime, common: dict, dpd: int
    ) -> tuple[str, str | None]:
        w = acct.willing
        product = acct.row["product"]
        u = self.rng.random()
        if u < 0.02:
            target = channel if self.chance(0.6) else "all"
            acct.opted_out.add(target)
            self.rows["opt_outs"].append(
                dict(
                    id=self.new_id(),
                    channel=target,
                    source_text="please stop contacting me",
                    created_at=ended,
                    revoked_at=None,
                    **common,
                )
            )
            return "opted_out", None
        if u < 0.05:
            acct.paused = "dispute"
            self.rows["disputes"].append(
                dict(
                    id=self.new_id(),
                    text="I don't recognise this debt",
                    status="open",
                    created_at=ended,
                    **common,
                )
            )
            return "dispute", "dispute"
        if u < 0.065:
            acct.paused = "already_paid"
            self.rows["already_paid_claims"].append(
                dict(id=self.new_id(), details="paid last week", created_at=ended, **common)
            )
            return "already_paid", "already_paid"
        if u < 0.105:
            self.rows["hardship_notes"].append(
                dict(id=self.new_id(), text="lost my job", created_at=ended, **common)
            )
            return "hardship", "hardship"
        if u < 0.175:
            if product == "business_loan":
                return "extension_request", "extension_request"
            return "instalment_request", self.instalment(acct, day, ended, common)
        if self.chance(_sigmoid(-0.4 + 1.0 * w - 0.012 * dpd)):
            self.promise(acct, day, channel, ended, common)
            return "promise_to_pay", None
        if self.chance(_sigmoid(-1.8 - 0.9 * w)):
            return "refusal", ("refusal" if self.chance(0.4) else None)
        v = self.rng.random()
        if v < 0.12:
            self.callback(acct, day, ended, common)
            return "callback", None
        if v < 0.15:
            return "escalated", "customer_request"
        return "no_commitment", None

    def promise(
        self, acct: _Account, day: int, channel: str, ended: datetime, common: dict
    ) -> None:
        rng, w = self.rng, acct.willing
        kind = self.pick((("minimum", 65), ("full", 15), ("part", 20)))
        if kind == "full" or acct.minimum == ZERO:
            amount = acct.balance
        elif kind == "minimum":
            amount = acct.minimum
        else:
            amount = max(_money(1), _money(float(acct.minimum) * 0.5))
        due_in = rng.randint(1, 10)
        acct.promise_until = day + due_in + GRACE_DAYS
        usd = float(acct.balance) / (1 if acct.row["currency"] == "USD" else CNY_PER_USD)
        keep = _sigmoid(
            0.6 + 1.3 * w - 0.015 * (acct.dpd0 + day) - 0.3 * (math.log(max(usd, 1)) - 8)
        )
        if self.chance(keep):
            acct.scheduled[day + rng.randint(0, due_in + (1 if self.chance(0.1) else 0))].append(
                amount
            )
        elif self.chance(0.25):
            acct.scheduled[day + rng.randint(0, due_in)].append(_money(float(amount) / 2))
        self.rows["promises"].append(
            dict(
                id=self.new_id(),
                amount=amount,
                currency=acct.row["currency"],
                due_date=self.start + timedelta(days=day + due_in),
                channel=channel,
                status="pending",
                created_at=ended,
                **common,
            )
        )

    def instalment(self, acct: _Account, day: int, ended: datetime, common: dict) -> str | None:
        months = self.rng.choice((3, 6, 12))
        fee = _money(float(acct.balance) * 0.006)
        approved = months <= 6 and acct.balance <= Decimal("20000")
        self.rows["instalment_requests"].append(
            dict(
                id=self.new_id(),
                months=months,
                monthly_amount=_money(float(acct.balance) / months) + fee,
                fee=fee,
                currency=acct.row["currency"],
                first_due_date=self.start + timedelta(days=day + 30),
                status="approved" if approved else "pending_approval",
                created_at=ended,
                **common,
            )
        )
        return None if approved else "instalment_approval"

    def callback(self, acct: _Account, day: int, ended: datetime, common: dict) -> None:
        when = self.at(acct, day + self.rng.randint(1, 3), 10, 18)
        self.rows["callback_requests"].append(
            dict(
                id=self.new_id(),
                callback_at=when,
                requested_text="call me back later",
                status="done" if when.date() <= self.last_day else "scheduled",
                created_at=ended,
                **common,
            )
        )

    def escalation(
        self, acct: _Account, day: int, reason: str, ended: datetime, common: dict
    ) -> None:
        resolved = self.start + timedelta(days=day + 2) <= self.last_day and self.chance(0.85)
        claimed = ended + timedelta(minutes=self.rng.randint(2, 240))
        self.rows["escalations"].append(
            dict(
                id=self.new_id(),
                reason=reason,
                priority=PRIORITY[reason],
                summary=f"{reason.replace('_', ' ')} ({acct.row['product']})",
                status="resolved" if resolved else "open",
                stream_id=None,
                claimed_by="agent.synthetic" if resolved else None,
                claimed_at=claimed if resolved else None,
                resolved_at=claimed + timedelta(minutes=self.rng.randint(5, 60))
                if resolved
                else None,
                disposition="handled" if resolved else None,
                note=None,
                created_at=ended,
                **common,
            )
        )

    # ---- after the last day -----------------------------------------------------------------
    def follow_up(self, acct: _Account, promise: dict, due: date) -> None:
        """The reminder a broken promise earns, as bot.analytics.payments schedules it."""
        if "all" in acct.opted_out or acct.paused in ("dispute", "already_paid"):
            return
        if acct.row["consent_sms"] and "sms" not in acct.opted_out:
            channel = "sms"
        elif acct.row["consent_voice"] and "voice" not in acct.opted_out:
            channel = "voice"
        else:
            return
        if acct.paused == "paid_in_full":
            status = "cancelled"
        else:
            status = "done" if due < self.last_day else "scheduled"
        self.rows["follow_ups"].append(
            dict(
                id=self.new_id(),
                account_id=promise["account_id"],
                promise_id=promise["id"],
                due_at=datetime.combine(due, time(10), acct.tz).astimezone(timezone.utc),
                channel=channel,
                reason="broken_promise",
                status=status,
                created_at=datetime.combine(due, time(), timezone.utc),
            )
        )

    def settle(self, accounts: list[_Account]) -> None:
        """Promise statuses and broken-promise follow-ups, by the rules real payments follow."""
        payments: dict[str, list] = defaultdict(list)
        for p in self.rows["payments"]:
            payments[p["account_id"]].append((p["paid_on"], p["amount"]))
        promises: dict[str, list[dict]] = defaultdict(list)
        for p in self.rows["promises"]:
            promises[p["account_id"]].append(p)
        grace = timedelta(days=GRACE_DAYS)
        for acct in accounts:
            own = sorted(promises.get(acct.row["account_id"], ()), key=lambda p: p["due_date"])
            windows = [
                (p["amount"], p["created_at"].astimezone(acct.tz).date(), p["due_date"] + grace)
                for p in own
            ]
            got = allocate(windows, payments[acct.row["account_id"]])
            for p, paid in zip(own, got, strict=True):
                if paid >= p["amount"]:
                    p["status"] = "kept"
                elif self.last_day > p["due_date"] + grace:
                    p["status"] = "broken"
                    self.follow_up(acct, p, p["due_date"] + grace + timedelta(days=1))
            acct.row.update(
                balance=acct.balance,
                minimum_due=acct.minimum,
                paused_reason=acct.paused,
                days_past_due=0 if acct.balance == ZERO else acct.dpd0 + self.days - 1,
            )


TABLE_ORDER = (
    ("accounts", m.Account),
    ("conversations", m.Conversation),
    ("contact_attempts", m.ContactAttempt),
    ("promises", m.Promise),
    ("instalment_requests", m.InstalmentRequest),
    ("disputes", m.Dispute),
    ("already_paid_claims", m.AlreadyPaidClaim),
    ("hardship_notes", m.HardshipNote),
    ("callback_requests", m.CallbackRequest),
    ("opt_outs", m.OptOut),
    ("wrong_number_flags", m.WrongNumberFlag),
    ("escalations", m.Escalation),
    ("payments", m.Payment),
    ("follow_ups", m.FollowUp),
)


def generate(
    session: Session, *, accounts: int, days: int, seed: int, start: date
) -> HistorySummary:
    """Write `accounts` synthetic accounts and `days` days of history from `start` (inclusive).

    Runs in the caller's transaction; rows go in as bulk (executemany) inserts, 5,000 at a time.
    """
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be at least 1")
    if session.execute(
        select(m.Account.account_id).where(m.Account.account_id.like(f"{PREFIX}%")).limit(1)
    ).first():
        raise ValueError("this ledger already has synthetic accounts; use a fresh ledger")
    sim = _Simulation(seed=seed, start=start, days=days)
    portfolio = [sim.account(n) for n in range(1, accounts + 1)]
    for acct in portfolio:
        acct.standing = sim.standing(acct)
        for day in range(days):
            sim.day(acct, day)
    sim.settle(portfolio)
    sim.rows["accounts"] = [acct.row for acct in portfolio]
    for name, model in TABLE_ORDER:
        rows = sim.rows.get(name)
        for chunk in range(0, len(rows or ()), 5000):
            session.execute(model.__table__.insert(), rows[chunk : chunk + 5000])
    count = {name: len(sim.rows.get(name, ())) for name, _ in TABLE_ORDER}
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
