"""The synthetic customers of the demo history: who they are and how they pay (see
bot/demo/history.py for the model of behaviour)."""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from bot.analytics.payments import allocate
from bot.conversation.verification import secret_hash

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
# Mandarin-speaking customers (issue #13), named in characters, the surname first.
CN_NAMES = (
    ("伟", "芳", "磊", "静", "强", "敏", "军", "燕", "涛", "慧"),
    ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"),
)
# (median balance in USD, sigma of its log, months the minimum instalment spreads over)
PRODUCTS = {
    "credit_card": (2500, 0.8, None),
    "personal_loan": (9000, 0.6, (12, 48)),
    "business_loan": (45000, 0.7, (12, 36)),
}


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


class _Population:
    """Random choices, the customers and their payments; contacts are in bot/demo/contacts.py."""

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
        given, family = rng.choice(first), rng.choice(last)
        row = dict(
            account_id=account_id,
            customer_name=f"{given} {family}" if us else f"{family}{given}",
            phone=phone,
            timezone=zone,
            language="en" if us else "zh",
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
