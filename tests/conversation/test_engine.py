"""The conversation state machine, path by path (pure: no Rasa, no database)."""

import re
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from bot.conversation import engine
from bot.conversation.facts import AccountFacts
from bot.conversation.policy import load_policy
from bot.conversation.verification import secret_hash
from bot.conversation.wording import PRE_VERIFICATION_PROMPTS, Bank
from bot.settings import ROOT

NOW = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)  # Friday, 10:00 in New York
DEBT_WORDS = re.compile(r"debt|balance|owe|overdue|collect|past due|\$|¥", re.I)


def facts(**overrides) -> AccountFacts:
    values = dict(
        account_id="CC-1",
        customer_name="Jane Doe",
        phone="+14155550101",
        timezone="America/New_York",
        product="credit_card",
        currency="USD",
        balance=Decimal("1240.50"),
        minimum_due=Decimal("85.00"),
        due_date=date(2026, 11, 10),
        days_past_due=18,
        jurisdiction="US",
        dob_hash=secret_hash("CC-1", "1985-03-03"),
        last4_hash=secret_hash("CC-1", "4821"),
    )
    values.update(overrides)
    return AccountFacts(**values)


class Chat:
    """One conversation through the engine. `IT_IS_ME`: how the customer confirms who they are
    (the Mandarin suite's subclass says it in Chinese)."""

    IT_IS_ME = "yes speaking"

    def __init__(
        self,
        account: AccountFacts | None = None,
        channel: str = "chat",
        *,
        now: datetime = NOW,
        bank: Bank | None = None,
    ):
        self.ctx = engine.Context(
            account=account or facts(),
            now=now,
            policy=load_policy(ROOT / "bot" / "policy.yml"),
            bank=bank or Bank("SPD Bank", "+1 800 555 0199", "https://pay.test"),
        )
        opened = engine.start(conversation_id="c1", channel=channel, ctx=self.ctx)
        self.state = opened.state
        self.transcript = list(opened.messages)
        self.effects: list[engine.Effect] = []

    def say(self, action: str, text: str, intent: str | None = None, **entities) -> str:
        out = engine.handle(action, engine.Turn(text, intent, entities), self.state, self.ctx)
        self.state = out.state
        self.effects += out.effects
        self.transcript += out.messages
        return " ".join(out.messages)

    def verified(self) -> "Chat":
        self.say("action_confirm", self.IT_IS_ME)
        self.say("action_verify", "4821")
        return self

    def kinds(self) -> list[str]:
        return [e.kind for e in self.effects]

    def effect(self, kind: str) -> dict:
        return next(e.data for e in self.effects if e.kind == kind)

    def escalations(self) -> list[str]:
        return [e.data["reason"] for e in self.effects if e.kind == "escalation"]


def test_opening_names_the_bank_and_the_customer_never_the_debt():
    chat = Chat()
    assert "SPD Bank" in chat.transcript[0] and "Jane Doe" in chat.transcript[0]
    assert not DEBT_WORDS.search(chat.transcript[0])


def test_pre_verification_prompts_say_nothing_of_the_debt():
    for text in PRE_VERIFICATION_PROMPTS.values():
        assert not DEBT_WORDS.search(text)


def test_wrong_number_is_flagged_and_ends_politely():
    chat = Chat()
    reply = chat.say("action_wrong_number", "wrong number mate")
    assert chat.kinds() == ["wrong_number", "ended"]
    assert chat.effect("ended")["disposition"] == "wrong_number"
    assert not DEBT_WORDS.search(reply)


@pytest.mark.parametrize("action", ["action_not_available", "action_decline"])
def test_third_party_hears_nothing_and_a_callback_is_recorded(action):
    chat = Chat()
    chat.say(action, "this is his wife")
    chat.say("action_answer_question", "who's asking?", intent="ask_why_calling")
    chat.say("action_inform", "tomorrow after 6")
    assert not any(DEBT_WORDS.search(t) for t in chat.transcript)
    callback = chat.effect("callback")
    assert callback["callback_at"].startswith("2026-11-28T18:00")
    assert chat.state["ended"]


def test_debt_topics_before_verification_lead_back_to_identity():
    chat = Chat()
    reply = chat.say("action_take_promise", "i'll pay 100 friday")
    assert "who I'm speaking with" in reply
    chat.say("action_confirm", "yes")
    reply = chat.say("action_dispute", "i don't owe this")
    assert "verify your identity" in reply
    assert "dispute" not in chat.kinds()
    assert not any(DEBT_WORDS.search(t) for t in chat.transcript)


def test_three_failed_verifications_escalate_without_disclosure():
    chat = Chat()
    chat.say("action_confirm", "yes")
    chat.say("action_verify", "1111")
    assert chat.state.get("_redact")
    chat.say("action_verify", "born march 4 1985")
    chat.say("action_verify", "2222")
    assert chat.escalations() == ["verification_failed"]
    assert chat.state["ended"] and chat.effect("ended")["disposition"] == "verification_failed"
    assert not any(DEBT_WORDS.search(t) for t in chat.transcript)


def test_dob_verifies_and_the_us_disclosure_follows():
    chat = Chat()
    chat.say("action_confirm", "thats me")
    reply = chat.say("action_inform", "my birthday is march 3 1985")
    assert "attempt to collect a debt" in reply and "may be recorded" in reply
    assert "$1,240.50" in reply and "$85.00" in reply and "18 days past due" in reply
    assert "Tuesday, November 10" in reply
    assert chat.state["phase"] == "verified"


def test_a_dob_entity_holding_part_of_the_date_falls_back_to_the_whole_message():
    """A spoken "March 3, 1985." came back from Rasa with only "March 3" marked as the date of
    birth (and "1985" as digits): the whole message still verifies."""
    chat = Chat()
    chat.say("action_confirm", "yes it is")
    reply = chat.say("action_inform", "March 3, 1985.", dob="March 3", digits="1985")
    assert chat.state["phase"] == "verified" and "attempt to collect a debt" in reply


def test_cn_disclosure_names_the_bank_and_purpose_without_threats():
    chat = Chat(facts(jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai"))
    chat.say("action_confirm", "yes")
    reply = chat.say("action_verify", "4821")
    assert "SPD Bank" in reply and "credit card" in reply and "¥1,240.50" in reply
    assert not re.search(r"legal action|lawsuit|police|arrest|attempt to collect", reply, re.I)


def test_promise_in_one_sentence_is_read_back_and_recorded():
    chat = Chat().verified()
    reply = chat.say(
        "action_take_promise", "i can pay 200 on friday", amount="200", pay_date="friday"
    )
    assert "$200.00" in reply and "Friday, December 4" in reply
    reply = chat.say("action_confirm", "yep")
    promise = chat.effect("promise")
    assert (promise["amount"], promise["currency"], promise["due_date"]) == (
        "200.00",
        "USD",
        "2026-12-04",
    )
    assert "Receipt" in reply and promise["id"][:8].upper() in reply
    chat.say("action_decline", "no thats all")
    assert chat.effect("ended")["disposition"] == "promise_to_pay"
    assert "promise to pay $200.00" in chat.transcript[-1]


def test_promise_asked_piece_by_piece_and_changed_before_confirming():
    chat = Chat().verified()
    assert "What amount" in chat.say("action_decline", "not today")
    assert "On what date" in chat.say("action_inform", "half")
    chat.say("action_inform", "the 5th")
    reply = chat.say("action_inform", "actually make it 300")
    assert "$300.00" in reply and "December 5" in reply
    chat.say("action_confirm", "yes")
    assert chat.effect("promise")["amount"] == "300.00"


def test_yes_to_the_minimum_today():
    chat = Chat().verified()
    chat.say("action_confirm", "yes")
    chat.say("action_confirm", "yes")
    assert chat.effect("promise")["amount"] == "85.00"
    assert chat.effect("promise")["due_date"] == "2026-11-27"


def test_a_date_beyond_policy_gets_a_counter_offer():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i can pay 500 on december 30")
    assert "within 14 days" in reply and "December 11" in reply
    chat.say("action_confirm", "ok")
    chat.say("action_confirm", "yes")
    assert chat.effect("promise")["due_date"] == "2026-12-11"


def test_a_partial_payment_is_accepted_with_a_follow_up():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i can only do 40 bucks tomorrow")
    assert "partial payment" in reply
    chat.say("action_confirm", "yes")
    promise = chat.effect("promise")
    assert promise["amount"] == "40.00" and promise["follow_up_on"] == "2026-12-05"


def test_question_in_the_middle_is_answered_then_the_form_resumes():
    chat = Chat().verified()
    chat.say("action_take_promise", "i'll pay 100")
    reply = chat.say("action_answer_question", "how do i pay", intent="ask_how_to_pay")
    assert "https://pay.test" in reply and reply.endswith("On what date can you pay $100.00?")
    reply = chat.say("action_answer_question", "are you a robot", intent="bot_challenge")
    assert "automated assistant" in reply and "On what date" in reply


def test_instalment_plan_within_policy_is_approved():
    chat = Chat().verified()
    reply = chat.say("action_instalments", "can i split it over 6 months", months="6")
    # 1240.50 x 0.6% x 6 = 44.66 fee; (1240.50 + 44.66) / 6 = 214.193.. -> 214.20
    assert "$214.20" in reply and "$44.66" in reply and "Sunday, December 27" in reply
    chat.say("action_confirm", "yes please")
    plan = chat.effect("instalment")
    assert (plan["months"], plan["monthly_amount"], plan["status"]) == (6, "214.20", "approved")
    assert chat.escalations() == []


def test_instalment_plan_outside_policy_needs_approval():
    chat = Chat().verified()
    chat.say("action_instalments", "instalments please")
    assert "3 or 6 or 12" in chat.transcript[-1]
    chat.say("action_inform", "twelve")
    chat.say("action_confirm", "yes")
    assert chat.effect("instalment")["status"] == "pending_approval"
    assert chat.escalations() == ["instalment_approval"]


def test_hardship_declining_the_plan_escalates():
    chat = Chat().verified()
    reply = chat.say("action_hardship", "i lost my job last month")
    assert "sorry to hear" in reply and "instalment" in reply
    chat.say("action_decline", "no i cant")
    assert chat.kinds().count("hardship") == 1 and chat.escalations() == ["hardship"]


def test_hardship_with_months_goes_straight_to_a_plan():
    chat = Chat().verified()
    reply = chat.say("action_hardship", "im sick, could i pay over 3 months")
    assert "3-month plan" in reply


def test_hardship_with_a_number_that_is_not_months_offers_the_choice():
    chat = Chat().verified()
    reply = chat.say("action_hardship", "i have 3 kids and no income")
    assert "3-month plan" not in reply and "spreading the balance" in reply
    assert chat.effect("hardship") and "instalment" not in chat.kinds()


def test_dispute_pauses_and_escalates():
    chat = Chat().verified()
    chat.say("action_dispute", "that's not my card")
    assert {"dispute", "pause", "escalation"} <= set(chat.kinds())
    assert chat.effect("pause")["reason"] == "dispute"
    assert chat.escalations() == ["dispute"]


def test_already_paid_asks_when_and_how_then_records():
    chat = Chat().verified()
    assert "When and how" in chat.say("action_already_paid", "i already paid")
    chat.say("action_take_promise", "paid 85 by card on monday")
    assert chat.effect("already_paid")["details"] == "paid 85 by card on monday"
    assert chat.escalations() == ["already_paid"] and chat.effect("pause")


def test_refusal_is_polite_and_escalated():
    chat = Chat().verified()
    reply = chat.say("action_refusal", "screw you im not paying")
    assert chat.escalations() == ["refusal"]
    assert not re.search(r"legal|court|sue|police", reply, re.I)


def test_business_loan_extension_goes_to_a_relationship_manager():
    chat = Chat(
        facts(product="business_loan", balance=Decimal("185000"), minimum_due=Decimal("9800"))
    )
    chat.verified()
    assert "relationship manager" in chat.say("action_extension", "we need an extension")
    chat.say("action_inform", "6 more months, paying 30k a month from march")
    assert chat.escalations() == ["extension_request"]
    assert "30k a month" in chat.effect("escalation")["summary"]


def test_business_loan_instalments_become_an_extension_request():
    chat = Chat(facts(product="business_loan")).verified()
    assert "relationship manager" in chat.say("action_instalments", "can we pay monthly")


def test_wants_a_human_at_any_point():
    chat = Chat()
    reply = chat.say("action_human", "let me talk to a real person")
    assert chat.escalations() == ["customer_request"] and chat.state["ended"]
    assert "one business day" in reply and not DEBT_WORDS.search(reply)


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("stop calling me", "voice"),
        ("don't text me again", "sms"),
        ("STOP", "chat"),
        ("cease all contact", "all"),
        ("unsubscribe", "chat"),
    ],
)
def test_opt_out_in_any_wording(text, channel):
    chat = Chat()
    chat.say("action_opt_out", text)
    assert chat.effect("opt_out")["channel"] == channel
    assert chat.state["ended"] and chat.effect("ended")["disposition"] == "opted_out"


def test_call_me_later_in_the_customers_time_zone():
    chat = Chat().verified()
    reply = chat.say("action_callback", "call me monday morning")
    assert chat.effect("callback")["callback_at"] == "2026-11-30T09:00:00-05:00"
    assert "Monday, November 30 at 9:00 AM" in reply


def test_not_understood_twice_offers_a_human():
    chat = Chat().verified()
    assert "didn't get that" in chat.say("action_not_understood", "blorp")
    assert "team" in chat.say("action_not_understood", "zzzz")
    chat.say("action_confirm", "yes")
    assert chat.escalations() == ["not_understood"] and chat.state["ended"]


def test_not_understood_declined_resumes():
    chat = Chat().verified()
    chat.say("action_not_understood", "blorp")
    chat.say("action_not_understood", "zzzz")
    reply = chat.say("action_decline", "no")
    assert "minimum of $85.00" in reply and not chat.state.get("ended")


def test_a_verification_answer_rasa_did_not_understand_still_counts():
    chat = Chat()
    chat.say("action_confirm", "yes")
    chat.say("action_not_understood", "4 8 2 1")
    assert chat.state["phase"] == "verified"


def test_an_ended_conversation_takes_no_more_actions():
    chat = Chat()
    chat.say("action_wrong_number", "wrong number")
    chat.say("action_take_promise", "i'll pay 100 friday")
    assert chat.kinds() == ["wrong_number", "ended"]
