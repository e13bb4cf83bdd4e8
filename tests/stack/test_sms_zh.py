"""SMS in Mandarin through the whole stack (issue #13): signed Twilio webhooks from the simulator,
the real gateway, Rasa and action server. A zh customer's 退订 closes texts before Rasa and is
audited; the bot's Chinese replies carry the bank's signature 【浦发银行】 and the opt-out line
回复TD退订 within the UCS-2 segment budget of the CN profile."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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


def zh_customer(running, tmp_path, suffix: str, **fields) -> dict:
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
        **fields,
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


def test_a_whole_conversation_by_text_identity_verification_disclosure_and_a_promise(
    running, tmp_path
):
    """From the customer's first text to the receipt, in Chinese: 是我, a date of birth written
    the Chinese way, the disclosure, 下周五还两千 read back and confirmed with 对."""
    customer = zh_customer(running, tmp_path, "00138105", dob="1985-03-03")
    phone, budget = customer["phone"], profile_for("CN").sms_max_segments
    replies: list[str] = []

    def turn(body: str) -> str:
        said = texts(running, phone, body)
        assert said, f"no reply to {body!r}"
        replies.extend(said)
        return " ".join(r.removeprefix(SIGNATURE).removesuffix(LINE) for r in said)

    assert "本人" in turn("你好")  # identity first, nothing of the debt
    asked = turn("是我")
    assert "后4位" in asked or "出生日期" in asked, asked
    disclosed = turn("我的生日是1985年3月3日")
    # Verified: the disclosure, then the amounts, in the Chinese catalog's words.
    assert "18,650.00元" in disclosed and "932.50元" in disclosed, disclosed
    assert "浦发银行" in disclosed
    read_back = turn("下周五还两千")
    # Next week's Friday, in the customer's zone (weeks run Monday to Sunday).
    today = datetime.now(ZoneInfo(customer["timezone"])).date()
    friday = today + timedelta(days=7 - today.weekday() + 4)
    said_date = f"{friday.month}月{friday.day}日"
    assert "2,000.00元" in read_back and said_date in read_back, read_back
    receipt = turn("对")
    assert "回执" in receipt and friday.isoformat() in receipt, receipt
    record = running.api.get(f"/api/accounts/{customer['account_id']}").json()
    [promise] = record["promises"]
    assert (promise["amount"], promise["currency"], promise["channel"]) == ("2000.00", "CNY", "sms")
    assert promise["due_date"] == friday.isoformat()
    [contact] = [c for c in record["contacts"] if c["channel"] == "sms"]
    assert contact["verified"]
    # Every reply: signed, within the CN profile's UCS-2 budget, and Chinese: no English word
    # but the customer's name as the portfolio spells it (or its first word).
    assert all(r.startswith(SIGNATURE) for r in replies)
    assert all(encoding(r) == "ucs2" and segments(r) <= budget for r in replies)
    assert all(CJK.search(r.removeprefix(SIGNATURE)) for r in replies)
    name = re.compile("|".join(map(re.escape, customer["customer_name"].split())))
    # The receipt's reference (编号50EDEBAB) is hexadecimal, not English.
    words = [re.sub(r"编号[0-9A-F]+", "", name.sub("", r)) for r in replies]
    assert not [r for r in words if re.search(r"[A-Za-z]{4,}", r)]
