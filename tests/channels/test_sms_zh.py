"""Issue #13, SMS in Mandarin: segments counted as the carriers count them (GSM-7 160/153 with the
extension characters counting 2, UCS-2 70/67), the bank's signature 【浦发银行】 at the start of
every text to a CN account, the opt-out line 回复TD退订 for zh customers, and the Chinese opt-out
words honoured before anything else (issue #12), for zh customers and for CN numbers."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

import pytest

from bot.channels.sms import reminder_texts
from bot.channels.sms_text import (
    compose,
    encoding,
    fits,
    join,
    segments,
    split_for_sms,
    units,
)
from bot.compliance.gate import check_contact
from bot.conversation.messages import text
from bot.ledger import models as m
from bot.ledger.db import session_scope
from tests import factories
from tests.channels.conftest import (
    ended,
    escalation_reasons,
    open_conversation,
    opt_out_channels,
    paused,
)

SIGNATURE, ZH_LINE, EN_LINE = "【浦发银行】", "回复TD退订", "Reply STOP to opt out."
ZH_PHONE, CN_EN_PHONE = "+8613800138001", "+8613900139002"
# 10:00 in Shanghai, 21:00 in New York: inside the CN window.
SHANGHAI_MORNING = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)
# Chinese sentences as a bank's staff write them (the catalog's own are the other work's; these
# stand in for a long reply).
LONG_ZH = (
    "您好，这里是浦发银行信用卡中心。您的信用卡账单已逾期二十天，最低还款额为人民币932.50元。"
    "请您在方便时尽快还款，如有疑问可随时回复本短信或致电客服热线95528，谢谢您的配合。"
)


@pytest.fixture
def cn_accounts(ledger):
    with session_scope() as s:
        s.add(
            factories.account(
                "Z1",
                phone=ZH_PHONE,
                customer_name="Wang Fang",
                timezone="Asia/Shanghai",
                language="zh",
                currency="CNY",
                jurisdiction="CN",
            )
        )
        # A CN number whose account is in English: the Chinese words are honoured all the same.
        s.add(
            factories.account(
                "E1",
                phone=CN_EN_PHONE,
                customer_name="Li Wei",
                timezone="Asia/Shanghai",
                language="en",
                currency="CNY",
                jurisdiction="CN",
            )
        )
        # A portfolio's "zh-CN" is Mandarin too.
        s.add(
            factories.account(
                "Z2",
                phone="+8613700137003",
                timezone="Asia/Shanghai",
                language="zh-CN",
                jurisdiction="CN",
            )
        )


def texted(sms, body: str, sender: str) -> list[str]:
    return asyncio.run(sms._reply(sender, body))


def gate(account_id: str, channel: str) -> str:
    with session_scope() as s:
        return check_contact(s, account_id, channel, now=SHANGHAI_MORNING).reason


def audited(account_id: str) -> list[dict]:
    with session_scope() as s:
        rows = s.query(m.AuditEntry).filter_by(account_id=account_id, kind="opt_out").all()
        return [json.loads(r.data) for r in rows]


# -- segments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "count"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),  # 2 x 153
        ("a" * 307, 3),
        ("€" * 80, 1),  # an extension character is an escape and a character: 2 septets
        ("€" * 81, 2),
        ("a" * 159 + "{", 2),
        ("中" * 70, 1),
        ("中" * 71, 2),
        ("中" * 134, 2),  # 2 x 67
        ("中" * 135, 3),
        ("a" * 69 + "中", 1),  # one Chinese character makes the whole text UCS-2
        ("a" * 70 + "中", 2),
        ("😀" * 35, 1),  # beyond the BMP: two UTF-16 units each
        ("😀" * 36, 2),
    ],
)
def test_segments_are_counted_as_the_carriers_count_them(body, count):
    assert segments(body) == count


def test_the_encoding_and_its_units():
    assert encoding("Your balance is ¥1,240.50.") == "gsm7"  # ¥ is in GSM-7's own alphabet
    assert encoding("余额¥1,240.50") == "ucs2"
    assert units("[a]") == 5 and units("中[a]") == 4
    # A two-unit character never straddles two parts: 66 units and an emoji make a third part
    # only when the emoji cannot fit whole.
    assert segments("中" * 66 + "😀" + "中" * 66) == 3
    assert segments("中" * 65 + "😀" + "中" * 67) == 2


# -- composing a Chinese reply ---------------------------------------------------------------------


@pytest.mark.parametrize("max_segments", [1, 2, 3])
def test_a_chinese_reply_is_signed_and_ends_with_the_line_within_the_budget(max_segments):
    texts = compose([LONG_ZH], opt_out_line=ZH_LINE, signature=SIGNATURE, max_segments=max_segments)
    assert all(t.startswith(SIGNATURE) for t in texts)
    assert texts[-1].endswith(ZH_LINE) and all(fits(t, max_segments) for t in texts)
    # Nothing lost, nothing added but the signatures and the line; no spaces inside Chinese.
    body = "".join(t.removeprefix(SIGNATURE) for t in texts).removesuffix(ZH_LINE)
    assert body == LONG_ZH and " " not in "".join(texts)


def test_single_segment_texts_are_cut_after_a_chinese_full_stop():
    texts = compose([LONG_ZH], opt_out_line=ZH_LINE, signature=SIGNATURE)
    assert len(texts) == 2 and all(units(t) <= 70 for t in texts)
    assert texts[0].endswith("元。")


def test_three_segments_hold_the_whole_reply_as_one_concatenated_text():
    [text] = compose([LONG_ZH], opt_out_line=ZH_LINE, signature=SIGNATURE, max_segments=3)
    assert units(text) > 70 and segments(text) == 2  # 67 a part, not 70


@pytest.mark.parametrize("room", [0, 1, 2, 5, 6, 7])
def test_the_line_is_kept_whole_at_the_edge_of_a_segment(room):
    # A body that leaves `room` units in a single UCS-2 segment after the signature.
    body = "您" * (70 - len(SIGNATURE) - room)
    texts = compose([body], opt_out_line=ZH_LINE, signature=SIGNATURE)
    assert texts[-1].endswith(ZH_LINE) and all(units(t) <= 70 for t in texts)
    assert len(texts) == (1 if room >= len(ZH_LINE) else 2)
    assert texts[-1] == SIGNATURE + ZH_LINE or texts[-1] == SIGNATURE + body + ZH_LINE


def test_an_english_text_with_the_signature_is_ucs2_and_keeps_its_budget():
    texts = compose(["word " * 40], opt_out_line=EN_LINE, signature=SIGNATURE)
    assert all(encoding(t) == "ucs2" and units(t) <= 70 for t in texts)
    assert texts[-1].endswith(" " + EN_LINE)


def test_chinese_and_english_join_without_and_with_a_space():
    assert join("您好。", "回复TD退订") == "您好。回复TD退订"
    assert join("Hello.", "Reply STOP") == "Hello. Reply STOP"
    assert join("", "x") == "x"
    # A long Chinese message with no punctuation at all is cut anywhere, nothing lost.
    parts = split_for_sms(["还" * 150])
    assert [len(p) for p in parts] == [70, 70, 10]


# -- the Chinese opt-out words by text ----------------------------------------------------------


def test_a_zh_customers_t_alone_stops_texts_and_is_answered_in_chinese(sms, cn_accounts, rasa):
    conversation = open_conversation("Z1", "sms")
    [reply] = texted(sms, "T", ZH_PHONE)
    assert reply.startswith(SIGNATURE) and "退订" in reply and "浦发银行短信" in reply
    assert opt_out_channels("Z1") == ["sms"] and gate("Z1", "sms") == "opted_out"
    assert gate("Z1", "voice") != "opted_out"  # T names texts, as STOP does
    assert ended(conversation) == "opted_out" and rasa.sent == []
    assert audited("Z1")[-1]["channels"] == ["sms"]


def test_a_t_inside_a_word_is_no_opt_out(sms, cn_accounts, rasa):
    open_conversation("Z1", "sms")
    texted(sms, "T恤的钱我下周还", ZH_PHONE)
    assert opt_out_channels("Z1") == [] and rasa.sent == ["T恤的钱我下周还"]


@pytest.mark.parametrize("body", ["TD", "ＴＤ", "td。", "退订", "退订！", "取消", "T"])
def test_every_chinese_keyword_for_a_zh_customer(sms, cn_accounts, body):
    texted(sms, body, ZH_PHONE)
    assert opt_out_channels("Z1") == ["sms"]


def test_a_cn_number_reads_the_chinese_words_whatever_the_accounts_language(sms, cn_accounts):
    [reply] = texted(sms, "TD", CN_EN_PHONE)
    assert opt_out_channels("E1") == ["sms"]
    # A keyword says nothing of the language: the account's (English), signed for CN.
    assert reply.startswith(SIGNATURE) and "unsubscribed" in reply


def test_an_english_us_customers_t_is_a_message_but_their_chinese_words_are_honoured(sms, rasa):
    # Decision: the letters T / TD are only Chinese shorthand for zh customers and CN numbers (a
    # US customer's "T" is a typo or an answer); words in Chinese characters cannot mean
    # anything else, so any customer writing 退订 is opted out ("any reasonable means").
    open_conversation("A1", "sms")
    texted(sms, "T", "+12125550101")
    assert opt_out_channels("A1") == [] and rasa.sent == ["T"]
    [reply] = texted(sms, "退订", "+12125550101")
    assert opt_out_channels("A1") == ["sms"]
    assert "退订" in reply and not reply.startswith(SIGNATURE)  # US texts carry no signature


@pytest.mark.parametrize(
    ("body", "closed"),
    [
        ("不要再打电话了", ["voice"]),
        ("别再打给我了！", ["voice"]),
        ("不要再发短信", ["sms"]),
        ("我要退订", ["sms"]),
        ("别再联系我", ["all"]),
        ("不要打电话，也别发短信", ["all"]),
        ("别打电话了，发短信可以", ["voice"]),
        ("全部退订", ["all"]),
    ],
)
def test_each_chinese_wording_closes_what_it_names(sms, cn_accounts, body, closed):
    texted(sms, body, ZH_PHONE)
    assert opt_out_channels("Z1") == closed


def test_stop_calling_in_chinese_by_text_refuses_the_next_call(sms, cn_accounts):
    [reply] = texted(sms, "不要再打电话了", ZH_PHONE)
    assert "不再给您打电话" in reply and reply.startswith(SIGNATURE)
    assert gate("Z1", "voice") == "opted_out" and gate("Z1", "sms") != "opted_out"


def test_a_written_chinese_cease_request_pauses_and_escalates(sms, cn_accounts):
    texted(sms, "别再联系我了", ZH_PHONE)
    assert paused("Z1") == "cease_request" and escalation_reasons("Z1") == ["cease_request"]


def test_unclear_chinese_closes_texts_and_asks_once_about_calls(sms, cn_accounts, rasa):
    [reply] = texted(sms, "别烦我", ZH_PHONE)
    assert "电话" in reply and opt_out_channels("Z1") == ["sms"]
    assert gate("Z1", "voice") != "opted_out"
    [answer] = texted(sms, "电话", ZH_PHONE)
    assert "不会再给您打电话" in answer and answer.startswith(SIGNATURE)
    assert opt_out_channels("Z1") == ["sms", "voice"]
    texted(sms, "电话", ZH_PHONE)  # asked once: no answer to anything now
    assert rasa.sent[-1] == "电话"


def test_an_unknown_cn_number_is_answered_in_chinese_and_signed(sms, cn_accounts):
    [reply] = texted(sms, "你好", "+8618600000000")
    assert reply.startswith(SIGNATURE) and "无法匹配" in reply


# -- a conversation's replies in Mandarin ------------------------------------------------------


def test_a_zh_customers_reply_is_signed_and_carries_the_chinese_line(sms, cn_accounts, rasa):
    rasa.texts = [LONG_ZH]
    open_conversation("Z1", "sms")
    replies = texted(sms, "你好", ZH_PHONE)
    assert replies[0].startswith(SIGNATURE) and replies[-1].endswith(ZH_LINE)
    assert all(fits(r, 3) for r in replies) and EN_LINE not in " ".join(replies)


def test_after_verification_the_later_disclosure_is_in_chinese_after_the_signature(
    sms, cn_accounts, rasa
):
    rasa.texts = ["您目前的最低还款额为人民币100.00元。"]
    open_conversation("Z2", "sms", verified=True)
    replies = texted(sms, "我欠多少钱", "+8613700137003")
    assert replies[0].startswith(SIGNATURE + "我是浦发银行智能客服")
    assert replies[-1].endswith(ZH_LINE)


def test_the_failure_reply_to_a_zh_customer_is_signed_with_the_line(sms, cn_accounts, rasa):
    rasa.down = True
    open_conversation("Z1", "sms")
    replies = texted(sms, "你好", ZH_PHONE)
    assert replies[0].startswith(SIGNATURE) and replies[-1].endswith(ZH_LINE)


def test_an_outreach_reminder_is_in_the_accounts_language_and_signed(cn_accounts):
    [zh] = reminder_texts("Z1", ["您好，我是浦发银行智能客服。请问是王芳女士吗？"])
    assert zh.startswith(SIGNATURE) and zh.endswith(ZH_LINE)
    [en] = reminder_texts("E1", ["Hello, this is SPD Bank. Am I chatting with Li Wei?"])
    assert en.startswith(SIGNATURE) and en.endswith(EN_LINE) and units(en) <= 3 * 67
    [us] = reminder_texts("A1", ["Hello, this is SPD Bank."])
    assert us == "Hello, this is SPD Bank. " + EN_LINE


def test_a_chinese_opt_out_in_chat_is_answered_in_chinese(turns, cn_accounts, rasa):
    conversation = open_conversation("Z1", "chat")
    reply = asyncio.run(turns.send(conversation, "别再联系我"))
    assert reply.ended and reply.messages == [text("opt_out.all", "zh")]
    assert opt_out_channels("Z1") == ["all"] and rasa.sent == []
