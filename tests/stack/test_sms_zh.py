"""SMS in Mandarin through the whole stack (issue #13): signed Twilio webhooks from the simulator,
the real gateway, Rasa and action server. A zh customer's 退订 closes texts before Rasa and is
audited; the bot's Chinese replies carry the bank's signature 【浦发银行】 and the opt-out line
回复TD退订 within the UCS-2 segment budget of the CN profile."""

from __future__ import annotations

import json
import re

from bot.channels.sms_text import encoding, segments
from bot.compliance.gate import check_contact
from bot.compliance.profiles import profile_for
from bot.ledger.db import session_scope
from bot.ledger.models import AuditEntry
from tests.stack.conftest import add_account, daytime_zone

SIGNATURE, LINE = "【浦发银行】", "回复TD退订"
CJK = re.compile(r"[\u4e00-\u9fff]")


def texts(running, sender: str, body: str) -> list[str]:
    return running.carrier.run(
        running.carrier.sim.inbound_sms(sender, running.settings.twilio_from_number, body)
    )


def zh_customer(running, tmp_path, suffix: str) -> dict:
    # A Mandarin-speaking CN account on a CN mobile number; the zone is one where it is daytime
    # now, so nothing here depends on the hour the tests run at.
    return add_account(
        running,
        tmp_path,
        customer_name="Wang Fang",
        phone=f"+86138{suffix}",
        timezone=daytime_zone(),
        language="zh",
        currency="CNY",
        jurisdiction="CN",
        balance="18650.00",
        minimum_due="932.50",
    )


def opt_out_audit(running, account_id: str) -> list[dict]:
    with session_scope(running.sql_url) as session:
        rows = session.query(AuditEntry).filter_by(account_id=account_id, kind="opt_out").all()
        return [json.loads(r.data) for r in rows]


def test_a_zh_customers_tuiding_closes_texts_before_rasa_and_is_audited(running, tmp_path):
    customer = zh_customer(running, tmp_path, "00138101")
    account_id, phone = customer["account_id"], customer["phone"]
    [reply] = texts(running, phone, "退订")
    assert reply.startswith(SIGNATURE) and "退订" in reply and "unsubscribed" not in reply
    record = running.api.get(f"/api/accounts/{account_id}").json()
    assert [o["channel"] for o in record["opt_outs"] if o["active"]] == ["sms"]
    assert [a["channels"] for a in opt_out_audit(running, account_id)] == [["sms"]]
    # Closed before Rasa: no conversation was opened for it.
    assert [c for c in record["contacts"] if c["channel"] == "sms"] == []
    # The gate refuses the next reminder text for the opt-out, as it does after STOP.
    refused = running.api.post(f"/api/accounts/{account_id}/sms")
    assert refused.status_code == 409 and refused.json()["detail"]["reason"] == "opted_out"


def test_a_cn_numbers_td_is_honoured_for_an_english_account_too(running, tmp_path):
    customer = add_account(
        running, tmp_path, phone="+8613900138102", timezone=daytime_zone(), jurisdiction="CN"
    )
    [reply] = texts(running, customer["phone"], "TD")
    assert reply.startswith(SIGNATURE)
    record = running.api.get(f"/api/accounts/{customer['account_id']}").json()
    assert [o["channel"] for o in record["opt_outs"] if o["active"]] == ["sms"]


def test_stop_calling_in_chinese_by_text_refuses_the_next_call(running, tmp_path):
    customer = zh_customer(running, tmp_path, "00138103")
    [reply] = texts(running, customer["phone"], "不要再打电话了")
    assert reply.startswith(SIGNATURE) and "打电话" in reply
    # The gate every call asks first (the voice channel itself may be off in this stack).
    with session_scope(running.sql_url) as session:
        assert check_contact(session, customer["account_id"], "voice").reason == "opted_out"
        assert check_contact(session, customer["account_id"], "sms").reason != "opted_out"


def test_a_chinese_reply_is_signed_with_the_line_within_the_ucs2_budget(running, tmp_path):
    customer = zh_customer(running, tmp_path, "00138104")
    budget = profile_for("CN").sms_max_segments
    replies = texts(running, customer["phone"], "你好")
    assert replies, "the customer's first text opens the conversation and is answered"
    assert all(r.startswith(SIGNATURE) for r in replies)
    assert replies[-1].endswith(LINE) and sum(LINE in r for r in replies) == 1
    assert all(encoding(r) == "ucs2" and segments(r) <= budget for r in replies)
    # The conversation's own words are the Mandarin catalog's (bot/conversation/messages/zh.yml):
    # the opening is Chinese and says nothing of the debt before verification.
    body = " ".join(r.removeprefix(SIGNATURE).removesuffix(LINE) for r in replies)
    assert CJK.search(body) and "Hello" not in body
    assert not any(w in body for w in ("欠款", "逾期", "18650", "932.50"))
