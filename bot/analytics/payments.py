"""Payments received, and what they mean for the promises customers made.

The bank's payment file (`reminderbot payments import FILE.csv`, columns account_id, amount,
currency, paid_on) is validated whole before anything is written, like the account import: one
line per bad cell and nothing imported. The same file imported twice is refused (its SHA-256 is
kept with every payment), so a re-run cannot take money off a balance twice.

Settlement rules (`settle_promises`):

- A promise counts payments dated from the day it was made (in the customer's time zone) up to its
  due date plus the grace days (the days a payment takes to reach us).
- Money is allocated to the account's promises in due-date order and each payment is counted once:
  a payment that keeps one promise cannot also keep the next, though what is left of it can.
- A pending promise is **kept** as soon as its allocated payments reach its amount, and **broken**
  on the first day after due date + grace when they have not. Kept and broken are final.
- A broken promise schedules a follow-up reminder (SMS unless the customer has no SMS consent or
  opted out of SMS; then voice; none at all on a paused account or with no permitted channel).
- A payment lowers the balance and the minimum due (neither below zero); an account whose balance
  reaches zero leaves the campaign (``paused_reason = "paid_in_full"``) and its scheduled
  follow-ups are cancelled.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.ledger.models import Account, Promise
from bot.ledger.portfolio import CURRENCIES, ImportFailed, csv_with_columns
from bot.ledger.repo import accounts as account_repo
from bot.ledger.repo import follow_ups as follow_up_repo
from bot.ledger.repo import payments as ledger
from bot.ledger.repo import records

COLUMNS = ("account_id", "amount", "currency", "paid_on")
ZERO = Decimal("0.00")
# Follow-up reminders go out mid-morning in the customer's time zone.
FOLLOW_UP_LOCAL_TIME = time(10, 0)


@dataclass(frozen=True)
class PaymentRow:
    line: int
    account_id: str
    amount: Decimal
    currency: str
    paid_on: date


@dataclass(frozen=True)
class ImportSummary:
    payments: int
    total_by_currency: dict[str, Decimal]
    paid_in_full: int


@dataclass(frozen=True)
class Settlement:
    kept: int
    broken: int
    follow_ups: int


def _amount(raw: str) -> Decimal:
    value = Decimal(raw)
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise InvalidOperation
    return value


def _currency(raw: str) -> str:
    if raw not in CURRENCIES:
        raise ValueError
    return raw


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_payments(path: Path, *, today: date | None = None) -> tuple[list[PaymentRow], list[str]]:
    """Parse every cell: the good rows, and one message per bad cell."""
    errors: list[str] = []
    rows: list[PaymentRow] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv_with_columns(handle, COLUMNS)
        for row in reader:
            line = reader.line_num
            cells: dict = {}

            def check(column: str, convert, message: str, *, row=row, line=line, cells=cells):
                raw = (row.get(column) or "").strip()
                try:
                    if not raw:
                        raise ValueError
                    cells[column] = convert(raw)
                except (ValueError, InvalidOperation):
                    errors.append(f"line {line}, column {column}: {message} (got {raw!r})")

            check("account_id", str, "an account id is required")
            check("amount", _amount, "a positive amount with at most 2 decimals")
            check("currency", _currency, "an ISO 4217 code such as USD or CNY")
            check("paid_on", date.fromisoformat, "a date as YYYY-MM-DD")
            if "paid_on" in cells and today is not None and cells["paid_on"] > today:
                errors.append(f"line {line}, column paid_on: in the future (after {today})")
                del cells["paid_on"]
            if len(cells) == len(COLUMNS):
                rows.append(PaymentRow(line=line, **cells))
    if not rows and not errors:
        errors.append("the file has no payment rows")
    return rows, errors


def check_against_ledger(session: Session, rows: list[PaymentRow], digest: str) -> list[str]:
    """Unknown accounts, a currency other than the account's, or a file already imported."""
    errors: list[str] = []
    if ledger.batch_imported(session, digest):
        return ["line 1: this file was already imported (same contents)"]
    currency = account_repo.currencies(session, {r.account_id for r in rows})
    for r in rows:
        if r.account_id not in currency:
            errors.append(f"line {r.line}, column account_id: no such account ({r.account_id!r})")
        elif currency[r.account_id] != r.currency:
            errors.append(
                f"line {r.line}, column currency: the account is in {currency[r.account_id]}"
                f" (got {r.currency!r})"
            )
    return errors


def apply_payments(
    session: Session, rows: list[PaymentRow], *, batch: str, actor: str = "payments_import"
) -> ImportSummary:
    """Write the payments and bring each balance down, in the file's order."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    paid_in_full = 0
    journal: list[tuple[str, dict]] = []
    accounts = account_repo.accounts_by_id(session, {r.account_id for r in rows})
    for r in rows:
        account = accounts[r.account_id]
        payment = ledger.add_payment(
            session,
            account_id=r.account_id,
            amount=r.amount,
            currency=r.currency,
            paid_on=r.paid_on,
            balance_before=account.balance,
            minimum_due_before=account.minimum_due,
            batch=batch,
        )
        overpaid = max(ZERO, r.amount - account.balance)
        account.balance = max(ZERO, account.balance - r.amount)
        account.minimum_due = max(ZERO, account.minimum_due - r.amount)
        totals[r.currency] += r.amount
        cancelled = 0
        if account.balance == ZERO and account.paused_reason != "paid_in_full":
            account.paused_reason = "paid_in_full"  # leaves the campaign
            paid_in_full += 1
            cancelled = follow_up_repo.cancel_scheduled(session, r.account_id)
        journal.append(
            (
                r.account_id,
                {
                    "payment_id": payment.id,
                    "amount": r.amount,
                    "currency": r.currency,
                    "paid_on": r.paid_on,
                    "balance_after": account.balance,
                    "overpaid": overpaid,
                    "paid_in_full": account.balance == ZERO,
                    "follow_ups_cancelled": cancelled,
                },
            )
        )
    ledger.write_journal(session, "payment", actor, journal)
    return ImportSummary(
        payments=len(rows), total_by_currency=dict(totals), paid_in_full=paid_in_full
    )


def allocate(
    promises: Sequence[tuple[Decimal, date, date]], payments: Sequence[tuple[date, Decimal]]
) -> list[Decimal]:
    """How much money each promise got: promises as (amount, first day, last day) in due-date
    order, payments as (paid_on, amount) oldest first. Each promise takes the earliest money in
    its window that no earlier promise took, up to its amount; a payment can be split, never
    counted twice."""
    left = [[paid_on, amount] for paid_on, amount in payments]
    result: list[Decimal] = []
    for amount, first, last in promises:
        need = amount
        for slot in left:
            if need <= ZERO:
                break
            if first <= slot[0] <= last and slot[1] > ZERO:
                take = min(slot[1], need)
                slot[1] -= take
                need -= take
        result.append(amount - need)
    return result


def _local_date(moment: datetime, zone: str) -> date:
    return moment.astimezone(ZoneInfo(zone)).date()


def _follow_up_channel(account: Account, opted_out: set[str]) -> str | None:
    if "all" in opted_out or account.paused_reason:
        return None
    if account.consent_sms and "sms" not in opted_out:
        return "sms"
    if account.consent_voice and "voice" not in opted_out:
        return "voice"
    return None


def settle_promises(
    session: Session, *, today: date, grace_days: int = 3, actor: str = "settlement"
) -> Settlement:
    """Mark pending promises kept or broken from the payments on record (see module rules)."""
    grace = timedelta(days=grace_days)
    promises = ledger.promises_to_settle(session)
    if not promises:
        return Settlement(0, 0, 0)
    ids = {p.account_id for p in promises}
    accounts = account_repo.accounts_by_id(session, ids)
    payments: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for p in ledger.payments_oldest_first(session, ids):
        payments[p.account_id].append((p.paid_on, p.amount))
    opted_out: dict[str, set[str]] = defaultdict(set)
    for account_id, channel in records.opt_out_channels_in_force(session, ids):
        opted_out[account_id].add(channel)

    by_account: dict[str, list[Promise]] = defaultdict(list)
    for promise in promises:
        by_account[promise.account_id].append(promise)
    allocated_to: dict[str, Decimal] = {}
    for account_id, own in by_account.items():
        zone = accounts[account_id].timezone
        windows = [(p.amount, _local_date(p.created_at, zone), p.due_date + grace) for p in own]
        for promise, got in zip(own, allocate(windows, payments[account_id]), strict=True):
            allocated_to[promise.id] = got

    kept = broken = follow_ups = 0
    journal: list[tuple[str, dict]] = []
    for promise in promises:
        if promise.status != "pending":
            continue  # kept and broken are final; they only held on to their money above
        account = accounts[promise.account_id]
        allocated = allocated_to[promise.id]
        if allocated >= promise.amount:
            promise.status = "kept"
            kept += 1
        elif today > promise.due_date + grace:
            promise.status = "broken"
            broken += 1
        else:
            continue
        data: dict = {
            "promise_id": promise.id,
            "status": promise.status,
            "amount": promise.amount,
            "paid": allocated,
            "due_date": promise.due_date,
        }
        if promise.status == "broken":
            channel = _follow_up_channel(account, opted_out[promise.account_id])
            if channel:
                zone = ZoneInfo(account.timezone)
                due_at = datetime.combine(today, FOLLOW_UP_LOCAL_TIME, zone)
                follow_up = follow_up_repo.schedule(
                    session,
                    account_id=promise.account_id,
                    promise_id=promise.id,
                    due_at=due_at.astimezone(timezone.utc),
                    channel=channel,
                    reason="broken_promise",
                    status="scheduled",
                )
                data["follow_up_id"] = follow_up.id
                follow_ups += 1
        journal.append((promise.account_id, data))
    ledger.write_journal(session, "promise", actor, journal)
    return Settlement(kept=kept, broken=broken, follow_ups=follow_ups)


def _line_of(error: str) -> int:
    parts = error.split(",", 1)[0].split()
    return int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else 0


def import_payments(
    path: Path,
    *,
    today: date,
    grace_days: int = 3,
    url: str | None = None,
) -> tuple[ImportSummary, Settlement]:
    """Validate the whole file, then import and settle in one transaction.

    Raises ImportFailed (every bad cell, in line order) and writes nothing if any row is bad.
    """
    from bot.ledger.db import session_scope

    rows, errors = parse_payments(path, today=today)
    digest = file_digest(path)
    with session_scope(url) as session:
        errors += check_against_ledger(session, rows, digest)
        if errors:
            raise ImportFailed(sorted(errors, key=_line_of))
        summary = apply_payments(session, rows, batch=digest)
        session.flush()
        return summary, settle_promises(session, today=today, grace_days=grace_days)
