"""The KPI report over one day and its CSV, on the fixture ledger (tests/analytics/kpi_fixture.py;
every figure of it is checked in test_kpi_fixture.py)."""

from __future__ import annotations

import csv

from bot.analytics import kpi
from bot.ledger.db import session_scope
from tests.analytics.kpi_fixture import D2, build


def test_one_day_and_the_csv(ledger_url, tmp_path):
    build(ledger_url)
    with session_scope(ledger_url) as session:
        rows = kpi.kpis(session, start=D2, end=D2)
    assert {r.day for r in rows} == {D2}
    total = kpi.totals(rows)
    assert (total.attempts, total.contacts, total.rpc) == (1, 1, 1)
    path = tmp_path / "kpi.csv"
    kpi.write_csv(rows, path)
    lines = list(csv.DictReader(path.open()))
    assert len(lines) == len(rows) + 1 and lines[-1]["day"] == "total"
    assert lines[-1]["escalations_customer_request"] == "1"
    # The numerators and denominators are columns too: contacts 0 of 1 attempt (the busy call).
    assert (lines[-1]["outbound_contacts"], lines[-1]["attempts"]) == ("0", "1")
    assert lines[-1]["contact_rate"] == "0.0"
    assert (lines[-1]["promised_EUR"], lines[-1]["collected_EUR"]) == ("15.00", "15.00")
    assert lines[-1]["avg_claim_wait_seconds"] == "120.0"


def test_an_empty_range_has_no_rates(ledger_url):
    build(ledger_url)
    with session_scope(ledger_url) as session:
        rows = kpi.kpis(session, start=D2.replace(year=2025), end=D2.replace(year=2025))
    total = kpi.totals(rows)
    assert rows == [] and total.attempts == 0
    assert all(share.value is None for share in total.shares().values())
    assert total.avg_claim_wait_seconds is None and total.avg_handle_seconds is None


def test_the_report_shows_each_rate_with_its_numerator_and_denominator(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli.main import app
    from bot.ledger.db import migrate
    from bot.settings import get_settings

    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("REMINDERBOT_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        migrate(url)
        build(url)
        result = CliRunner().invoke(app, ["report", "--start", "2026-03-02", "--end", "2026-03-03"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    # The total line of each table: the contact funnel and the outcomes.
    total = " ".join(line for line in result.output.splitlines() if line.startswith("│ total"))
    for shown in ("6/10 (60.0%)", "4/6 (66.7%)", "2/4 (50.0%)", "6+4", "USD 180.00"):
        assert shown in total, total
    # The SMS row of the first day: one reminder of three texts is one attempt.
    sms = next(line for line in result.output.splitlines() if "2026-03-02 │ sms " in line)
    assert "1/2 (50.0%)" in sms and "credit_card:1-30" in sms
    assert "over the claimed cases only (2 of 3)" in " ".join(result.output.split())
