"""A whole Mandarin call through the Twilio simulator (issues #13, #15): the customer speaks
Mandarin (espeak-ng's `cmn-latn-pinyin` voice reading tone-numbered pinyin, as the bot's own
Chinese is said: telephony/speakable_zh.py) as 8 kHz mu-law, heard by the multilingual Whisper
base model the install ships (the zh account's recogniser: VoiceService.recognition_model), real
Rasa and actions, the ledger read back.

What the recogniser manages and what it does not (measured on this audio; the report of
bot/channels/voice/models.py's WHISPER_PROMPTING): short yes/no answers, prompted with the
grammar's phrases (是的 and 是我 are written 对, 没有 as 没有), are right; free speech is not
(我下周五还两千 comes back as 我下课务翻两天, a date of birth as noise), so the verification
digits and the choice of the minimum today are keyed where the bot's menu offers keys."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.ledger.db import session_scope
from bot.ledger.models import ContactAttempt
from bot.ledger.repo import conversations
from bot.settings import ROOT
from telephony.speakable_zh import speakable_zh
from telephony.twilio_sim.scenario import Dtmf, Say, WaitForBot
from tests.stack.conftest import add_account, cli_env, daytime_zone
from tests.stack.test_sms_zh import CJK
from tests.stack.test_voice import turns_since, voice_turns
from tests.stack.test_voice_spoken_en import call

PINYIN = "cmn-latn-pinyin"


def wait() -> WaitForBot:
    # The first Mandarin call loads the base model (and joins its two halves once).
    return WaitForBot(timeout_s=180)


def say(chinese: str) -> Say:
    """The caller says `chinese` the way the bot says Chinese: its pinyin, in Mandarin."""
    return Say(speakable_zh(chinese), voice=PINYIN)


@pytest.fixture
def mandarin(whisper_voice):
    return whisper_voice


def zh_account(running, tmp_path) -> dict:
    # A zone where it is daytime, on add_account's zone-less +1555 number: a +86 number is also
    # checked in Shanghai's hours, which exclude half the day the tests may run in.
    return add_account(
        running,
        tmp_path,
        customer_name="王芳",
        timezone=daytime_zone(),
        language="zh",
        currency="CNY",
        jurisdiction="CN",
        balance="18650.00",
        minimum_due="932.50",
        verification_last4="6021",
    )


def transcript(running, sid) -> list[tuple[str, str]]:
    with session_scope(running.sql_url) as session:
        attempt = session.query(ContactAttempt).filter_by(provider_sid=sid).one()
        return [
            (t.speaker, t.text) for t in conversations.transcript(session, attempt.conversation_id)
        ]


def local_today(account) -> date:
    return datetime.now(ZoneInfo(account["timezone"])).date()


def test_the_mandarin_model_is_loaded_before_the_gateway_serves(mandarin):
    """VOICE_PRELOAD_LANGUAGES=zh (the default): no Mandarin call has been placed on this stack
    yet (the spoken English calls share it), and its model is loaded all the same, so the first
    Mandarin caller does not wait for it."""
    health = mandarin.api.get("/health").json()
    assert health["voice_languages"] == ["en", "zh"]


def test_a_whole_mandarin_call_identity_by_voice_keypad_verification_and_a_promise(
    mandarin, tmp_path
):
    """Spoken: the identity (是的), the read-back (对) and anything else (没有), heard by Whisper
    in the yes/no grammar. Keyed: the last 4 digits (the recogniser cannot read Mandarin digits
    from espeak-ng) and 1 for the minimum today (it cannot read a spoken amount and date)."""
    account = zh_account(mandarin, tmp_path)
    before = len(voice_turns(mandarin))
    steps = [
        wait(),
        say("是的"),  # 请问是王芳本人吗？ identity, by voice
        wait(),
        Dtmf("6021"),  # verification on the keypad (the bot offers it: 您也可以在按键上输入)
        wait(),
        Dtmf("1"),  # 今天还最低还款额请按1
        wait(),
        say("对"),  # the read-back
        wait(),
        say("没有"),  # anything else?
        wait(),
    ]
    sid, _ = call(mandarin, account, steps, timeout=600)
    said = transcript(mandarin, sid)
    shown = "\n".join(f"{who}: {text}" for who, text in said)
    record = mandarin.api.get(f"/api/accounts/{account['account_id']}").json()
    [promise] = record["promises"]
    assert (promise["amount"], promise["currency"], promise["channel"]) == (
        "932.50",
        "CNY",
        "voice",
    ), shown
    assert promise["due_date"] == local_today(account).isoformat(), shown
    [contact] = [c for c in record["contacts"] if c["channel"] == "voice"]
    assert contact["disposition"] == "promise_to_pay" and contact["verified"], shown
    # The spoken answers reached the conversation as the Mandarin yes and no (the grammar's
    # words, not English and not what a wrong model would write), the keyed 1 as 是的; the
    # verification answer is not kept.
    customer = [text for who, text in said if who != "bot"]
    assert customer == ["是的", "[verification answer redacted]", "是的", "是的", "不是"], shown
    # Everything the bot said was Chinese.
    assert all(CJK.search(text) for who, text in said if who == "bot"), shown
    turns = turns_since(mandarin, before, 5)
    assert [t["kind"] for t in turns] == ["grammar", "keypad", "keypad", "grammar", "grammar"]


def test_the_mandarin_sandbox_demo_caller(mandarin, tmp_path):
    """`reminderbot call ACCOUNT --sandbox --digits NNNN` on a zh account (the README's CN-4001
    is outside its calling window half the day: an account of our own): the scripted customer
    speaks Mandarin (bot/cli/sandbox.py SPOKEN_ZH), keys the digits and the offer's 1."""
    account = zh_account(mandarin, tmp_path)
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "reminderbot"), "call", account["account_id"]]
        + ["--sandbox", "--digits", "6021"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(mandarin),
        timeout=600,
        check=False,
    )
    out = result.stdout
    print(out)  # the README's Mandarin transcript is this output
    assert result.returncode == 0, out + result.stderr
    assert "speech recognition: whisper (zh)" in out, out
    assert "caller 是的" in out and "caller 不是" in out, out
    assert "call completed" in out and "本次通话将被录音" in out, out
    [promise] = mandarin.api.get(f"/api/accounts/{account['account_id']}").json()["promises"]
    assert (promise["amount"], promise["channel"]) == ("932.50", "voice"), out
