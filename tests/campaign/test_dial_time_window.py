"""Issue #12: the window is checked again when the call is actually dialled. A call queued in the
window that reaches the worker at 21:00 is not made: it goes back to the queue for the next
opening (Reg F §1006.6(b)(1)(i)), and the refusal is audited."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import redis

from bot.campaign.dispatch import CampaignQueue, LedgerGate, Worker
from bot.ledger import models as m
from bot.ledger.db import session_scope
from tests.campaign.helpers import RedisRecordingExecutor, account, cleanup, contact
from tests.campaign.test_ledger_input import STRATEGY

QUEUED = datetime(2026, 11, 28, 1, 59, 59, tzinfo=timezone.utc)  # 20:59:59 New York
DIALLED = datetime(2026, 11, 28, 2, 0, tzinfo=timezone.utc)  # 21:00:00 New York


def test_a_queued_call_reaching_21_00_is_not_dialled(ledger_url, embedded_redis_url):
    with session_scope(ledger_url) as s:
        s.add(account("NY-late", phone="+12125550142"))
        s.add(account("NY-la-number", phone="+14155550143"))  # 18:00 in Los Angeles: still open
    client = redis.Redis.from_url(embedded_redis_url)
    prefix = f"test-dial-window-{uuid.uuid4().hex[:10]}"
    queue = CampaignQueue(client, prefix)
    late = contact(0, account_id="NY-late", due=QUEUED.timestamp())
    queue.schedule([late])
    executor = RedisRecordingExecutor(client, prefix=f"{prefix}:rec")
    worker = Worker("w", executor, client, prefix=prefix, strategy=STRATEGY,
                    gate=LedgerGate(ledger_url, actor="campaign:w"),
                    clock=DIALLED.timestamp)  # fmt: skip
    try:
        assert worker.run_once() == 1
        assert executor.attempts() == []  # the carrier was never asked to dial
        assert queue.state(late) == "queued"  # back in the queue for 08:00 tomorrow
        with session_scope(ledger_url) as s:
            (entry,) = s.query(m.AuditEntry).filter_by(kind="gate_decision", actor="campaign:w")
            assert entry.account_id == "NY-late"
    finally:
        cleanup(client, prefix)
