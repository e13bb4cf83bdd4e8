"""Issue #12: the one opt-out check, pure (text -> the channels it names), at its edges."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from bot.compliance import revocation as r
from bot.compliance.revocation import Revocation, answer, refuses_to_pay, revocation


@pytest.mark.parametrize(
    ("words", "named"),
    [
        ("please stop calling me", "calls"),
        ("don't call me anymore", "calls"),
        ("don't call me any more", "calls"),
        ("Do not ever phone me again", "calls"),
        ("no more calls", "calls"),
        ("stop all calls", "calls"),
        ("quit texting", "texts"),
        ("stop texting me, call me instead", "texts"),
        ("stop sending me messages", "texts"),
        ("don't text me again", "texts"),
        ("stop calling and texting me", "all"),
        ("don't call or text", "all"),
        ("stop contacting me", "all"),
        ("Please don't contact me", "all"),
        ("cease all communication", "all"),
        ("leave me alone", "unclear"),
        ("stop bothering me", "unclear"),
        ("remove my number", "unclear"),
        ("unsubscribe me", "unclear"),
    ],
)
def test_reasonable_wordings_name_their_channels(words, named):
    assert revocation(words) == Revocation(named)


@pytest.mark.parametrize("words", ["STOP", " Stop. ", "stop please", "UNSUBSCRIBE", "end", "QUIT"])
def test_a_carrier_keyword_closes_the_channel_it_came_on_without_a_question(words):
    found = revocation(words)
    assert found == Revocation("unclear", keyword=True) and not found.asks_which_others
    assert found.ledger_channels("voice") == ("voice",)


def test_stopall_is_every_channel():
    assert revocation("STOPALL") == Revocation("all", keyword=True)
    assert revocation("stop all").ledger_channels("sms") == ("all",)


@pytest.mark.parametrize(
    "words",
    [
        "stop by the branch?",
        "i can pay at the end of the month",
        "I'll call you tomorrow",
        "no, i will call you",
        "don't send me the link",
        "call me after 5",
        "I never contacted you",
        "how much do I owe",
    ],
)
def test_ordinary_words_are_no_opt_out(words):
    assert revocation(words) is None


def test_unclear_wording_asks_once_about_the_others():
    found = revocation("leave me alone")
    assert found.asks_which_others
    assert found.ledger_channels("sms") == ("sms",) and found.ledger_channels("chat") == ("chat",)
    assert r.OTHER_CHANNELS["sms"] == ("calls",) and r.OTHER_CHANNELS["chat"] == ("calls", "texts")


@pytest.mark.parametrize(
    ("words", "named"),
    [("CALLS", "calls"), ("yes", "all"), ("Both.", "all"), ("texts too", "texts"), ("no", None)],
)
def test_answers_to_the_question(words, named):
    assert answer(words) == named


@pytest.mark.parametrize(
    ("words", "refusal"),
    [
        ("I refuse to pay", True),
        ("I'm not paying", True),
        ("I'm not paying this", True),
        ("i am not going to pay", True),
        ("I won't pay", True),
        ("I won't pay until Friday", False),
        ("I won't pay this month", False),
        ("I can't pay", False),
        ("I'm not able to pay right now", False),
    ],
)
def test_refusal_to_pay(words, refusal):
    assert refuses_to_pay(words) is refusal


def test_a_language_adds_its_words_as_data(monkeypatch):
    made_up = replace(
        r.ENGLISH,
        keywords=frozenset({"halt"}),
        all_keywords=frozenset(),
        stop=re.compile(r"\bnix\s+(?:ringing|pinging)\b"),
        calls=re.compile(r"ringing"),
        texts=re.compile(r"pinging"),
    )
    monkeypatch.setitem(r.WORDINGS, "xx", made_up)
    assert revocation("halt") is None  # not for a customer of another language
    assert revocation("halt", ("xx",)) == Revocation("unclear", keyword=True)
    assert revocation("nix ringing", ("xx",)) == Revocation("calls")
    assert revocation("STOP", ("xx",)) == Revocation("unclear", keyword=True)  # English always


# -- Mandarin (issue #13): the words Chinese customers write, at their edges ---------------------
ZH = ("zh",)


@pytest.mark.parametrize(
    ("words", "named"),
    [
        ("不要再打电话了", "calls"),
        ("不要再打了", "calls"),
        ("别再打给我了！", "calls"),
        ("请不要再给我打电话", "calls"),
        ("我不想再接到你们的电话", "calls"),
        ("不用打电话了，我会还的", "calls"),
        ("别打电话了，发短信可以", "calls"),  # its own clause only
        ("不要再发短信", "texts"),
        ("别发了", "texts"),
        ("别再给我发信息了", "texts"),
        ("我要退订", "texts"),  # 退订 names texts, as STOP does
        ("别再联系我", "all"),
        ("不要再联系我了，谢谢", "all"),
        ("不要打电话，也别发短信", "all"),  # two requests, both honoured
        ("不要打电话也不要发短信", "all"),
        ("别烦我", "unclear"),
        ("别再打扰我了", "unclear"),  # 打扰 is "disturb", not 打 "call"
        ("不要再催了", "unclear"),
        ("把我的号码删了", "unclear"),
    ],
)
def test_chinese_wordings_name_their_channels(words, named):
    assert revocation(words, ZH) == Revocation(named)


@pytest.mark.parametrize(
    "words", ["退订", "退订。", "TD", "ＴＤ", "td", "T", "t", "T！", "取消", "停止"]
)
def test_chinese_keywords_close_the_channel_they_came_on_without_a_question(words):
    found = revocation(words, ZH)
    assert found == Revocation("unclear", keyword=True) and not found.asks_which_others
    assert found.ledger_channels("sms") == ("sms",)


def test_all_in_chinese_is_every_channel():
    assert revocation("全部退订", ZH) == Revocation("all", keyword=True)
    assert revocation("退订所有", ZH).ledger_channels("sms") == ("all",)


@pytest.mark.parametrize(
    "words",
    [
        "T恤",  # a T inside a word
        "ATM机在哪里",
        "TD银行",
        "取消分期",  # 取消 only as the whole message
        "我周五还款",
        "不要发票",  # 发票 is an invoice, not a text
        "别发链接给我",  # as "don't send me the link"
        "我不想打电话，可以在这里说吗",
        "我明天打电话给你们",
        "你们可以打我电话吗",
        "电话号码是多少",
    ],
)
def test_ordinary_chinese_is_no_opt_out(words):
    assert revocation(words, ZH) is None


def test_the_letters_t_and_td_are_chinese_shorthand_only_for_zh_customers():
    # Decision (issue #13): an English-speaking customer's "T" or "TD" is a typo or an answer,
    # never an opt-out; for them, Chinese shorthand is just letters.
    assert revocation("T") is None and revocation("TD") is None
    assert revocation("T", ZH) == revocation("TD", ZH) == Revocation("unclear", keyword=True)


def test_chinese_characters_are_read_for_every_customer():
    # Decision: a customer of any language writing 退订 or 别再打电话了 is opted out; words in
    # Chinese characters cannot mean anything else ("any reasonable means", FCC 24-24).
    assert revocation("退订") == Revocation("unclear", keyword=True)
    assert revocation("别再打电话了") == Revocation("calls")
    assert revocation("stop calling me, 也别发短信") is not None


@pytest.mark.parametrize(
    ("words", "named"),
    [("电话", "calls"), ("是的", "all"), ("都不要", "all"), ("全部", "all"), ("短信", "texts")],
)
def test_chinese_answers_to_the_question(words, named):
    assert answer(words, ZH) == named


def test_a_chinese_no_is_no_answer():
    assert answer("不用", ZH) is None and answer("不", ZH) is None


@pytest.mark.parametrize(
    ("words", "refusal"),
    [
        ("我不还", True),
        ("我就是不会还的", True),
        ("我拒绝还款", True),
        ("一分都不还", True),
        ("我不会还钱", True),
        ("现在不还", False),  # not now
        ("周五前不还", False),  # a date, as "I won't pay until Friday"
        ("还不还？", False),  # a question
        ("不是不想还，是没钱", False),  # hardship
        ("我不还完", False),  # not all of it
        ("我还不了", False),  # cannot pay
    ],
)
def test_a_refusal_to_pay_in_chinese(words, refusal):
    assert refuses_to_pay(words, ZH) is refusal


def test_stop_requests_in_two_clauses_are_both_honoured_in_english_too():
    assert revocation("stop calling me, and stop texting me") == Revocation("all")
    assert revocation("stop texting me, call me instead") == Revocation("texts")
