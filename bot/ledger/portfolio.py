"""Account portfolio import: every row is validated before anything is written."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.conversation.language import ALIASES as LANGUAGES
from bot.conversation.verification import hash_key, secret_hash
from bot.ledger.repo import accounts

COLUMNS = (
    "account_id",
    "customer_name",
    "phone",
    "timezone",
    "language",
    "product",
    "currency",
    "balance",
    "minimum_due",
    "due_date",
    "days_past_due",
    "dob",
    "verification_last4",
    "consent_voice",
    "consent_sms",
    "jurisdiction",
)
PRODUCTS = {"credit_card", "personal_loan", "business_loan"}
JURISDICTIONS = {"US", "CN"}
CURRENCIES = {"USD", "CNY", "EUR", "GBP", "HKD", "JPY", "CAD", "AUD", "SGD"}
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# The verification answers: hashed on import, never written or shown in clear.
SECRET_COLUMNS = {"dob", "verification_last4"}
BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "1": True, "0": False}


class ImportFailed(Exception):
    """Raised with one message per bad cell; nothing has been written."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _money(value: str) -> Decimal:
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidOperation
    return amount


def _iso_date(value: str) -> date:
    return date.fromisoformat(value)


def _parse_row(row: dict[str, str], line: int) -> tuple[dict | None, list[str]]:
    errors: list[str] = []
    out: dict = {}

    def check(column: str, convert, message: str) -> None:
        raw = (row.get(column) or "").strip()
        try:
            if not raw:
                raise ValueError
            out[column] = convert(raw)
        except (ValueError, InvalidOperation, ZoneInfoNotFoundError, KeyError):
            # A verification secret is never echoed: import errors go to terminals and logs.
            got = "value withheld" if column in SECRET_COLUMNS else f"got {raw!r}"
            errors.append(f"line {line}, column {column}: {message} ({got})")

    def one_of(allowed):
        def convert(raw: str) -> str:
            if raw not in allowed:
                raise ValueError
            return raw

        return convert

    def pattern(regex: str):
        def convert(raw: str) -> str:
            if not re.fullmatch(regex, raw):
                raise ValueError
            return raw

        return convert

    check("account_id", pattern(r"[A-Za-z0-9_\-]{1,64}"), "letters, digits, - or _ (1-64)")
    check("customer_name", str, "a name is required")
    check("phone", pattern(E164.pattern), "a phone number in E.164 form such as +14155550100")
    check("timezone", lambda v: ZoneInfo(v) and v, "an IANA time zone such as America/New_York")
    check(
        "language",
        # Stored normalised, so every reader sees "en" or "zh".
        lambda v: LANGUAGES[v.lower().replace("_", "-")],
        "en or zh (zh-CN and zh-Hans are read as zh)",
    )
    check("product", one_of(PRODUCTS), "one of " + ", ".join(sorted(PRODUCTS)))
    check("currency", one_of(CURRENCIES), "an ISO 4217 code such as USD or CNY")
    check("balance", _money, "a non-negative amount with at most 2 decimals")
    check("minimum_due", _money, "a non-negative amount with at most 2 decimals")
    check("due_date", _iso_date, "a date as YYYY-MM-DD")
    check("days_past_due", lambda v: int(v) if int(v) >= 0 else int("x"), "a whole number ≥ 0")
    check("dob", _iso_date, "a date of birth as YYYY-MM-DD")
    check("verification_last4", pattern(r"\d{4}"), "exactly 4 digits")
    check("consent_voice", lambda v: BOOLEANS[v.lower()], "true or false")
    check("consent_sms", lambda v: BOOLEANS[v.lower()], "true or false")
    check("jurisdiction", one_of(JURISDICTIONS), "US or CN")
    if not errors and out["minimum_due"] > out["balance"]:
        errors.append(f"line {line}, column minimum_due: larger than the balance")
    return (None if errors else out), errors


def csv_with_columns(handle, columns) -> csv.DictReader:
    """A CSV reader over `handle`, refusing a header that lacks any of `columns`."""
    reader = csv.DictReader(handle)
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportFailed([f"line 1: missing column(s): {', '.join(missing)}"])
    return reader


def read_accounts(path: Path) -> list[dict]:
    """Parse and validate the whole file; raise ImportFailed naming every bad line and column."""
    errors: list[str] = []
    rows: list[dict] = []
    seen: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv_with_columns(handle, COLUMNS)
        for row in reader:
            line = reader.line_num
            parsed, row_errors = _parse_row(row, line)
            errors.extend(row_errors)
            if parsed:
                if parsed["account_id"] in seen:
                    errors.append(
                        f"line {line}, column account_id: duplicate of line "
                        f"{seen[parsed['account_id']]}"
                    )
                seen[parsed["account_id"]] = line
                rows.append(parsed)
    if errors:
        raise ImportFailed(errors)
    if not rows:
        raise ImportFailed(["the file has no account rows"])
    return rows


def upsert_accounts(session: Session, rows: list[dict], key: str | None = None) -> ImportResult:
    """`key`: the verification hash key of the stack the ledger belongs to (default: this
    process's settings)."""
    created = updated = 0
    key = key or hash_key()
    for row in rows:
        values = dict(row)
        dob = values.pop("dob")
        last4 = values.pop("verification_last4")
        values["dob_hash"] = secret_hash(row["account_id"], dob.isoformat(), key)
        values["last4_hash"] = secret_hash(row["account_id"], last4, key)
        if accounts.save(session, values):
            created += 1
        else:
            updated += 1
    return ImportResult(created=created, updated=updated)


def import_accounts(path: Path, url: str | None = None, *, key: str | None = None) -> ImportResult:
    from bot.ledger.db import session_scope

    rows = read_accounts(path)
    with session_scope(url) as session:
        return upsert_accounts(session, rows, key)
