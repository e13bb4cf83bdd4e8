"""The conversation state machine in Mandarin, path by path as tests/conversation/test_engine.py
does in English (pure: no Rasa, no database), and the customer switching language mid-way."""

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from bot.conversation import engine
from bot.conversation import wording as say
from bot.conversation.awaiting import PRE_VERIFICATION
from bot.conversation.facts import AccountFacts
from bot.conversation.language import language_of, normalise
from bot.conversation.policy import load_policy
from bot.conversation.verification import secret_hash
from bot.conversation.wording import Bank
from bot.ledger.db import session_scope
from bot.ledger.repo import dialogue
from bot.settings import ROOT
from tests.conversation.test_engine import Chat as EnglishChat
from tests.conversation.test_service_security import Talk, ledger  # noqa: F401 (a fixture)

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc)  # Friday, 10:00 in Shanghai
DEBT_WORDS = re.compile(r"欠|债|逾期|催收|余额|还款|还钱|账单|¥|元|debt|balance|owe", re.I)
THREATS = re.compile(r"起诉|法院|律师|警察|公安|拘留|坐牢|上门|家人|单位|后果|legal|police", re.I)
CJK = re.compile(r"[\u4e00-\u9fff]")
BANK = Bank("SPD Bank", "+86 95528", "https://pay.test", names={"zh": "浦发银行"})


def facts(**overrides) -> AccountFacts:
    values = dict(
        account_id="CN-1",
        customer_name="王芳",
        phone="+8613800138001",
        timezone="Asia/Shanghai",
        product="credit_card",
        currency="CNY",
        balance=Decimal("1240.50"),
        minimum_due=Decimal("85.00"),
        due_date=date(2026, 11, 10),
        days_past_due=18,
        jurisdiction="CN",
        dob_hash=secret_hash("CN-1", "1985-03-03"),
        last4_hash=secret_hash("CN-1", "4821"),
        language="zh",
    )
    values.update(overrides)
    return AccountFacts(**values)


def yuan(amount: str) -> str:
    return say.money(facts(), amount, "zh")


def day(value: str) -> str:
    return say.day(value, "zh")


class Chat(EnglishChat):
    IT_IS_ME = "是我"

    def __init__(self, account: AccountFacts | None = None, channel: str = "chat"):
        super().__init__(account or facts(), channel, now=NOW, bank=BANK)

    def all_chinese(self) -> bool:
        """Every message the bot sent is in Chinese (no English sentence slipped through)."""
        return all(CJK.search(m) for m in self.transcript)


def test_opening_names_the_bank_and_the_customer_in_mandarin_never_the_debt():
    chat = Chat()
    opening = chat.transcript[0]
    assert "浦发银行" in opening and "王芳" in opening and "您" in opening
    assert "录音" in Chat(channel="voice").transcript[0] and "记录" in opening
    assert not DEBT_WORDS.search(opening)
    assert chat.state["lang"] == "zh"


def test_pre_verification_prompts_in_mandarin_say_nothing_of_the_debt():
    policy = load_policy(ROOT / "bot" / "policy.yml")
    for awaiting in PRE_VERIFICATION:
        for ask in (say.prompt, say.reprompt):
            worded = ask(awaiting, {}, facts(), policy, "zh")
            assert CJK.search(worded) and not DEBT_WORDS.search(worded), worded


def test_wrong_number_is_flagged_and_ends_politely():
    chat = Chat()
    reply = chat.say("action_wrong_number", "你打错了")
    assert chat.kinds() == ["wrong_number", "ended"]
    assert chat.effect("ended")["disposition"] == "wrong_number"
    assert "打扰" in reply and not DEBT_WORDS.search(reply)


@pytest.mark.parametrize(
    ("action", "said"), [("action_not_available", "她不在，我是她老公"), ("action_decline", "不是")]
)
def test_third_party_hears_nothing_and_a_callback_is_recorded(action, said):
    chat = Chat()
    assert "王芳本人" in chat.say(action, said)
    chat.say("action_answer_question", "你们找她什么事？", intent="ask_why_calling")
    chat.say("action_inform", "明天晚上6点")
    assert not any(DEBT_WORDS.search(t) for t in chat.transcript)
    assert chat.effect("callback")["callback_at"].startswith("2026-11-28T18:00")
    assert chat.state["ended"] and chat.all_chinese()


def test_debt_topics_before_verification_lead_back_to_identity():
    chat = Chat()
    assert "确认您是哪一位" in chat.say("action_take_promise", "我周五还一百")
    chat.say("action_confirm", "是的")
    assert "核实您的身份" in chat.say("action_dispute", "我不欠你们钱")
    assert "dispute" not in chat.kinds()
    assert not any(DEBT_WORDS.search(t) for t in chat.transcript)


def test_a_question_before_verification_is_not_answered_about_the_account():
    chat = Chat()
    reply = chat.say("action_answer_question", "我欠多少钱", intent="ask_amount")
    assert "王芳本人" in reply and not DEBT_WORDS.search(reply.replace("王芳本人", ""))


def test_three_failed_verifications_escalate_without_disclosure():
    chat = Chat()
    chat.say("action_confirm", "对，是我")
    assert "还有2次机会" in chat.say("action_verify", "1111")
    assert chat.state.get("_redact")
    chat.say("action_verify", "1985年3月4日")
    reply = chat.say("action_verify", "2222")
    assert chat.escalations() == ["verification_failed"] and "95528" in reply
    assert chat.state["ended"] and chat.effect("ended")["disposition"] == "verification_failed"
    assert not any(DEBT_WORDS.search(t) for t in chat.transcript)


def test_dob_verifies_and_the_cn_disclosure_follows_in_mandarin():
    chat = Chat()
    chat.say("action_confirm", "是我本人")
    reply = chat.say("action_inform", "我的生日是1985年3月3日")
    assert chat.state["phase"] == "verified"
    # The bank's identity and the purpose, the recording notice; no threats.
    assert "浦发银行" in reply and "信用卡" in reply and "录音" in reply
    assert yuan("1240.50") in reply and yuan("85.00") in reply and "逾期18天" in reply
    assert day("2026-11-10") in reply
    assert not THREATS.search(reply) and chat.all_chinese()


def test_the_last_four_said_as_chinese_digits_verify():
    chat = Chat()
    chat.say("action_confirm", "嗯，是我")
    chat.say("action_verify", "四八二幺")
    assert chat.state["phase"] == "verified"


def test_promise_in_one_sentence_is_read_back_and_recorded():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "我12月4号还两百")
    assert yuan("200") in reply and day("2026-12-04") in reply and "对吗" in reply
    reply = chat.say("action_confirm", "对")
    promise = chat.effect("promise")
    assert (promise["amount"], promise["currency"], promise["due_date"]) == (
        "200.00",
        "CNY",
        "2026-12-04",
    )
    assert "回执" in reply and promise["id"][:8].upper() in reply
    chat.say("action_decline", "没有了")
    assert chat.effect("ended")["disposition"] == "promise_to_pay"
    assert f"还款{yuan('200')}的承诺" in chat.transcript[-1] and "再见" in chat.transcript[-1]
    assert chat.all_chinese()


def test_promise_asked_piece_by_piece_and_changed_before_confirming():
    chat = Chat().verified()
    assert "能还多少，哪天还" in chat.say("action_decline", "今天不行")
    assert "哪天能还" in chat.say("action_inform", "一半")
    chat.say("action_inform", "5号")
    reply = chat.say("action_inform", "还是改成三百吧")
    assert yuan("300") in reply and day("2026-12-05") in reply
    chat.say("action_confirm", "是的")
    assert chat.effect("promise")["amount"] == "300.00"


def test_yes_to_the_minimum_today():
    chat = Chat().verified()
    chat.say("action_confirm", "可以")
    chat.say("action_confirm", "对")
    assert chat.effect("promise")["amount"] == "85.00"
    assert chat.effect("promise")["due_date"] == "2026-11-27"


def test_a_date_beyond_policy_gets_a_counter_offer():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "我12月30号还五百")
    assert "14天之内" in reply and day("2026-12-11") in reply
    chat.say("action_confirm", "好")
    chat.say("action_confirm", "是")
    assert chat.effect("promise")["due_date"] == "2026-12-11"


def test_a_partial_payment_is_accepted_with_a_follow_up():
    chat = Chat().verified()
    assert "部分还款" in chat.say("action_take_promise", "明天只能还40块")
    chat.say("action_confirm", "好的")
    promise = chat.effect("promise")
    assert promise["amount"] == "40.00" and promise["follow_up_on"] == "2026-12-05"


def test_question_in_the_middle_is_answered_then_the_form_resumes():
    chat = Chat().verified()
    chat.say("action_take_promise", "我还一百")
    reply = chat.say("action_answer_question", "怎么还款", intent="ask_how_to_pay")
    assert "https://pay.test" in reply and "手机银行" in reply
    assert reply.endswith(f"请问您哪天能还{yuan('100')}？")
    reply = chat.say("action_answer_question", "你是机器人吗", intent="bot_challenge")
    assert "智能客服" in reply and "哪天" in reply
    reply = chat.say("action_answer_question", "有手续费吗", intent="ask_fees")
    assert "手续费" in reply and "0.6%" in reply


def test_instalment_plan_within_policy_is_approved():
    chat = Chat().verified()
    reply = chat.say("action_instalments", "能不能分6期", months="6")
    # 1240.50 x 0.6% x 6 = 44.66 fee; (1240.50 + 44.66) / 6 = 214.193.. -> 214.20
    assert "6期分期方案" in reply and yuan("214.20") in reply and yuan("44.66") in reply
    assert day("2026-12-27") in reply
    chat.say("action_confirm", "好的，提交吧")
    plan = chat.effect("instalment")
    assert (plan["months"], plan["monthly_amount"], plan["status"]) == (6, "214.20", "approved")
    assert chat.escalations() == [] and chat.all_chinese()


def test_instalment_plan_outside_policy_needs_approval():
    chat = Chat().verified()
    chat.say("action_instalments", "我想办分期")
    assert "3或6或12期" in chat.transcript[-1]
    chat.say("action_inform", "十二期")
    chat.say("action_confirm", "可以")
    assert chat.effect("instalment")["status"] == "pending_approval"
    assert chat.escalations() == ["instalment_approval"]


def test_hardship_declining_the_plan_escalates():
    chat = Chat().verified()
    reply = chat.say("action_hardship", "我上个月失业了")
    assert "很抱歉" in reply and "分几个月" in reply
    chat.say("action_decline", "不行，还不起")
    assert chat.kinds().count("hardship") == 1 and chat.escalations() == ["hardship"]
    assert "专员" in chat.transcript[-2]


def test_hardship_with_months_goes_straight_to_a_plan():
    chat = Chat().verified()
    assert "3期分期方案" in chat.say("action_hardship", "我生病了，能分3个月还吗")


def test_hardship_with_a_number_that_is_not_months_offers_the_choice():
    chat = Chat().verified()
    reply = chat.say("action_hardship", "我有3个孩子，没有收入")
    assert "3期分期方案" not in reply and "分几个月" in reply
    assert chat.effect("hardship") and "instalment" not in chat.kinds()


def test_dispute_pauses_and_escalates():
    chat = Chat().verified()
    assert "异议" in chat.say("action_dispute", "这不是我的卡")
    assert {"dispute", "pause", "escalation"} <= set(chat.kinds())
    assert chat.effect("pause")["reason"] == "dispute"
    assert chat.escalations() == ["dispute"]


def test_already_paid_asks_when_and_how_then_records():
    chat = Chat().verified()
    assert "什么时候、通过什么方式" in chat.say("action_already_paid", "我已经还过了")
    chat.say("action_take_promise", "周一用银行卡还了85")
    assert chat.effect("already_paid")["details"] == "周一用银行卡还了85"
    assert chat.escalations() == ["already_paid"] and chat.effect("pause")


def test_refusal_is_polite_and_escalated():
    chat = Chat().verified()
    reply = chat.say("action_refusal", "我就是不还，你们能怎样")
    assert chat.escalations() == ["refusal"]
    assert "理解" in reply and not THREATS.search(reply)


def test_business_loan_extension_goes_to_a_relationship_manager():
    chat = Chat(
        facts(product="business_loan", balance=Decimal("185000"), minimum_due=Decimal("9800"))
    )
    chat.verified()
    assert "展期申请" in chat.say("action_extension", "我们公司想申请展期")
    assert "客户经理" in chat.transcript[-2] + chat.transcript[-1]
    chat.say("action_inform", "再延6个月，从3月开始每月还3万")
    assert chat.escalations() == ["extension_request"]
    assert "每月还3万" in chat.effect("escalation")["summary"]
    assert "展期" in chat.transcript[-2]


def test_business_loan_instalments_become_an_extension_request():
    chat = Chat(facts(product="business_loan")).verified()
    reply = chat.say("action_instalments", "能不能按月分期还")
    assert "经营贷款暂不支持分期" in reply and "客户经理" in reply


def test_wants_a_person_at_any_point():
    chat = Chat()
    reply = chat.say("action_human", "转人工")
    assert chat.escalations() == ["customer_request"] and chat.state["ended"]
    assert "一个工作日" in reply and not DEBT_WORDS.search(reply)


@pytest.mark.parametrize(
    ("said", "channel"),
    [
        ("别再给我打电话了", "voice"),
        ("不要再发短信了", "sms"),
        ("TD", "chat"),
        ("退订", "chat"),
        ("以后不要再联系我了", "all"),
    ],
)
def test_opt_out_in_any_wording(said, channel):
    chat = Chat()
    reply = chat.say("action_opt_out", said)
    assert chat.effect("opt_out")["channel"] == channel
    assert chat.state["ended"] and chat.effect("ended")["disposition"] == "opted_out"
    assert "不会再" in reply and chat.all_chinese()


def test_call_me_later_in_the_customers_time_zone():
    chat = Chat().verified()
    reply = chat.say("action_callback", "周一上午9点再打给我")
    assert chat.effect("callback")["callback_at"] == "2026-11-30T09:00:00+08:00"
    assert f"{day('2026-11-30')}上午9:00" in reply and "回电" in reply


def test_not_understood_twice_offers_a_person():
    chat = Chat().verified()
    assert "没有理解" in chat.say("action_not_understood", "嗯嗯啊")
    assert "工作人员" in chat.say("action_not_understood", "呃呃")
    chat.say("action_confirm", "好的")
    assert chat.escalations() == ["not_understood"] and chat.state["ended"]


def test_not_understood_declined_resumes():
    chat = Chat().verified()
    chat.say("action_not_understood", "嗯嗯啊")
    chat.say("action_not_understood", "呃呃")
    reply = chat.say("action_decline", "不用")
    assert f"最低还款额{yuan('85.00')}" in reply and not chat.state.get("ended")


def test_a_verification_answer_rasa_did_not_understand_still_counts():
    chat = Chat()
    chat.say("action_confirm", "是")
    chat.say("action_not_understood", "4 8 2 1")
    assert chat.state["phase"] == "verified"


def test_an_ended_conversation_takes_no_more_actions():
    chat = Chat()
    chat.say("action_wrong_number", "打错了")
    assert "已结束" in chat.say("action_take_promise", "我周五还一百")
    assert chat.kinds() == ["wrong_number", "ended"]


# ---- the customer switching language ---------------------------------------------------------
def test_an_english_account_writing_chinese_gets_chinese_from_then_on_and_back():
    chat = Chat(facts(language="en", customer_name="Jane Doe"))
    assert chat.state["lang"] == "en" and "Hello" in chat.transcript[0]
    assert "SPD Bank" in chat.transcript[0]
    reply = chat.say("action_confirm", "是我")
    assert "后4位数字" in reply and chat.state["lang"] == "zh"
    # Digits say nothing of the language: the conversation stays in Chinese.
    reply = chat.say("action_verify", "4821")
    assert "浦发银行" in reply and yuan("1240.50") in reply
    reply = chat.say("action_take_promise", "i can pay 200 on december 4")
    assert chat.state["lang"] == "en"
    assert "Just to confirm" in reply and "¥200.00" in reply and "Friday, December 4" in reply
    reply = chat.say("action_confirm", "好的")
    assert "回执" in reply and chat.effect("promise")["amount"] == "200.00"


def test_a_chinese_account_writing_english_gets_english():
    chat = Chat()
    assert CJK.search(chat.transcript[0])
    reply = chat.say("action_confirm", "yes speaking")
    assert "last 4 digits" in reply and chat.state["lang"] == "en"
    reply = chat.say("action_verify", "ok 4821")  # "ok" says nothing: still English
    assert "SPD Bank" in reply and "¥1,240.50" in reply and chat.state["lang"] == "en"


@pytest.mark.parametrize(
    ("said", "lang"),
    [
        ("是我", "zh"),
        ("好", "zh"),
        ("ok 是的", "zh"),
        ("我用app还了", "zh"),
        ("是我 Wang Fang", "zh"),
        ("yes", "en"),
        ("yes it's me", "en"),
        ("i can pay 两千", "en"),
        ("4821", None),
        ("ok", None),
        ("TD", None),
        ("", None),
        ("1985-03-03", None),
    ],
)
def test_the_language_of_a_message(said, lang):
    assert language_of(said) == lang


def test_a_message_that_does_not_tell_keeps_the_conversations_language():
    chat = Chat()
    chat.say("action_confirm", "ok")
    assert chat.state["lang"] == "zh" and CJK.search(chat.transcript[-1])


@pytest.mark.parametrize(
    ("code", "lang"),
    [("zh", "zh"), ("zh-CN", "zh"), ("zh-Hans", "zh"), ("en", "en"), ("en-US", "en"), ("", "en")],
)
def test_an_accounts_language_code_is_normalised(code, lang):
    assert normalise(code) == lang
    assert facts(language=code).lang == lang


def test_an_account_imported_as_zh_cn_is_served_in_mandarin():
    chat = Chat(facts(language="zh-CN"))
    assert chat.state["lang"] == "zh" and "浦发银行" in chat.transcript[0]


# ---- through the service, on a real ledger -----------------------------------------------------
@pytest.mark.usefixtures("ledger")
def test_a_demo_cn_account_is_served_in_mandarin_and_the_language_is_kept():
    talk = Talk("CN-4002")
    assert "浦发银行" in talk.said[0] and "李伟" in talk.said[0]
    assert "后4位数字" in talk.turn("action_confirm", "是我", "affirm")
    reply = talk.answer("3156")
    assert "5,420.30元" in reply and "录音" in reply
    with session_scope() as session:
        assert dialogue.state(session, talk.id)["lang"] == "zh"
    assert "Just to confirm" in talk.turn("action_take_promise", "i can pay 300 tomorrow")
    with session_scope() as session:
        assert dialogue.state(session, talk.id)["lang"] == "en"
    assert "Receipt" in talk.turn("action_confirm", "ok")  # "ok" keeps English


def test_the_outcome_tells_the_channels_the_language_now():
    chat = Chat(facts(language="en", customer_name="Jane Doe"))
    out = engine.handle("action_confirm", engine.Turn("是我"), chat.state, chat.ctx)
    assert out.lang == "zh"
    out = engine.handle("action_verify", engine.Turn("it's 4821"), out.state, chat.ctx)
    assert out.lang == "en"
