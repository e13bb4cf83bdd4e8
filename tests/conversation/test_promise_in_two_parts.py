"""Issue #14, several things in one message: "i'll pay 100 friday and the rest on the 10th" is a
promise in two parts. Both are read back, each is checked against the policy like a single
promise, both are recorded, and the receipt names both. Today is Friday 2026-11-27; the
balance is $1,240.50, the minimum $85.00, the latest date allowed December 11."""

import json

from tests.conversation.test_engine import Chat


def promises(chat: Chat) -> list[dict]:
    return [e.data for e in chat.effects if e.kind == "promise"]


def test_both_parts_are_read_back_and_recorded_as_two_promises():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i'll pay 100 friday and the rest on the 10th")
    assert (
        "Just to confirm: you'll pay $100.00 on Friday, December 4, "
        "and $1,140.50 on Thursday, December 10. Is that right?"
    ) in reply
    json.dumps(chat.state)  # the pending parts live in a Rasa slot
    reply = chat.say("action_confirm", "yes")
    first, rest = promises(chat)
    assert (first["amount"], first["due_date"]) == ("100.00", "2026-12-04")
    assert (rest["amount"], rest["due_date"]) == ("1140.50", "2026-12-10")
    assert "$100.00 by 2026-12-04" in reply and "$1,140.50 by 2026-12-10" in reply
    assert first["id"][:8].upper() in reply and rest["id"][:8].upper() in reply
    assert chat.state["pending"] == {}


def test_a_second_amount_of_its_own_is_taken():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "100 on monday, then 200 on the 10th")
    assert "$100.00 on Monday, November 30, and $200.00 on Thursday, December 10" in reply
    chat.say("action_confirm", "yes")
    assert [(p["amount"], p["due_date"]) for p in promises(chat)] == [
        ("100.00", "2026-11-30"),
        ("200.00", "2026-12-10"),
    ]


def test_a_second_part_beyond_the_policy_gets_the_counter_offer_for_that_part():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "i'll pay 100 friday and the rest next month")
    assert "within 14 days" in reply
    assert "pay the remaining $1,140.50 by Friday, December 11" in reply
    assert chat.state["pending"]["date"] == "2026-12-04"  # the first part stands
    assert "promise" not in chat.kinds()
    reply = chat.say("action_confirm", "ok")
    assert "$100.00 on Friday, December 4, and $1,140.50 on Friday, December 11" in reply
    chat.say("action_confirm", "yes")
    assert [p["due_date"] for p in promises(chat)] == ["2026-12-04", "2026-12-11"]


def test_a_date_given_for_the_second_part_is_the_second_parts():
    chat = Chat().verified()
    chat.say("action_take_promise", "100 friday and the rest next month")
    reply = chat.say("action_inform", "the 9th then")
    assert "$100.00 on Friday, December 4, and $1,140.50 on Wednesday, December 9" in reply


def test_no_date_within_the_policy_for_the_second_part_moves_on_to_a_plan():
    chat = Chat().verified()
    chat.say("action_take_promise", "100 friday and the rest next month")
    reply = chat.say("action_decline", "no")
    assert "instalment" in reply.lower() and "promise" not in chat.kinds()
    assert "promise" in chat.state["declined"] and chat.state["pending"] == {}


def test_a_no_to_the_read_back_of_both_parts_asks_again_without_recording():
    chat = Chat().verified()
    chat.say("action_take_promise", "100 friday and the rest on the 10th")
    reply = chat.say("action_decline", "no")
    assert reply.endswith("What amount can you pay, and on what date?")
    assert chat.state["pending"] == {} and "promise" not in chat.kinds()


def test_a_correction_replaces_the_first_date_and_keeps_the_second_part():
    chat = Chat().verified()
    chat.say("action_take_promise", "100 friday and the rest on the 10th")
    second = chat.state["pending"]["second"]
    reply = chat.say("action_not_understood", "actually make it monday")
    assert "$100.00 on Monday, November 30, and $1,140.50 on" in reply
    assert chat.state["pending"]["second"] == second
    chat.say("action_confirm", "yes")
    assert [p["due_date"] for p in promises(chat)][0] == "2026-11-30"


def test_a_corrected_first_amount_changes_the_rest():
    chat = Chat().verified()
    chat.say("action_take_promise", "100 friday and the rest on the 10th")
    reply = chat.say("action_decline", "no, make it 240")
    assert "$240.00 on Friday, December 4, and $1,000.50 on" in reply


def test_a_first_part_below_the_minimum_is_not_partial_when_the_two_cover_it():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "40 tomorrow and the rest on the 10th")
    assert "partial payment" not in reply
    chat.say("action_confirm", "yes")
    assert all(p["follow_up_on"] is None for p in promises(chat))


def test_a_first_part_that_pays_it_all_is_one_promise():
    chat = Chat().verified()
    reply = chat.say("action_take_promise", "the full balance friday and the rest on the 10th")
    assert "Just to confirm: you'll pay $1,240.50 on Friday, December 4. Is that right?" in reply
    chat.say("action_confirm", "yes")
    assert len(promises(chat)) == 1
