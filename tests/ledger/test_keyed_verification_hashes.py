"""Verification hashes are keyed (HMAC with a key outside the database), and migration 0004 wraps
the plain SHA-256 hashes a ledger already holds, so existing customers still verify (issue #11)."""

from __future__ import annotations

import hashlib
from datetime import date

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from bot.conversation.verification import check_answer, secret_hash
from bot.ledger.db import MIGRATIONS, engine_for
from bot.settings import get_settings


def _upgrade(url: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine_for(url).begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def test_the_hash_needs_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFICATION_KEY", "key-one")
    get_settings.cache_clear()
    try:
        one = secret_hash("CC-1", "4821")
        assert one != hashlib.sha256(b"CC-1:4821").hexdigest()  # not the public-id SHA-256
        assert secret_hash("CC-1", "4821", "key-two") != one
    finally:
        get_settings.cache_clear()


def test_migration_0004_keys_the_stored_hashes_and_customers_still_verify(tmp_path, monkeypatch):
    monkeypatch.setenv("VERIFICATION_KEY", "the-deployment-key")
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    try:
        _upgrade(url, "0003")
        legacy = {
            v: hashlib.sha256(f"CC-1:{v}".encode()).hexdigest() for v in ("4821", "1985-03-03")
        }
        with engine_for(url).begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (account_id, customer_name, phone, timezone, language,"
                    " product, currency, balance, minimum_due, due_date, days_past_due, dob_hash,"
                    " last4_hash, consent_voice, consent_sms, jurisdiction, created_at, updated_at)"
                    " VALUES ('CC-1', 'Jane Doe', '+14155550101', 'UTC', 'en', 'credit_card',"
                    " 'USD', '10.00', '1.00', '2026-11-01', 3, :dob, :last4, 1, 1, 'US',"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"dob": legacy["1985-03-03"], "last4": legacy["4821"]},
            )
        _upgrade(url, "head")
        with engine_for(url).connect() as conn:
            dob_hash, last4_hash = conn.execute(
                text("SELECT dob_hash, last4_hash FROM accounts")
            ).one()
        assert last4_hash != legacy["4821"] and dob_hash != legacy["1985-03-03"]
        hashes = {"account_id": "CC-1", "last4_hash": last4_hash, "dob_hash": dob_hash}
        assert check_answer(**hashes, digits="4821", dob=None)
        assert check_answer(**hashes, digits=None, dob=date(1985, 3, 3))
        assert not check_answer(**hashes, digits="9137", dob=None)
    finally:
        get_settings.cache_clear()
