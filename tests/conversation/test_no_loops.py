"""Issue #14 in the engine: implausible values are read back, not recorded; no question is asked
the same way more than twice; a declined offer is not offered again; several values in one
message are all taken and a correction replaces the pending value."""

from collections import Counter

from bot.conversation.core import ASK_AT_MOST
from bot.conversation.messages import template
from tests.conversation.test_engine import Chat


def asked_most(chat: Chat) -> int:
    """How often the most repeated message of the conversation was said."""
    return max(Counter(chat.transcript).values())


def at_promise_amount() -> Chat:
    chat = Chat().verified()
    chat.say("action_take_promise", "i want to pay on friday")
    assert chat.state["awaiting"] == "promise_amount"
    return chat


# --- values -----------------------------------------------------------------------------------


def test_a_misspelled_hundred_is_two_hundred_never_two():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i can pay 2 hundrd on fryday")
    assert "$200.00" in reply and "Friday, December 4" in reply and "$2.00" not in reply
    chat.say("action_confirm", "yes")
    assert chat.effect("promise")["amount"] == "200.00"


def test_an_amount_with_an_unreadable_word_is_asked_again_not_taken():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i can pay 2 hndrd on friday")
    assert "couldn't read that amount" in reply and reply.endswith("How much can you pay?")
    assert "amount" not in chat.state["pending"] and chat.state["pending"]["date"] == "2026-12-04"
    assert "promise" not in chat.kinds()


def test_a_misspelled_minimum_is_the_minimum():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i can pay the minimun tomorrow")
    assert "$85.00" in reply and "Saturday, November 28" in reply


def test_an_amount_far_below_the_minimum_is_read_back_and_confirmed():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i can pay 2 on friday")
    assert "did you mean $2.00?" in reply and "promise" not in chat.kinds()
    reply = chat.say("action_confirm", "yes")
    assert "partial payment" in reply and "Just to confirm: you'll pay $2.00" in reply
    chat.say("action_confirm", "yes")
    assert chat.effect("promise")["amount"] == "2.00"


def test_a_no_to_the_read_back_asks_for_the_amount_again():
    chat = Chat().verified()
    chat.say("action_take_promise", "2 on friday")
    reply = chat.say("action_decline", "no")
    assert reply.endswith("How much can you pay?") and "check_amount" not in chat.state["pending"]
    reply = chat.say("action_inform", "200")
    assert "Just to confirm: you'll pay $200.00 on Friday, December 4" in reply


def test_a_new_amount_in_the_answer_to_the_read_back_is_taken():
    chat = Chat().verified()
    chat.say("action_take_promise", "2 on friday")
    reply = chat.say("action_decline", "no, 200")
    assert "Just to confirm: you'll pay $200.00" in reply


def test_an_amount_above_the_balance_offers_the_full_balance():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i'll pay 5000 on friday")
    assert "more than your balance of $1,240.50" in reply and "promise" not in chat.kinds()
    reply = chat.say("action_confirm", "yes")
    assert "Just to confirm: you'll pay $1,240.50 on Friday, December 4" in reply


def test_a_date_in_the_past_is_said_to_have_passed_and_asked_again():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "100 on december 5 2025")
    assert "Friday, December 5 has already passed" in reply
    assert (
        reply.endswith("On what date can you pay $100.00?") and "date" not in chat.state["pending"]
    )


def test_several_values_in_one_message_are_all_taken():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "I'll pay 100 friday")
    assert "Just to confirm: you'll pay $100.00 on Friday, December 4" in reply


def test_yes_with_an_amount_and_a_date_to_the_offer_takes_them():
    chat = Chat().verified()
    reply = chat.say("action_confirm", "yes, 100 on friday")
    assert "you'll pay $100.00 on Friday, December 4" in reply


def test_a_correction_replaces_the_pending_date():
    chat = Chat().verified()
    chat.say("action_take_promise", "100 friday")
    reply = chat.say("action_inform", "actually make it Monday")
    assert "you'll pay $100.00 on Monday, November 30" in reply
    reply = chat.say("action_decline", "no, make it tuesday")
    assert "you'll pay $100.00 on Tuesday, December 1" in reply
    reply = chat.say("action_confirm", "yes but make it the 5th")
    assert "you'll pay $100.00 on Saturday, December 5" in reply
    chat.say("action_confirm", "yes")
    assert chat.effect("promise")["due_date"] == "2026-12-05"


def test_a_fragment_of_the_number_in_rasas_entity_is_not_taken():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "one hundered and fifty on monday", amount="fifty")
    assert "you'll pay $150.00 on Monday, November 30" in reply


def test_a_correction_rasa_did_not_understand_at_the_read_back_is_taken():
    chat = Chat().verified()
    chat.say("action_confirm", "yes")
    reply = chat.say("action_not_understood", "no wait, make it tomorrow")
    assert "you'll pay $85.00 on Saturday, November 28" in reply


def test_a_decline_rasa_did_not_understand_is_heard_as_a_decline():
    chat = Chat().verified()
    chat.say("action_decline", "not today")
    reply = chat.say("action_not_understood", "no, I can't commit to anything")
    assert "instalment plan could make it easier" in reply and "didn't get that" not in reply


def test_values_rasa_did_not_understand_are_still_read():
    chat = Chat().verified()
    chat.say("action_take_promise", "i'll pay 100")
    reply = chat.say("action_not_understood", "fryday")
    assert "you'll pay $100.00 on Friday, December 4" in reply


# --- no loops ---------------------------------------------------------------------------------


def test_the_same_question_twice_then_another_way_then_a_person():
    chat = at_promise_amount()
    assert chat.say("action_inform", "hmm dunno").endswith("How much can you pay?")
    third = chat.say("action_inform", "not sure")
    assert "for example 150" in third and "How much can you pay?" not in third
    fourth = chat.say("action_inform", "what")
    assert "trouble understanding" in fourth and "member of our team" in fourth
    chat.say("action_confirm", "yes")
    assert chat.escalations() == ["not_understood"] and chat.state["ended"]
    assert asked_most(chat) <= ASK_AT_MOST
    assert "promise" not in chat.kinds()


def test_a_person_declined_resumes_the_question_afresh():
    chat = at_promise_amount()
    for said in ("hmm", "eh", "what"):
        chat.say("action_inform", said)
    reply = chat.say("action_decline", "no")
    assert "try again" in reply and reply.endswith("How much can you pay?")


def test_an_unanswerable_offer_of_a_person_ends_with_one():
    chat = at_promise_amount()
    for said in ("hmm", "eh", "what"):
        chat.say("action_inform", said)
    for said in ("blorp", "zzz", "grr"):
        chat.say("action_not_understood", said)
    assert chat.state["ended"] and chat.escalations() == ["not_understood"]


def test_instalment_months_asked_another_way_the_third_time():
    chat = Chat().verified()
    chat.say("action_instalments", "instalments please")
    chat.say("action_inform", "5")
    third = chat.say("action_inform", "7")
    assert "Please choose one of these: 3 or 6 or 12 months." in third
    assert "member of our team" in chat.say("action_inform", "8")
    assert asked_most(chat) <= ASK_AT_MOST


def test_a_later_anything_else_is_a_new_question():
    chat = Chat().verified()
    chat.say("action_dispute", "not my card")
    chat.say("action_confirm", "yes")
    chat.say("action_refusal", "im not paying")
    chat.say("action_confirm", "yes")
    reply = chat.say("action_already_paid", "i paid")
    assert "When and how" in reply


# --- verification -----------------------------------------------------------------------------


def test_a_short_us_date_of_birth_verifies():
    chat = Chat()
    chat.say("action_confirm", "yes")
    reply = chat.say("action_verify", "3/3/85")
    assert chat.state["phase"] == "verified" and "attempt to collect a debt" in reply


def test_an_unreadable_verification_answer_counts_as_a_try():
    chat = Chat()
    chat.say("action_confirm", "yes")
    reply = chat.say("action_verify", "born in the spring of 85")
    assert "couldn't read that" in reply and "2 more tries" in reply
    assert chat.state["tries"] == 1 and chat.state.get("_redact")
    chat.say("action_inform", "march something")
    third = chat.say("action_verify", "48 21 7")
    assert chat.state["ended"] and chat.escalations() == ["verification_failed"]
    assert "couldn't confirm your identity" in third


def test_verification_never_asks_more_than_three_times():
    # Issue #14: a date of birth the bot cannot read was asked for fifteen times in a row.
    chat = Chat()
    chat.say("action_confirm", "yes")
    for _ in range(15):
        if chat.state.get("ended"):
            break
        chat.say("action_verify", "the third of smarch")
    assert chat.state["ended"] and chat.effect("ended")["disposition"] == "verification_failed"
    prompts = [t for t in chat.transcript if template("prompt.verification") in t]
    assert len(prompts) <= ASK_AT_MOST


def test_the_third_verification_ask_gives_an_example():
    chat = Chat()
    chat.say("action_confirm", "yes")
    chat.say("action_verify", "1111")
    reply = chat.say("action_verify", "2222")
    assert "one at a time, like 1 2 3 4" in reply


def test_yes_its_me_with_the_digits_verifies_in_one_message():
    chat = Chat()
    reply = chat.say("action_confirm", "yes it's me, 4821")
    assert chat.state["phase"] == "verified" and "attempt to collect a debt" in reply


# --- declines ---------------------------------------------------------------------------------


def test_a_declined_promise_moves_on_to_a_plan_then_a_person():
    chat = Chat().verified()
    chat.say("action_decline", "not today")
    reply = chat.say("action_decline", "no, I can't commit to anything")
    assert "instalment plan could make it easier" in reply and "3, 6, 12 months" in reply
    reply = chat.say("action_decline", "no")
    assert "find an arrangement" in reply and "member of our team" in reply
    chat.say("action_confirm", "yes please")
    assert chat.escalations() == ["customer_request"] and chat.state["ended"]
    assert asked_most(chat) <= ASK_AT_MOST


def test_declining_the_person_too_is_noted_not_offered_again():
    chat = Chat().verified()
    for said in ("not today", "no", "no"):
        chat.say("action_decline", said)
    reply = chat.say("action_decline", "no")
    assert "I've noted it" in reply and reply.endswith("anything else I can help you with?")
    chat.say("action_decline", "no")
    assert chat.state["ended"] and chat.escalations() == []


def test_a_declined_counter_offer_after_a_declined_plan_moves_on():
    chat = Chat().verified()
    chat.say("action_instalments", "instalments?")
    chat.say("action_decline", "no")  # the months question: the plan is declined
    reply = chat.say("action_take_promise", "500 on december 30")
    assert "within 14 days" in reply
    reply = chat.say("action_decline", "no")
    assert "instalment plan" not in reply and "find an arrangement" in reply


def test_hardship_no_to_the_plan_is_not_offered_the_plan_again():
    chat = Chat().verified()
    chat.say("action_hardship", "i lost my job")
    reply = chat.say("action_hardship", "i can't afford any plan, i have no income")
    assert "specialist" in reply and "instalment plan help" not in reply
    assert chat.escalations() == ["hardship"] and chat.kinds().count("hardship") == 1
    reply = chat.say("action_hardship", "really nothing")
    assert "instalment plan help" not in reply and chat.escalations() == ["hardship"]
