"""The one parser for every time and date a command takes.

Times are ISO 8601 with `Z` or an offset (`2026-12-01T13:10:00Z`, `2026-12-01T21:10:00+08:00`);
a time with neither (naive) is read as UTC, as the commands always did. Dates are `YYYY-MM-DD`.
Python 3.10's `datetime.fromisoformat` refuses `Z`, hence this module.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import typer

TIME_EXAMPLE = "2026-12-01T13:10:00Z"
DATE_EXAMPLE = "2026-12-01"


def parse_time(value: str, option: str) -> datetime:
    """The moment in UTC (what every report prints) from ISO 8601; naive means UTC; anything else
    is a usage error with an example."""
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"an ISO 8601 time such as {TIME_EXAMPLE} or 2026-12-01T21:10:00+08:00 "
            f"(got {value!r})",
            param_hint=option,
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"a date as YYYY-MM-DD such as {DATE_EXAMPLE} (got {value!r})", param_hint=option
        ) from None


def time_or_now(value: str | None, option: str) -> datetime:
    return datetime.now(timezone.utc) if value is None else parse_time(value, option)


def date_or(value: str | None, option: str, default: date) -> date:
    return default if value is None else parse_date(value, option)


def utc_today() -> date:
    """Today's date in UTC, the commands' default day."""
    return datetime.now(timezone.utc).date()
