"""Verification: the customer proves who they are (last four digits or date of birth) before
anything about the account is said."""

from __future__ import annotations

import re

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.core import Run
from bot.conversation.messages import text
from bot.conversation.phases.anywhere import human_offer_answer, not_understood, wrong_number
from bot.conversation.understanding.digits import parse_digits
from bot.conversation.understanding.dob import parse_dob
from bot.conversation.understanding.spelling import correct_spelling
from bot.conversation.understanding.words import MONTH_NAME, clean
from bot.conversation.verification import MAX_TRIES, check_answer

# Actions that are about the debt: before verification they only lead back to verification.
DEBT_ACTIONS = {
    "action_take_promise",
    "action_pay_now",
    "action_instalments",
    "action_hardship",
    "action_dispute",
    "action_already_paid",
    "action_refusal",
    "action_extension",
}


def try_verification(run: Run) -> bool:
    """Check a verification answer if the message holds one; False if it holds none."""
    digits = _read(run, "digits", lambda said: parse_digits(said, lang=run.lang))
    dob = _read(run, "dob", lambda said: parse_dob(said, today=run.ctx.today, lang=run.lang))
    if not digits and not dob:
        return False
    run.state["_redact"] = True
    acct = run.account
    if check_answer(
        account_id=acct.account_id,
        last4_hash=acct.last4_hash,
        dob_hash=acct.dob_hash,
        digits=digits,
        dob=dob,
    ):
        run.state.update(phase="verified", tries=0)
        run.record("verified", result=True)
        run.record("disclosed", jurisdiction=acct.jurisdiction)
        disclosure = say.disclosure(acct, run.ctx.bank, run.ctx.policy, run.lang)
        run.say(text("verification.passed", run.lang, first=acct.first_name, disclosure=disclosure))
        run.say(say.account_facts(acct, run.lang))
        run.ask(Awaiting.OFFER)
        return True
    left = count_a_try(run)
    if left:
        run.say(
            text(
                "verification.mismatch_one" if left == 1 else "verification.mismatch_other",
                run.lang,
                left=left,
            )
        )
        run.ask_again()
    return True


def _read(run: Run, entity: str, reader):
    """The entity Rasa found, or the whole message when the entity reads as nothing: a spoken
    "March 3, 1985." may come back with only part of the date marked as the entity."""
    found = run.turn.entities.get(entity)
    value = reader(found) if found else None
    return value if value is not None else reader(run.turn.text)


def count_a_try(run: Run) -> int:
    """One more failed try; the last one ends the conversation. The tries left."""
    tries = run.state.get("tries", 0) + 1
    run.state["tries"] = tries
    run.record("verified", result=False, attempt=tries)
    if tries >= MAX_TRIES:
        run.outcome("verification_failed")
        run.escalate("verification_failed", f"Verification failed {tries} times.")
        run.end(text("verification.failed", run.lang, bank_phone=run.ctx.bank.phone))
    return MAX_TRIES - tries


# A Chinese answer that was meant as digits or a date of birth: numerals (幺 is 1 said on the
# phone), or a month and a day ("三月五号"), or the words for birth.
ZH_ANSWER = re.compile(r"\d|[零〇一二三四五六七八九十幺两]{2,}|月.{0,3}[日号]|出生|生日")


def looks_like_an_answer(action: str, said: str) -> bool:
    """Meant as the verification answer but unreadable ("born in march", "48 21 7"): Rasa heard
    an answer, or there are digits or a month in it. Such an answer counts as a try."""
    return (
        action in ("action_verify", "action_inform")
        or bool(re.search(rf"\d|\b{MONTH_NAME}\b", correct_spelling(clean(said))))
        or bool(ZH_ANSWER.search(said))
    )


def unreadable_answer(run: Run) -> None:
    run.state["_redact"] = True  # it may hold part of a date of birth or of the digits
    left = count_a_try(run)
    if left:
        run.say(
            text(
                "verification.unreadable_one" if left == 1 else "verification.unreadable_other",
                run.lang,
                left=left,
            )
        )
        run.ask_again()


def verification_turn(action: str, run: Run) -> None:
    if run.awaiting is Awaiting.HUMAN_OFFER:
        human_offer_answer(action, run)
    elif action == "action_wrong_number":
        wrong_number(run)
    elif not try_verification(run):
        if action in DEBT_ACTIONS:
            run.say(text("verification.first", run.lang))
            run.ask(Awaiting.VERIFICATION)
        elif looks_like_an_answer(action, run.turn.text):
            unreadable_answer(run)
        elif action == "action_not_understood":
            not_understood(run)
        else:
            run.ask(Awaiting.VERIFICATION)
