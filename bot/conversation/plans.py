"""Promise-to-pay policy checks and instalment-plan arithmetic (plain, unit-tested rules)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from bot.conversation.policy import Policy

CENT = Decimal("0.01")


@dataclass(frozen=True)
class PromiseCheck:
    ok: bool
    amount: Decimal
    partial: bool = False  # below the minimum due: accepted with a follow-up for the rest
    problem: str | None = None  # "too_late" | "below_minimum" | "not_positive" | "in_past"
    latest_date: date | None = None


def check_promise(
    *,
    amount: Decimal,
    pay_date: date,
    today: date,
    balance: Decimal,
    minimum_due: Decimal,
    policy: Policy,
) -> PromiseCheck:
    latest = today + timedelta(days=policy.promise_max_days_ahead)
    amount = min(amount, balance)  # nobody is asked to promise more than they owe
    if amount <= 0:
        return PromiseCheck(False, amount, problem="not_positive", latest_date=latest)
    if pay_date < today:
        return PromiseCheck(False, amount, problem="in_past", latest_date=latest)
    if pay_date > latest:
        return PromiseCheck(False, amount, problem="too_late", latest_date=latest)
    if amount < minimum_due:
        if policy.allow_partial_below_minimum:
            return PromiseCheck(True, amount, partial=True, latest_date=latest)
        return PromiseCheck(False, amount, problem="below_minimum", latest_date=latest)
    return PromiseCheck(True, amount, latest_date=latest)


@dataclass(frozen=True)
class InstalmentPlan:
    months: int
    monthly_amount: Decimal
    fee: Decimal
    total: Decimal
    first_due_date: date
    auto_approved: bool


def allowed_months(product: str, policy: Policy) -> tuple[int, ...]:
    return policy.instalment_months.get(product, ())


def instalment_plan(
    *, balance: Decimal, months: int, today: date, policy: Policy
) -> InstalmentPlan:
    """Fee = balance x monthly rate x months; the monthly amount is rounded up to the cent so the
    plan always covers the total (the last payment may be a few cents smaller)."""
    fee = (balance * policy.instalment_monthly_fee_rate * months).quantize(CENT, ROUND_HALF_UP)
    total = balance + fee
    monthly = (total / months).quantize(CENT, ROUND_UP)
    auto = (
        months <= policy.instalment_auto_approve_max_months
        and balance <= policy.instalment_auto_approve_max_balance
    )
    return InstalmentPlan(
        months=months,
        monthly_amount=monthly,
        fee=fee,
        total=total,
        first_due_date=today + timedelta(days=policy.instalment_first_due_in_days),
        auto_approved=auto,
    )
