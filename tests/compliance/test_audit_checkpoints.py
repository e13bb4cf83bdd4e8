"""Issue #11 item 7: the audit chain cannot be shortened without `verify` noticing. Each test
cuts the chain the way someone with write access to the ledger would (delete the newest
entries and set the head back so the chain still verifies by itself, or delete everything),
and shows the signed checkpoint or the expected head catches it."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import analytics as cli
from bot.compliance import audit, checkpoints
from bot.ledger.db import migrate, session_scope
from bot.settings import Settings, get_settings
from tests.compliance.test_audit import sql, verdict, write


@pytest.fixture
def settings(tmp_path):
    return Settings(var_dir=tmp_path / "var", audit_checkpoint_key="k" * 32)


def checkpoint(url, settings) -> checkpoints.Checkpoint:
    with session_scope(url) as session:
        return checkpoints.write_if_moved(session, settings)


def check_latest(url, settings) -> None:
    last = checkpoints.latest(settings.effective_audit_checkpoint_dir, checkpoints.key(settings))
    with session_scope(url) as session:
        checkpoints.check(session, seq=last.seq, head_hash=last.head_hash)


def truncate(url, keep: int) -> None:
    """Delete every entry after `keep` and point the head at entry `keep`: the attack."""
    (digest,) = sql(url, "SELECT hash FROM audit_log WHERE seq = :s", s=keep)[0]
    sql(url, "DELETE FROM audit_log WHERE seq > :s", s=keep)
    sql(url, "UPDATE audit_head SET seq = :s, hash = :h", s=keep, h=digest)


def test_deleting_the_newest_entries_and_rewriting_the_head_is_caught(ledger_url, settings):
    write(ledger_url, 8)
    assert checkpoint(ledger_url, settings).seq == 8
    check_latest(ledger_url, settings)
    truncate(ledger_url, 5)
    assert verdict(ledger_url).ok  # the chain alone cannot tell
    with pytest.raises(checkpoints.ChainCut, match="entry 8 is gone"):
        check_latest(ledger_url, settings)
    # ... and a cut chain is never signed afresh.
    with pytest.raises(checkpoints.ChainCut):
        checkpoint(ledger_url, settings)


def test_deleting_everything_is_caught(ledger_url, settings):
    write(ledger_url, 4)
    checkpoint(ledger_url, settings)
    sql(ledger_url, "DELETE FROM audit_log")
    sql(ledger_url, "DELETE FROM audit_head")
    assert verdict(ledger_url).ok  # an empty ledger looks like a new one
    with pytest.raises(checkpoints.ChainCut):
        check_latest(ledger_url, settings)


def test_rewriting_the_chain_from_before_the_checkpoint_is_caught(ledger_url, settings):
    write(ledger_url, 4)
    checkpoint(ledger_url, settings)
    truncate(ledger_url, 2)
    write(ledger_url, 2)  # two new, self-consistent entries take seq 3 and 4 again
    assert verdict(ledger_url).ok
    with pytest.raises(checkpoints.ChainCut, match="rewritten"):
        check_latest(ledger_url, settings)


def test_a_forged_checkpoint_is_refused(ledger_url, settings, tmp_path):
    write(ledger_url, 3)
    real = checkpoint(ledger_url, settings)
    truncate(ledger_url, 1)
    # The attacker writes a checkpoint for the cut head, without the key.
    body = json.loads(real.path.read_text())
    body.update(seq=1, signature="0" * 64)
    (real.path.parent / "checkpoint-999999999999-forged.json").write_text(json.dumps(body))
    with pytest.raises(checkpoints.CheckpointRefused, match="bad signature"):
        check_latest(ledger_url, settings)
    # Signed with another key is no better.
    other = Settings(var_dir=tmp_path / "other", audit_checkpoint_key="x" * 32)
    with pytest.raises(checkpoints.CheckpointRefused):
        checkpoints.read(real.path, checkpoints.key(other))


def test_a_checkpoint_with_a_non_ascii_signature_is_refused_not_a_crash(ledger_url, settings):
    write(ledger_url, 2)
    real = checkpoint(ledger_url, settings)
    body = json.loads(real.path.read_text())
    body.update(signature="é" * 64)
    real.path.write_text(json.dumps(body))
    with pytest.raises(checkpoints.CheckpointRefused, match="bad signature"):
        checkpoints.read(real.path, checkpoints.key(settings))


def test_the_key_defaults_to_one_derived_from_the_secret_key(tmp_path):
    plain = Settings(var_dir=tmp_path)
    assert checkpoints.key(plain) == checkpoints.key(Settings(var_dir=tmp_path))
    assert checkpoints.key(plain) != (tmp_path / "secret_key").read_text().encode()


def test_a_purge_keeps_the_chain_checkable(ledger_url, settings):
    write(ledger_url, 6)
    checkpoint(ledger_url, settings)
    with session_scope(ledger_url) as session:
        audit.purge(session, before=datetime(2026, 1, 8, tzinfo=timezone.utc))
        head = checkpoints.current_head(session)
    checkpoints.write_head(settings, head)
    check_latest(ledger_url, settings)
    assert checkpoint(ledger_url, settings) is None  # the head has not moved since


@pytest.fixture
def app(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("REMINDERBOT_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    root = typer.Typer()
    root.add_typer(cli.audit_app, name="audit")
    yield root
    get_settings.cache_clear()


def run(app, *args: str):
    return CliRunner().invoke(app, list(args))


def test_the_cli_catches_a_truncated_chain_against_checkpoint_and_expected_head(app, sqlite_url):
    migrate(sqlite_url)
    write(sqlite_url, 6)
    result = run(app, "audit", "checkpoint")
    assert result.exit_code == 0 and "checkpoint of seq 6 written" in result.output
    ok = run(app, "audit", "verify")
    assert ok.exit_code == 0 and "reaches the signed checkpoint" in ok.output
    head = ok.output.split("hash ")[1].split(")")[0]
    assert run(app, "audit", "verify", "--expect-head", head).exit_code == 0

    truncate(sqlite_url, 3)
    cut = run(app, "audit", "verify")
    assert cut.exit_code == 1 and "entry 6 is gone" in cut.output
    expected = run(app, "audit", "verify", "--expect-head", head)
    assert expected.exit_code == 1 and f"no entry has hash {head}" in expected.output
    assert run(app, "audit", "checkpoint").exit_code == 1  # never signs the cut chain
    assert run(app, "audit", "purge", "--before", "2100-01-01").exit_code == 1  # keeps evidence


def test_a_checkpoint_of_the_empty_chain_asserts_no_entry(ledger_url):
    migrate(ledger_url)
    with session_scope(ledger_url) as session:
        checkpoints.check(session, seq=0, head_hash="0" * 64)  # nothing written yet: fine
        with pytest.raises(checkpoints.ChainCut):
            checkpoints.check(session, seq=1, head_hash="0" * 64)
