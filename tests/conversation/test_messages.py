"""The message catalog (bot/conversation/messages/) against the code: every key the code uses
exists, every placeholder is filled, no key is dead, no sentence is left inline, and every
language has the same keys and placeholders as English."""

import re
from string import Formatter

import pytest
import yaml

from bot.conversation import messages
from bot.conversation.awaiting import PRE_VERIFICATION
from bot.conversation.messages import CatalogError, catalog, fields, languages, template, text
from bot.settings import ROOT
from tests.conversation.catalog_scan import inline_sentences, loader_calls, python_files

DEBT_WORDS = re.compile(
    r"debt|balance|owe|overdue|collect|past due|\$|¥|欠|债|逾期|催收|余额|还款|还钱|账单", re.I
)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
# The languages the bot speaks: each has a catalog with every key of every other.
SPOKEN = ("en", "zh")
# Every module that may ask the catalog for a text.
CODE = python_files(ROOT / "bot", ROOT / "actions", ROOT / "telephony")
CATALOG_FILE = ROOT / "bot" / "conversation" / "messages" / "__init__.py"
CALLS = [c for p in CODE if p != CATALOG_FILE for c in loader_calls(p, ROOT)]
POLICY = yaml.safe_load((ROOT / "bot" / "policy.yml").read_text(encoding="utf-8"))
# The texts bot/policy.yml names by key, with the placeholders their reader fills.
POLICY_TEXTS = {
    "disclosure": {"bank", "product"},
    "later_disclosure": {"bank", "product"},
    "voicemail": {"agent_name", "bank", "first_name", "callback_number"},
    "sms_opt_out": set(),
}
POLICY_KEYS = [
    *((k, {"payment_url", "bank_phone"}) for k in POLICY["payment_options"]),
    (POLICY["fees"], set()),
    *(
        (j[role], names)
        for j in POLICY["jurisdictions"].values()
        for role, names in POLICY_TEXTS.items()
    ),
]
# Where a customer could be told something: no sentence may be written there in Python.
USER_FACING = python_files(
    *(ROOT / "bot" / d for d in ("conversation", "channels", "gateway", "web")), ROOT / "actions"
)
# Said before the customer is verified, or to anyone who answers: no word of the debt.
BEFORE_VERIFICATION = (
    "opening.",
    *(f"prompt.{a.value}" for a in PRE_VERIFICATION),
    *(f"reprompt.{a.value}" for a in PRE_VERIFICATION),
    "identity.",
    "question.who_calling",
    "question.bot_challenge",
    "question.not_verified",
    "verification.first",
    "verification.mismatch",
    "verification.unreadable",
    "verification.failed",
    "opt_out.",
    "human.",
    "callback.",
    "channel.",
    "conversation.",
    "common.",
    "failure.",
    "sms.",
    "chat.",
    "voice.still_there",
    "voice.no_response",
    "voice.cannot_connect",
    "voice.unavailable",
    "voice.unknown_caller",
    "voice.connecting",
    "voice.team_name",
    "voice.menu.yes_no",
    "voice.menu.human",
    "voice.menu.digits",
    "voicemail.",
)


def test_the_code_asks_the_catalog_for_texts():
    # Guards the scan itself: if it found no calls, every test below would pass vacuously.
    assert len(CALLS) > 80
    where = {c.where.split(":")[0] for c in CALLS}
    assert {"bot/channels/sms.py", "bot/channels/voice/menu.py", "actions/actions.py"} <= where


def test_every_key_is_a_literal_at_its_call():
    # So the checks below see every key; choose between two texts with `"a" if x else "b"`.
    assert [c.where for c in CALLS if not c.literal] == []


def test_every_key_used_exists():
    known = catalog("en")
    missing = [f"{c.where}: {k}" for c in CALLS for k in c.keys if k not in known]
    assert missing == []


def test_every_placeholder_is_filled_by_its_call():
    wrong = []
    for call in CALLS:
        if call.function != "text":
            continue
        assert not call.spreads_values, f"{call.where}: pass the values by name"
        for key in call.keys:
            if key in catalog("en") and fields(key) != call.keywords:
                wrong.append(f"{call.where}: {key} needs {sorted(fields(key))}")
    assert wrong == []


def test_every_catalog_key_is_used():
    used = {k for c in CALLS for k in c.keys} | {k for k, _ in POLICY_KEYS}
    assert sorted(set(catalog("en")) - used) == []


@pytest.mark.parametrize("lang", SPOKEN)
def test_every_key_the_policy_names_exists_with_placeholders_its_reader_fills(lang):
    # A disclosure may leave out {product}; it may not need a value its reader does not give.
    wrong = [
        key
        for key, given in POLICY_KEYS
        if key not in catalog(lang) or not fields(key, lang) <= given
    ]
    assert len(POLICY_KEYS) >= 10
    assert wrong == []


def test_no_user_facing_sentence_is_left_inline():
    found = [
        s for p in USER_FACING for s in inline_sentences(p.read_text(), str(p.relative_to(ROOT)))
    ]
    assert found == []


def test_the_inline_scan_finds_sentences():
    source = '''
"""A docstring. It is not said to anyone."""
import logging
log = logging.getLogger(__name__)
PLAIN = "Thank you for your time. Goodbye."
def f(name, run):
    """Docstring of f, a sentence."""
    log.info("this is a log line for operators.")
    run.escalate("refusal", "The customer refused to pay.")
    if not name:
        raise ValueError("a name is needed here.")
    print("console output for an operator.")
    return f"Hello {name}, how are you?" + "  " + name
GLUED = "You can pay " + PLAIN + "."
KEY = "prompt.offer"
def case_summary(kind):
    return "The customer called while the ledger was down."
'''
    found = [f.split(": ", 1)[1] for f in inline_sentences(source)]
    assert found == [
        "'Thank you for your time. Goodbye.'",
        "'Hello {}, how are you?  '",
        "'You can pay {}.'",
    ]


def catalog_problems(catalogs: dict[str, dict[str, str]]) -> list[str]:
    """Keys or placeholders in which a language differs from English."""
    english = catalogs["en"]
    problems = []
    for lang, texts in catalogs.items():
        for key in sorted(set(english) ^ set(texts)):
            problems.append(f"{lang}: {key} is in only one of en and {lang}")
        for key in sorted(set(english) & set(texts)):
            if _fields(english[key]) != _fields(texts[key]):
                problems.append(f"{lang}: {key} has other placeholders than en")
    return problems


def _fields(value: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(value) if name}


def test_every_language_has_the_keys_and_placeholders_of_english():
    assert set(SPOKEN) <= set(languages())
    assert catalog_problems({lang: catalog(lang) for lang in languages()}) == []


def test_a_key_missing_from_english_is_reported_too():
    en = {"a": "Hello {name}."}
    assert catalog_problems({"en": en, "zh": {"a": "您好{name}。", "b": "再见。"}}) == [
        "zh: b is in only one of en and zh"
    ]


def latin_only(texts: dict[str, str]) -> list[str]:
    """Keys whose text, placeholders aside, is written in Latin letters without one Chinese
    character: an English sentence left in a Chinese catalog."""
    found = []
    for key, value in texts.items():
        plain = "".join(literal for literal, *_ in Formatter().parse(value))
        if LATIN.search(plain) and not CJK.search(plain):
            found.append(key)
    return found


def test_every_mandarin_text_is_written_in_chinese():
    assert latin_only(catalog("zh")) == []


def test_the_latin_scan_finds_english_left_in_chinese():
    texts = {"a": "Thank you, {name}.", "b": "谢谢您，{name}。", "c": "、", "d": "回复TD退订"}
    assert latin_only(texts) == ["a"]


def test_mandarin_is_formal_and_the_disclosure_names_the_bank_and_the_recording():
    zh = catalog("zh")
    assert not [k for k, v in zh.items() if "你" in v]  # 您, never 你
    assert "{bank}" in zh["disclosure.CN"] and "录音" in zh["disclosure.CN"]
    assert "{product}" in zh["disclosure.CN"]
    assert "录音" in zh["opening.voice"] and "{bank}" in zh["opening.text"]


def test_the_portfolios_language_codes_name_a_catalog():
    assert catalog("zh-CN") == catalog("zh") and catalog("zh-Hans") == catalog("zh")
    assert text("prompt.identity", "zh", name="王芳") == "请问您是王芳本人吗？"


def test_a_language_that_differs_from_english_is_reported():
    en = {"a": "Hello {name}.", "b": "Bye."}
    assert catalog_problems({"en": en, "xx": {"a": "Hi."}}) == [
        "xx: b is in only one of en and xx",
        "xx: a has other placeholders than en",
    ]


@pytest.mark.parametrize("lang", languages())
def test_nothing_said_before_verification_mentions_the_debt(lang):
    texts = catalog(lang)
    before = [k for k in texts if k.startswith(BEFORE_VERIFICATION)]
    assert len(before) > 40
    assert [k for k in before if DEBT_WORDS.search(texts[k])] == []


def test_text_fills_placeholders():
    assert text("prompt.identity", name="Jane Doe") == "Am I speaking with Jane Doe?"
    assert template("prompt.identity") == "Am I speaking with {name}?"
    assert fields("promise.receipt") == {"amount", "due_date", "reference"}


def test_an_unknown_key_is_an_error():
    with pytest.raises(CatalogError, match="no message 'prompt.nothing'"):
        text("prompt.nothing")


def test_a_missing_or_unexpected_value_is_an_error():
    with pytest.raises(CatalogError, match=r"missing \['name'\]"):
        text("prompt.identity")
    with pytest.raises(CatalogError, match=r"unexpected \['nmae'\]"):
        text("prompt.identity", name="Jane", nmae="Jane")


def test_an_unknown_language_is_an_error():
    with pytest.raises(CatalogError, match="no message catalog for language 'xx'"):
        messages.catalog("xx")
