"""A retried webhook delivery gets the first answer and changes nothing."""

import pytest

from bot.infra import webhook_events
from bot.ledger.db import migrate
from bot.settings import get_settings


@pytest.fixture
def ledger(sqlite_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    migrate(sqlite_url)
    yield
    get_settings.cache_clear()


def test_first_delivery_claims_a_retry_gets_its_answer(ledger):
    assert webhook_events.claim("sms", "SM1")
    assert not webhook_events.claim("sms", "SM1")
    webhook_events.remember("sms", "SM1", ["hello"])
    assert webhook_events.first_response("sms", "SM1", wait_s=0) == ["hello"]


def test_a_failed_delivery_is_forgotten_and_processed_afresh(ledger):
    assert webhook_events.claim("sms", "SM2")
    webhook_events.forget("sms", "SM2")
    assert webhook_events.first_response("sms", "SM2", wait_s=0) is None
    assert webhook_events.claim("sms", "SM2")
