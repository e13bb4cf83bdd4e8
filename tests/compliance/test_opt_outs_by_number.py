"""Issue #12: opt-outs are held per phone number as well as per account. A STOP recorded on one
account stops every account at that number, for the per-contact gate and for the campaign
planner alike (SQLite and PostgreSQL); START from the number reopens them together."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.campaign.planner import load_accounts
from bot.campaign.planner.inputs import OPT_OUT_BITS
from bot.compliance.gate import gather_facts
from bot.ledger import models as m
from bot.ledger.db import session_scope
from bot.ledger.repo import records
from tests import factories

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc)
SHARED, OTHER = "+12125550101", "+12125550199"


def seed(url, *opt_outs: tuple[str, str]) -> None:
    with session_scope(url) as s:
        s.add(factories.account("A1", phone=SHARED))
        s.add(factories.account("A2", phone=SHARED))
        s.add(factories.account("B1", phone=OTHER))
        s.flush()
        for account_id, channel in opt_outs:  # as the channels record them
            records.opt_out(s, channel=channel, source_text="STOP", account_id=account_id)


def gate_sees(url, account_id: str, channel: str) -> bool:
    with session_scope(url) as s:
        return gather_facts(s, s.get(m.Account, account_id), channel, NOW).opted_out


def planner_sees(url) -> dict[str, int]:
    with session_scope(url) as s:
        return load_accounts(s, NOW)[1].opt_outs


def test_a_stop_on_one_account_stops_the_other_at_its_number(ledger_url):
    seed(ledger_url, ("A1", "sms"))
    assert gate_sees(ledger_url, "A2", "sms") and gate_sees(ledger_url, "A1", "sms")
    assert not gate_sees(ledger_url, "A2", "voice")  # only the channel named
    assert not gate_sees(ledger_url, "B1", "sms")  # another number
    assert planner_sees(ledger_url) == {"A1": OPT_OUT_BITS["sms"], "A2": OPT_OUT_BITS["sms"]}


def test_an_all_opt_out_closes_both_channels_at_the_number(ledger_url):
    seed(ledger_url, ("A2", "all"), ("B1", "voice"))
    assert gate_sees(ledger_url, "A1", "voice") and gate_sees(ledger_url, "A1", "sms")
    both = OPT_OUT_BITS["voice"] | OPT_OUT_BITS["sms"]
    assert planner_sees(ledger_url) == {"A1": both, "A2": both, "B1": OPT_OUT_BITS["voice"]}


def test_start_from_the_number_reopens_texts_for_every_account_at_it(ledger_url):
    seed(ledger_url, ("A1", "sms"), ("A2", "sms"), ("B1", "sms"))
    with session_scope(ledger_url) as s:
        records.revoke_opt_outs(s, "A2", "sms")
    assert not gate_sees(ledger_url, "A1", "sms") and not gate_sees(ledger_url, "A2", "sms")
    assert gate_sees(ledger_url, "B1", "sms")
    assert planner_sees(ledger_url) == {"B1": OPT_OUT_BITS["sms"]}


def test_the_opt_out_stays_with_the_number_and_with_the_account(ledger_url):
    """A1 opts out from SHARED, then moves to a new number, and B1 is given SHARED: the number's
    subscriber revoked consent (B1 is stopped) and the customer did too (A1 still is)."""
    seed(ledger_url, ("A1", "voice"))
    with session_scope(ledger_url) as s:
        s.get(m.Account, "A1").phone = "+12125550177"
        s.get(m.Account, "B1").phone = SHARED
    assert gate_sees(ledger_url, "A1", "voice") and gate_sees(ledger_url, "B1", "voice")
    assert planner_sees(ledger_url) == {
        "A1": OPT_OUT_BITS["voice"],
        "A2": OPT_OUT_BITS["voice"],
        "B1": OPT_OUT_BITS["voice"],
    }
    with session_scope(ledger_url) as s:
        [row] = s.query(m.OptOut).all()
        assert row.phone == SHARED  # the number it was made for, not A1's new one
