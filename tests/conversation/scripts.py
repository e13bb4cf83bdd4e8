"""Scripted conversations for the conversation-level suite (issue #14): every path of the
reminder conversation times every customer style times a few variants, each with the ledger
records it must leave. tests/stack/test_scripted_conversations.py plays them on the real stack.

The account is a fresh one per conversation (tests/stack add_account: balance $800.00, minimum
$50.00, last four 1234, born 1980-01-01), so each script's records are its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STYLES = ("terse", "chatty", "typos", "corrections", "questions", "declines")
# Per variant: an amount, its words misspelled, a weekday and its misspelling, plan months.
VARIANTS = (
    (200, "two hundrd", "friday", "fryday", 6),
    (150, "one hundered and fifty", "monday", "mondy", 3),
    (300, "three hundrd", "wednesday", "wensday", 12),
)


@dataclass(frozen=True)
class Expect:
    disposition: str | set[str]
    promise: dict | None = None  # amount, and "weekday" (0-6) or "days" from the local today
    rest: dict | None = None  # the second part of a promise in two parts, the same way
    instalment_months: int | None = None
    records: tuple[str, ...] = ()  # account-view lists that must hold one row of this chat
    escalations: set[str] = field(default_factory=set)  # one of these reasons, if any given


@dataclass(frozen=True)
class Script:
    id: str
    messages: tuple[str, ...]
    expect: Expect


def _hello(style: str) -> list[str]:
    return {
        "terse": ["yes"],
        "chatty": ["oh hi, yes this is me speaking"],
        "typos": ["yeh its me"],
        "questions": ["who is this?", "yes"],
    }.get(style, ["yes"])


def _verify(style: str, variant: int) -> list[str]:
    if variant == 1:
        return ["my date of birth is 1/1/80"]  # M/D/YY, issue #14
    return {
        "chatty": ["sure, the last four are 1234"],
        "typos": ["its 1 2 3 4"],
    }.get(style, ["1234"])


def _opening(style: str, variant: int) -> list[str]:
    return _hello(style) + _verify(style, variant)


def promise(style: str, variant: int) -> Script:
    amount, spelled, day, misspelled, _ = VARIANTS[variant]
    weekday = ("monday", "tuesday", "wednesday", "thursday", "friday").index(day)
    lines = {
        "terse": [f"{amount} {day}"],
        "chatty": [f"well i think i could pay {amount} dollars on {day} if that's ok"],
        "typos": [f"i can pay {spelled} on {misspelled}"],
        "corrections": [f"i can pay {amount} on saturday", f"actually make it {day}"],
        "questions": [f"i can pay {amount}", "how do i pay?", f"on {day}"],
        "declines": ["no not today", f"{amount} on {day}"],
    }[style]
    return Script(
        f"promise-{style}-{variant}",
        (*_opening(style, variant), *lines, "yes", "no thats all"),
        Expect("promise_to_pay", promise={"amount": f"{amount}.00", "weekday": weekday}),
    )


def minimum_today(style: str, variant: int) -> Script:
    lines, days = {
        "terse": (["yes", "yes"], 0),
        "chatty": (["yes i can pay the minimum today", "yes that's right"], 0),
        "typos": (["yes the minimun today", "yes"], 0),
        "corrections": (["yes", "no wait, make it tomorrow", "yes"], 1),
        "questions": (["how much is the minimum?", "yes", "yes"], 0),
        "declines": (["no", "ok the minimum tomorrow then", "yes"], 1),
    }[style]
    return Script(
        f"minimum-{style}-{variant}",
        (*_opening(style, variant), *lines, "no"),
        Expect("promise_to_pay", promise={"amount": "50.00", "days": days}),
    )


def instalment(style: str, variant: int) -> Script:
    months = VARIANTS[variant][4]
    lines = {
        "terse": [f"instalments {months} months", "yes"],
        "chatty": [f"could i maybe spread it over {months} months please", "yes please"],
        "typos": [f"can i pay in instalmants over {months} monts", "yes"],
        "corrections": ["instalments please", "9", f"{months}", "yes"],
        "questions": ["instalments please", "what are the fees?", f"{months}", "yes"],
        "declines": ["no", "can i do an instalment plan", f"{months}", "yes"],
    }[style]
    return Script(
        f"instalment-{style}-{variant}",
        (*_opening(style, variant), *lines, "no"),
        Expect(
            "instalment_request",
            instalment_months=months,
            escalations={"instalment_approval"} if months > 6 else set(),
        ),
    )


def dispute(style: str, variant: int) -> Script:
    lines = {
        "chatty": ["this isn't right, i never opened this card, i dispute it"],
        "typos": ["i dont owe this its not my acount"],
        "questions": ["what is this about?", "i don't owe this"],
        "declines": ["no", "i dispute this, it's not my account"],
    }.get(style, ["i don't owe this"])
    return Script(
        f"dispute-{style}-{variant}",
        (*_opening(style, variant), *lines, "no"),
        Expect("dispute", records=("disputes",), escalations={"dispute"}),
    )


def already_paid(style: str, variant: int) -> Script:
    lines = {
        "chatty": ["oh but i already paid this last week", "i paid 50 by card on monday"],
        "typos": ["i alredy paid", "paid 50 by card on mondy"],
        "questions": ["how much is due?", "but i already paid", "paid 50 online on monday"],
        "declines": ["no", "i already paid it", "paid by card on monday"],
    }.get(style, ["i already paid", "paid 50 by card on monday"])
    return Script(
        f"already-paid-{style}-{variant}",
        (*_opening(style, variant), *lines, "no"),
        Expect("already_paid", records=("already_paid_claims",), escalations={"already_paid"}),
    )


def callback(style: str, variant: int) -> Script:
    lines = {
        "chatty": ["i'm at work right now, can you call me back tomorrow at 10am"],
        "typos": ["call me back tommorow at 10am"],
        "questions": ["how much do i owe?", "call me back tomorrow at 10am"],
        "declines": ["no", "call me back tomorrow at 10am"],
    }.get(style, ["call me back tomorrow at 10am"])
    return Script(
        f"callback-{style}-{variant}",
        (*_opening(style, variant), *lines),
        Expect("callback", records=("callbacks",)),
    )


def hardship(style: str, variant: int) -> Script:
    lines = {
        "chatty": ["honestly i lost my job last month and i can't pay anything"],
        "typos": ["i lost my jbo and cant pay"],
        "questions": ["what is the minimum?", "i lost my job and can't pay"],
        "declines": ["no", "i lost my job and can't pay"],
    }.get(style, ["i lost my job and can't pay"])
    return Script(
        f"hardship-{style}-{variant}",
        (*_opening(style, variant), *lines, "no", "no"),
        Expect("hardship", records=("hardship_notes",), escalations={"hardship"}),
    )


def declines_everything(style: str, variant: int) -> Script:
    lines = {
        "chatty": ["no sorry not today", "no i really can't commit to anything right now"],
        "typos": ["no not tday", "no i cant comit to anything"],
    }.get(style, ["no not today", "no i can't commit to anything"])
    return Script(
        f"decline-all-{style}-{variant}",
        (*_opening(style, variant), *lines, "no", "yes", "bye"),
        # Moving on may go by hardship handling when the no sounds like hardship.
        Expect(
            {"escalated", "refusal", "no_commitment", "hardship"},
            escalations={"customer_request", "refusal", "not_understood", "hardship"},
        ),
    )


def opt_out(style: str, variant: int) -> Script:
    words = {
        "chatty": "please stop contacting me, i don't want any more messages",
        "typos": "stop txting me",
    }.get(style, "stop texting me")
    opening = _hello(style)[:-1] if variant == 0 else _opening(style, variant)
    return Script(
        f"opt-out-{style}-{variant}",
        (*opening, words),
        Expect("opted_out", records=("opt_outs",)),
    )


PATHS = (
    promise,
    minimum_today,
    instalment,
    dispute,
    already_paid,
    callback,
    hardship,
    declines_everything,
    opt_out,
)


def promise_in_two_parts() -> list[Script]:
    """Several things in one message (issue #14): "100 tomorrow and the rest in 5 days" is two
    promises, both read back and recorded. Balance $800.00: the rest is $700.00, or $600.00."""
    return [
        Script(
            "two-parts-terse-0",
            (*_opening("terse", 0), "100 tomorrow and the rest in 5 days", "yes", "no"),
            Expect(
                "promise_to_pay",
                promise={"amount": "100.00", "days": 1},
                rest={"amount": "700.00", "days": 5},
            ),
        ),
        Script(
            "two-parts-typos-1",
            (
                *_opening("typos", 1),
                "i can pay two hundrd tommorow and the remaindr in 10 days",
                "yes",
                "no",
            ),
            Expect(
                "promise_to_pay",
                promise={"amount": "200.00", "days": 1},
                rest={"amount": "600.00", "days": 10},
            ),
        ),
        # The second part is after the latest date allowed (14 days): the bot says so and
        # offers the latest date for it, as for a single promise.
        Script(
            "two-parts-chatty-2",
            (
                *_opening("chatty", 2),
                "i'll pay 100 tomorrow and the rest next month",
                "ok",
                "yes",
                "no",
            ),
            Expect(
                "promise_to_pay",
                promise={"amount": "100.00", "days": 1},
                rest={"amount": "700.00", "days": 14},
            ),
        ),
    ]


def scripts() -> list[Script]:
    return [
        *(path(style, v) for path in PATHS for style in STYLES for v in range(len(VARIANTS))),
        *promise_in_two_parts(),
    ]
