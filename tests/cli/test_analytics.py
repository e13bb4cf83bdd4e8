"""The analytics commands, end to end on a SQLite ledger through the default settings."""

from __future__ import annotations

import csv

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import analytics as cli
from bot.ledger.db import engine_for
from bot.settings import get_settings


@pytest.fixture
def app(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REMINDERBOT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    root = typer.Typer()
    root.add_typer(cli.payments_app, name="payments")
    root.add_typer(cli.audit_app, name="audit")
    root.add_typer(cli.score_app, name="score")
    root.add_typer(cli.history_app, name="history")
    root.command("report")(cli.report)
    yield root
    get_settings.cache_clear()


def run(app, *args: str):
    return CliRunner().invoke(app, list(args))


def test_the_whole_loop(app, sqlite_url, tmp_path):
    result = run(
        app,
        "history",
        "generate",
        "--accounts",
        "250",
        "--days",
        "45",
        "--seed",
        "4",
        "--start",
        "2026-01-01",
    )
    assert result.exit_code == 0, result.output
    assert "accounts: 250" in result.output

    report = tmp_path / "kpi.csv"
    result = run(
        app, "report", "--start", "2026-01-01", "--end", "2026-01-07", "--csv", str(report)
    )
    assert result.exit_code == 0, result.output
    assert "total" in result.output and "credit_card:" in result.output
    lines = list(csv.DictReader(report.open()))
    assert lines[-1]["day"] == "total" and int(lines[-1]["attempts"]) > 0

    result = run(app, "score", "train", "--reference", "2026-01-15", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert "AUC 0." in result.output and (tmp_path / "var" / "propensity").exists()
    result = run(app, "score", "rank", "--top", "2")
    assert result.exit_code == 0 and "SYN-" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text("account_id,amount,currency,paid_on\nSYN-00001,abc,USD,2026-02-10\n")
    result = run(app, "payments", "import", str(bad), "--today", "2026-02-15")
    assert result.exit_code == 1
    assert "line 2, column amount" in result.output and "nothing imported" in result.output

    with engine_for(sqlite_url).connect() as conn:
        account_id, currency = conn.execute(
            text("SELECT account_id, currency FROM accounts WHERE paused_reason IS NULL LIMIT 1")
        ).one()
    good = tmp_path / "good.csv"
    good.write_text(
        f"account_id,amount,currency,paid_on\n{account_id},10.00,{currency},2026-02-16\n"
    )
    result = run(app, "payments", "import", str(good), "--today", "2026-02-16", "--grace-days", "3")
    assert result.exit_code == 0, result.output
    assert "imported 1 payment(s)" in result.output and "promises kept:" in result.output

    result = run(app, "audit", "verify")
    assert result.exit_code == 0 and "audit trail OK" in result.output
    with engine_for(sqlite_url).begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"))
    result = run(app, "audit", "verify")
    assert result.exit_code == 1 and "BROKEN at seq 1: altered" in result.output

    # Retention never destroys the evidence: no purge while the chain is broken.
    result = run(app, "audit", "purge", "--before", "2100-01-01")
    assert result.exit_code == 1 and "nothing purged" in result.output
    with engine_for(sqlite_url).begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'payments_import' WHERE seq = 1"))
    result = run(app, "audit", "purge", "--before", "2100-01-01")
    assert result.exit_code == 0 and "purged 2 audit entries" in result.output
    assert "audit trail OK: 1 entries" in run(app, "audit", "verify").output
