"""What a phone caller can say or press at each point of the conversation: keypad options
(DTMF is a first-class input) and the grammar for yes/no and digits turns."""

from __future__ import annotations

from dataclasses import dataclass

YES_NO_STATES = {
    "identity",
    "promise_confirm",
    "instalment_confirm",
    "instalment_offer",
    "human_offer",
    "anything_else",
    "counter_offer",
}


@dataclass(frozen=True)
class Menu:
    hint: str  # appended to what the bot says, on the phone only
    keys: dict[str, str]  # key -> what it means, as text the conversation understands
    yes_no: bool = False  # grammar-mode recognition for this turn
    max_digits: int = 1
    # Spoken digits in grammar mode (with free recognition beside it, for a date of birth).
    digits: bool = False


YES_NO = Menu("Say yes or press 1; say no or press 2.", {"1": "yes", "2": "no"}, yes_no=True)
OFFER = Menu(
    "Press 1 to pay the minimum today, 2 for an instalment plan, or 3 to speak with a person.",
    {"1": "yes", "2": "can i pay in instalments", "3": "i want to talk to a person"},
)
HUMAN = Menu("Press 0 at any time to speak with a person.", {"0": "i want to talk to a person"})


def menu_for(awaiting: str | None, misunderstood: int) -> Menu:
    """The keypad menu for a turn; after two failed recognitions the full menu is offered."""
    if awaiting in YES_NO_STATES:
        return YES_NO
    if awaiting == "offer" or (misunderstood >= 2 and awaiting not in ("verification",)):
        return OFFER
    if awaiting == "verification":
        return Menu(
            "You can also enter the 4 digits on your keypad.", {}, max_digits=4, digits=True
        )
    if awaiting == "instalment_months":
        return Menu("You can also enter the number of months, then the hash key.", {}, max_digits=2)
    return HUMAN


def keypad_text(menu: Menu, digits: str) -> str:
    """What pressed keys mean: a menu choice, or the digits themselves (a code, a number)."""
    if digits in menu.keys:
        return menu.keys[digits]
    if menu.max_digits == 2:
        return f"{digits} months"
    return digits
