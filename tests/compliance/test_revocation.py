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
