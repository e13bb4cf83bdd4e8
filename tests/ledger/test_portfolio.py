import csv
import re
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.conversation.verification import matches
from bot.ledger.db import session_scope
from bot.ledger.models import Account
from bot.ledger.portfolio import COLUMNS, ImportFailed, import_accounts, read_accounts

DEMO = Path(__file__).resolve().parents[2] / "bot" / "demo" / "portfolio.csv"


def demo_rows() -> list[dict]:
    with DEMO.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def count_accounts(url: str) -> int:
    with session_scope(url) as session:
        return session.query(Account).count()


def test_demo_portfolio_is_varied_and_valid():
    rows = read_accounts(DEMO)
    assert len(rows) >= 20
    assert {r["product"] for r in rows} == {"credit_card", "personal_loan", "business_loan"}
    assert {r["jurisdiction"] for r in rows} == {"US", "CN"}
    assert any(r["days_past_due"] > 90 for r in rows)
    assert any(not r["consent_voice"] for r in rows)


def test_import_stores_exact_money_and_hashes_secrets(ledger_url, tmp_path):
    result = import_accounts(DEMO, ledger_url)
    assert result.created == len(demo_rows()) and result.updated == 0
    with session_scope(ledger_url) as session:
        jane = session.get(Account, "CC-1001")
        assert jane.balance == Decimal("1240.50") and isinstance(jane.balance, Decimal)
        assert jane.phone == "+14155550101"
        # Keyed digests, nothing else: "4821 in the digest" held ~0.1 % of runs by chance.
        assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in (jane.last4_hash, jane.dob_hash))
        assert matches("CC-1001", jane.last4_hash, "4821")
        assert not matches("CC-1001", jane.last4_hash, "4822")


def test_reimport_updates_by_account_id(ledger_url, tmp_path):
    import_accounts(DEMO, ledger_url)
    rows = demo_rows()
    rows[0]["balance"] = "999.99"
    result = import_accounts(write_csv(tmp_path / "again.csv", rows), ledger_url)
    assert (result.created, result.updated) == (0, len(rows))
    with session_scope(ledger_url) as session:
        assert session.get(Account, rows[0]["account_id"]).balance == Decimal("999.99")
    assert count_accounts(ledger_url) == len(rows)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("phone", "4155550101"),
        ("timezone", "Mars/Olympus"),
        ("product", "mortgage"),
        ("currency", "XYZ"),
        ("balance", "12.345"),
        ("balance", "-5"),
        ("due_date", "2026-13-01"),
        ("days_past_due", "-1"),
        ("dob", "03/03/1985"),
        ("verification_last4", "12a4"),
        ("consent_sms", "maybe"),
        ("jurisdiction", "UK"),
        ("customer_name", ""),
        ("language", "fr"),  # the bot speaks en and zh (issue #13)
        ("language", "zh-TW"),
    ],
)
def test_a_bad_cell_names_line_and_column_and_imports_nothing(sqlite_url, tmp_path, column, value):
    from bot.ledger.db import migrate

    migrate(sqlite_url)
    rows = demo_rows()
    rows[2][column] = value  # the 4th line of the file (line 1 is the header)
    with pytest.raises(ImportFailed) as failed:
        import_accounts(write_csv(tmp_path / "bad.csv", rows), sqlite_url)
    assert failed.value.errors == [failed.value.errors[0]]
    assert failed.value.errors[0].startswith(f"line 4, column {column}:")
    assert count_accounts(sqlite_url) == 0


def test_every_bad_line_is_reported_and_duplicates_caught(tmp_path):
    rows = demo_rows()
    rows[0]["phone"] = "nope"
    rows[5]["minimum_due"] = "99999999"
    rows[7]["account_id"] = rows[6]["account_id"]
    with pytest.raises(ImportFailed) as failed:
        read_accounts(write_csv(tmp_path / "bad.csv", rows))
    text = str(failed.value)
    assert "line 2, column phone" in text
    assert "line 7, column minimum_due" in text
    assert "line 9, column account_id: duplicate of line 8" in text


def test_missing_columns_are_named(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "dob"} for r in demo_rows()]
    with pytest.raises(ImportFailed, match="missing column\\(s\\): dob"):
        read_accounts(write_csv(tmp_path / "bad.csv", rows))


def test_extra_columns_are_ignored(tmp_path):
    assert "branch" in demo_rows()[0] and "branch" not in COLUMNS
    assert "branch" not in read_accounts(DEMO)[0]


def test_cli_exit_code_and_message(tmp_path, monkeypatch, sqlite_url):
    from bot.cli.main import app
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        rows = demo_rows()
        rows[1]["due_date"] = "tomorrow"
        runner = CliRunner()
        bad = runner.invoke(app, ["accounts", "import", str(write_csv(tmp_path / "b.csv", rows))])
        assert bad.exit_code == 1
        assert "line 3, column due_date" in bad.output and "nothing imported" in bad.output
        assert count_accounts(sqlite_url) == 0
        good = runner.invoke(app, ["accounts", "import", str(DEMO)])
        assert good.exit_code == 0, good.output
        assert count_accounts(sqlite_url) == len(rows)
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("column", "value"), [("dob", "1985-31-03"), ("verification_last4", "48217")]
)
def test_a_rejected_verification_secret_is_never_echoed(tmp_path, column, value):
    """Import errors go to terminals and logs: a bad date of birth or card digits are named by
    line and column only (issue #11)."""
    rows = demo_rows()
    rows[0][column] = value
    with pytest.raises(ImportFailed) as failed:
        read_accounts(write_csv(tmp_path / "bad.csv", rows))
    assert failed.value.errors[0].startswith(f"line 2, column {column}:")
    assert value not in str(failed.value)


def test_language_codes_are_read_as_the_languages_the_bot_speaks(tmp_path):
    """en | zh; the usual aliases of Mandarin in simplified characters are read as zh."""
    rows = demo_rows()[:4]
    for row, code in zip(rows, ("zh-CN", "zh-Hans", "ZH", "en-US"), strict=True):
        row["language"] = code
    parsed = read_accounts(write_csv(tmp_path / "codes.csv", rows))
    assert [r["language"] for r in parsed] == ["zh", "zh", "zh", "en"]


def test_the_demos_cn_accounts_speak_mandarin():
    rows = read_accounts(DEMO)
    assert {r["language"] for r in rows if r["jurisdiction"] == "CN"} == {"zh"}
    assert {r["language"] for r in rows if r["jurisdiction"] == "US"} == {"en"}
