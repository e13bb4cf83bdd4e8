"""One parser for every time and date a command takes: ISO 8601 with Z or an offset; a naive
time is UTC (what the commands always did); bad input names an example the command accepts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import typer
from typer.testing import CliRunner

from bot.cli.main import app
from bot.cli.times import DATE_EXAMPLE, TIME_EXAMPLE, parse_date, parse_time
from bot.ledger.db import migrate
from bot.ledger.portfolio import import_accounts
from bot.settings import ROOT, get_settings


def test_z_is_utc():
    assert parse_time("2026-12-01T13:10:00Z", "--now") == datetime(
        2026, 12, 1, 13, 10, tzinfo=timezone.utc
    )


def test_an_offset_is_the_same_moment_in_utc():
    moment = parse_time("2026-12-01T21:10:00+08:00", "--now")
    assert moment == datetime(2026, 12, 1, 13, 10, tzinfo=timezone.utc)
    assert moment.utcoffset() == timedelta(0)


def test_naive_means_utc():
    assert parse_time("2026-12-01T13:10:00", "--now") == datetime(
        2026, 12, 1, 13, 10, tzinfo=timezone.utc
    )


def test_a_bad_time_shows_an_example_that_parses():
    with pytest.raises(typer.BadParameter) as raised:
        parse_time("1 Dec 2026 1pm", "--now")
    assert TIME_EXAMPLE in str(raised.value) and "1 Dec 2026 1pm" in str(raised.value)
    parse_time(TIME_EXAMPLE, "--now")


def test_dates_are_yyyy_mm_dd():
    assert parse_date("2026-12-01", "--today") == date(2026, 12, 1)
    with pytest.raises(typer.BadParameter) as raised:
        parse_date("01/12/2026", "--today")
    assert DATE_EXAMPLE in str(raised.value)
    parse_date(DATE_EXAMPLE, "--today")


@pytest.fixture
def ledger(sqlite_url, embedded_redis_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REDIS_URL", embedded_redis_url)
    monkeypatch.setenv("REMINDERBOT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    migrate(sqlite_url)
    import_accounts(ROOT / "bot" / "demo" / "portfolio.csv", sqlite_url)
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize(
    "now", ["2026-12-01T13:10:00Z", "2026-12-01T21:10:00+08:00", "2026-12-01T13:10:00"]
)
def test_campaign_plan_takes_z_an_offset_or_naive_utc(ledger, now):
    result = CliRunner().invoke(app, ["campaign", "plan", "--now", now])
    assert result.exit_code == 0, result.output
    assert "Plan for 2026-12-01 13:10 UTC" in result.output


@pytest.mark.parametrize(
    ("args", "example"),
    [
        (["campaign", "plan", "--now", "tomorrow"], TIME_EXAMPLE),
        (["report", "--end", "2026-13-01"], DATE_EXAMPLE),
        (["audit", "purge", "--before", "last year"], DATE_EXAMPLE),
    ],
)
def test_every_command_refuses_bad_input_with_an_example(ledger, args, example):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert example in result.output
