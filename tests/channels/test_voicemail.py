"""The limited-content message (Reg F §1006.2(j)) in each profile's wording: a natural person,
a request to call back, the number, nothing about a debt; no creditor's name where a state
overlay forbids naming it to others (940 CMR 7.05, Massachusetts)."""

import pytest

from bot.channels.voice.service import VoiceService
from bot.settings import Settings
from tests import factories

DEBT_WORDS = ("debt", "balance", "owe", "overdue", "collect", "payment")


def message(phone: str, jurisdiction: str = "US", **settings) -> str:
    service = VoiceService(Settings(**settings), None, None, None)
    account = factories.account("V1", phone=phone, jurisdiction=jurisdiction)
    return service.limited_content(account)


@pytest.mark.parametrize("phone", ["+12125550102", "+14155550101"])
def test_the_message_names_a_person_the_bank_and_the_number(phone):
    said = message(phone, voicemail_agent_name="Dana Whitfield")
    settings = Settings()
    assert "Dana Whitfield" in said and settings.bank_name in said
    assert settings.bank_phone in said and "call" in said.lower()
    assert not any(word in said.lower() for word in DEBT_WORDS)


def test_a_massachusetts_number_hears_no_creditors_name():
    said = message("+16175550106", voicemail_agent_name="Dana Whitfield")
    assert "Dana Whitfield" in said and Settings().bank_phone in said
    assert Settings().bank_name not in said
    assert not any(word in said.lower() for word in DEBT_WORDS)


def test_without_a_configured_person_the_message_names_the_team():
    said = message("+12125550102", voicemail_agent_name="")
    assert "team" in said and "Alex" not in said


def test_a_mandarin_customer_hears_the_message_in_mandarin():
    service = VoiceService(Settings(voicemail_agent_name="王丽"), None, None, None)
    account = factories.account(
        "V2", phone="+8613800138000", jurisdiction="CN", language="zh", customer_name="李伟"
    )
    said = service.limited_content(account)
    assert "王丽" in said and "李伟" in said and Settings().bank_name_zh in said
    assert "回电" in said and not any("a" <= ch.lower() <= "z" for ch in said)
    assert not any(word in said for word in ("欠款", "逾期", "催收", "还款"))
