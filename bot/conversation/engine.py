"""The reminder conversation as a state machine.

Rasa decides which action a customer's message calls for; this module decides what that action
means at this point of the conversation. It is pure: it returns the messages, the new state and
the records to write (`Effect`s), and never touches a database, so every path is unit-testable.

State is a JSON-able dict kept in a Rasa slot. `phase` moves identity -> verifying -> verified;
`awaiting` names the question the bot is waiting on, so a question or an aside can be answered and
the conversation resumed where it was.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.conversation import wording as say
from bot.conversation.facts import AccountFacts
from bot.conversation.plans import allowed_months, check_promise, instalment_plan
from bot.conversation.policy import Policy
from bot.conversation.understanding import parse as nz
from bot.conversation.verification import MAX_TRIES, check_answer
from bot.conversation.wording import Bank

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
ALL_CHANNEL_WORDS = {
    "all",
    "any",
    "anything",
    "everything",
    "contact",
    "contacting",
    "cease",
    "everyone",
    "stopall",
}
# Outcomes in the order that decides a conversation's disposition.
DISPOSITIONS = (
    "opted_out",
    "wrong_number",
    "verification_failed",
    "promise_to_pay",
    "instalment_request",
    "extension_request",
    "pay_now",
    "dispute",
    "already_paid",
    "hardship",
    "callback",
    "refusal",
    "escalated",
    "technical_failure",
)
PRIORITY = {
    "customer_request": 1,
    "technical_failure": 1,
    "dispute": 2,
    "already_paid": 2,
    "hardship": 2,
    "not_understood": 2,
    "verification_failed": 3,
    "instalment_approval": 3,
    "extension_request": 3,
    "refusal": 3,
}


@dataclass(frozen=True)
class Turn:
    text: str
    intent: str | None = None
    entities: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Effect:
    """A record to write: kind is promise, instalment, dispute, already_paid, hardship, callback,
    opt_out, wrong_number, escalation, pause, verified, disclosed or ended."""

    kind: str
    data: dict = field(default_factory=dict)


@dataclass
class Context:
    account: AccountFacts
    now: datetime  # aware
    policy: Policy
    bank: Bank

    @property
    def today(self) -> date:
        return self.account.local_now(self.now).date()


@dataclass
class Outcome:
    messages: list[str]
    state: dict
    effects: list[Effect]

    @property
    def ended(self) -> bool:
        return bool(self.state.get("ended"))

    @property
    def redact_customer_text(self) -> bool:
        # Set when the customer's message answered verification (card digits or date of birth).
        return bool(self.state.get("_redact"))


def priority_for(reason: str, days_past_due: int) -> int:
    base = PRIORITY.get(reason, 3)
    return max(1, base - 1) if days_past_due > 90 else base


def start(*, conversation_id: str, channel: str, ctx: Context) -> Outcome:
    state = {
        "conversation_id": conversation_id,
        "account_id": ctx.account.account_id,
        "channel": channel,
        "phase": "identity",
        "awaiting": "identity",
        "tries": 0,
        "misunderstood": 0,
        "pending": {},
        "captured": [],
        "outcomes": [],
    }
    return Outcome([say.opening(ctx.account, ctx.bank, channel)], state, [])


class _Run:
    """One turn's work: collects messages and effects while handlers run."""

    def __init__(self, state: dict, turn: Turn, ctx: Context):
        self.state = {**state, "pending": dict(state.get("pending", {}))}
        self.state.pop("_redact", None)
        self.turn = turn
        self.ctx = ctx
        self.messages: list[str] = []
        self.effects: list[Effect] = []

    # -- helpers ------------------------------------------------------------------------------
    @property
    def account(self) -> AccountFacts:
        return self.ctx.account

    @property
    def awaiting(self) -> str | None:
        return self.state.get("awaiting")

    @property
    def verified(self) -> bool:
        return self.state.get("phase") == "verified"

    def say(self, text: str) -> None:
        self.messages.append(text)

    def ask(self, awaiting: str) -> None:
        self.state["awaiting"] = awaiting
        self.say(say.prompt(awaiting, self.state, self.account, self.ctx.policy))

    def reask(self) -> None:
        self.say(say.prompt(self.awaiting, self.state, self.account, self.ctx.policy))

    def record(self, kind: str, **data) -> None:
        self.effects.append(Effect(kind, data))

    def outcome(self, name: str, captured: str | None = None) -> None:
        self.state["outcomes"] = [*self.state.get("outcomes", []), name]
        if captured:
            self.state["captured"] = [*self.state.get("captured", []), captured]

    def escalate(self, reason: str, detail: str) -> None:
        captured = "; ".join(self.state.get("captured", [])) or "nothing agreed yet"
        summary = f"{detail} Captured: {captured}. Last message: {self.turn.text!r}"
        self.record(
            "escalation",
            reason=reason,
            priority=priority_for(reason, self.account.days_past_due),
            summary=summary[:1000],
        )
        if "escalated" not in self.state.get("outcomes", []):
            self.outcome("escalated")

    def end(self, text: str | None = None) -> None:
        if text:
            self.say(text)
        outcomes = self.state.get("outcomes", [])
        disposition = next((d for d in DISPOSITIONS if d in outcomes), "no_commitment")
        self.state["ended"] = True
        self.state["awaiting"] = None
        self.record("ended", disposition=disposition)

    def entity_or_text(self, name: str) -> str:
        return self.turn.entities.get(name) or self.turn.text

    def done(self) -> Outcome:
        return Outcome(self.messages, self.state, self.effects)


def handle(action: str, turn: Turn, state: dict, ctx: Context) -> Outcome:
    """Run one customer turn that Rasa mapped to `action`."""
    run = _Run(state, turn, ctx)
    if run.state.get("ended"):
        run.say("This conversation has ended. Thank you.")
        return run.done()
    if action in GLOBAL:
        GLOBAL[action](run)
    elif run.state["phase"] == "identity":
        _identity_turn(action, run)
    elif run.state["phase"] == "verifying":
        _verification_turn(action, run)
    elif run.awaiting in FREE_TEXT:
        FREE_TEXT[run.awaiting](run)
    else:
        HANDLERS.get(action, _not_understood)(run)
    if action != "action_not_understood" and not run.state.get("_kept_misunderstood"):
        run.state["misunderstood"] = 0
    run.state.pop("_kept_misunderstood", None)
    return run.done()


# -- anywhere in the conversation -------------------------------------------------------------
def _opt_out(run: _Run) -> None:
    words = set(re.findall(r"[a-z]+", run.turn.text.lower()))
    if words & ALL_CHANNEL_WORDS:
        channel = "all"
    elif any(w.startswith(("call", "phon", "ring")) for w in words):
        channel = "voice"
    elif any(w.startswith(("text", "sms", "messag")) for w in words):
        channel = "sms"
    else:
        channel = run.state.get("channel", "all")
    run.record("opt_out", channel=channel, text=run.turn.text[:500])
    run.outcome("opted_out")
    where = "in any way" if channel == "all" else f"by {_channel_words(channel)}"
    run.end(
        f"Understood. We have recorded your request and will not contact you {where} again. "
        "Goodbye."
    )


def _channel_words(channel: str) -> str:
    return {"voice": "phone", "sms": "text message", "chat": "chat"}.get(channel, channel)


def _human(run: _Run) -> None:
    run.escalate("customer_request", "The customer asked to speak with a person.")
    run.end(
        "Of course. I've passed your request to a member of our team, who will contact you "
        f"within one business day. You can also call us on {run.ctx.bank.phone}. Goodbye."
    )


def _callback(run: _Run) -> None:
    when = nz.parse_callback_time(
        run.entity_or_text("callback_time"), now=run.account.local_now(run.ctx.now)
    )
    if when is None:
        run.ask("callback_time")
        return
    run.record("callback", callback_at=when.isoformat(), text=run.turn.text[:500])
    run.outcome("callback", f"a call back on {say.local_time(when)}")
    run.end(f"Thank you. We'll call you back on {say.local_time(when)}, your time. Goodbye.")


def _answer_question(run: _Run) -> None:
    intent = run.turn.intent or ""
    acct, bank = run.account, run.ctx.bank
    if intent in ("ask_who_calling", "bot_challenge"):
        robot = "Yes, I'm an automated assistant. " if intent == "bot_challenge" else ""
        run.say(f"{robot}This is the automated assistant of {bank.name}.")
    elif not run.verified:
        run.say(
            f"I can only discuss that with {acct.customer_name} once I've confirmed "
            "who I'm speaking with."
        )
    elif intent == "ask_amount":
        run.say(
            f"Your overdue balance is {say.money(acct, acct.balance)}, and the minimum "
            f"payment is {say.money(acct, acct.minimum_due)}."
        )
    elif intent == "ask_due_date":
        run.say(
            f"The minimum payment was due on {nz.format_date(acct.due_date)}; the account "
            f"is {acct.days_past_due} days past due."
        )
    elif intent == "ask_how_to_pay":
        run.say(_payment_options(run))
    elif intent == "ask_fees":
        run.say(" ".join(run.ctx.policy.fees.split()))
    else:  # ask_why_calling
        run.say(
            f"I'm contacting you about your {acct.product_name}, which has an overdue "
            f"balance of {say.money(acct, acct.balance)}."
        )
    run.reask()


def _payment_options(run: _Run) -> str:
    bank = run.ctx.bank
    options = [
        o.format(payment_url=bank.payment_url, bank_phone=bank.phone)
        for o in run.ctx.policy.payment_options
    ]
    return "You can pay " + "; ".join(options[:-1]) + "; or " + options[-1] + "."


def _goodbye(run: _Run) -> None:
    _close(run)


def _greet(run: _Run) -> None:
    run.say("Hello!")
    run.reask()


def _not_understood(run: _Run) -> None:
    # A verification answer may look like nothing Rasa knows ("1 2 3 4"); try it first.
    if run.state["phase"] == "verifying" and _try_verification(run):
        return
    if run.awaiting in ("already_paid_details", "extension_plan"):
        FREE_TEXT[run.awaiting](run)
        return
    count = run.state.get("misunderstood", 0) + 1
    run.state["misunderstood"] = count
    run.state["_kept_misunderstood"] = True
    if count >= 2 and run.awaiting != "human_offer":
        run.state["resume"] = run.awaiting
        run.say("Sorry, I'm having trouble understanding.")
        run.ask("human_offer")
        return
    run.say("Sorry, I didn't get that.")
    run.reask()


def _close(run: _Run) -> None:
    captured = run.state.get("captured", [])
    summary = ""
    if captured:
        summary = "To summarise, I've recorded " + _join(captured) + ". "
    run.end(f"{summary}Thank you for your time, {run.account.first_name}. Goodbye.")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


GLOBAL = {
    "action_opt_out": _opt_out,
    "action_human": _human,
    "action_callback": _callback,
    "action_answer_question": _answer_question,
    "action_goodbye": _goodbye,
    "action_greet": _greet,
}


# -- right party and verification -------------------------------------------------------------
def _identity_turn(action: str, run: _Run) -> None:
    awaiting = run.awaiting
    if action == "action_wrong_number":
        run.record("wrong_number")
        run.outcome("wrong_number")
        run.end("Sorry for the trouble. We'll update our records. Goodbye.")
    elif awaiting == "human_offer":
        _human_offer_answer(action, run)
    elif awaiting == "third_party_callback":
        _third_party_answer(action, run)
    elif action == "action_confirm":
        run.state["phase"] = "verifying"
        run.say("Thank you.")
        run.ask("verification")
    elif action == "action_verify":
        run.state.update(phase="verifying", awaiting="verification")
        _verification_turn(action, run)
    elif action in ("action_decline", "action_not_available"):
        run.say(f"No problem. I can only speak with {run.account.first_name} directly.")
        run.ask("third_party_callback")
    elif action == "action_not_understood":
        _not_understood(run)
    else:
        run.say("Before we go on, I need to know who I'm speaking with.")
        run.reask()


def _third_party_answer(action: str, run: _Run) -> None:
    when = nz.parse_callback_time(run.turn.text, now=run.account.local_now(run.ctx.now))
    if when is not None:
        run.record("callback", callback_at=when.isoformat(), text=run.turn.text[:500])
        run.outcome("callback")
        run.end(f"Thank you. We'll try again on {say.local_time(when)}. Goodbye.")
    elif action == "action_confirm":
        run.say("Thank you.")
        run.reask()
    else:
        run.end("Thank you for your time. Goodbye.")


def _try_verification(run: _Run) -> bool:
    """Check a verification answer if the message holds one; False if it holds none."""
    digits = nz.parse_digits(run.entity_or_text("digits"))
    dob = nz.parse_dob(run.entity_or_text("dob"))
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
        run.say(
            f"Thank you, {acct.first_name}. " + say.disclosure(acct, run.ctx.bank, run.ctx.policy)
        )
        run.say(say.account_facts(acct))
        run.ask("offer")
        return True
    tries = run.state.get("tries", 0) + 1
    run.state["tries"] = tries
    run.record("verified", result=False, attempt=tries)
    if tries >= MAX_TRIES:
        run.outcome("verification_failed")
        run.escalate("verification_failed", f"Verification failed {tries} times.")
        run.end(
            "I'm sorry, I couldn't confirm your identity, so I can't go on. A member of our "
            f"team will follow up, or you can call us on {run.ctx.bank.phone}. Goodbye."
        )
        return True
    left = MAX_TRIES - tries
    run.say(
        f"That doesn't match our records. You have {left} more "
        f"{'try' if left == 1 else 'tries'}."
    )
    run.reask()
    return True


def _verification_turn(action: str, run: _Run) -> None:
    if run.awaiting == "human_offer":
        _human_offer_answer(action, run)
    elif action == "action_wrong_number":
        _identity_turn(action, run)
    elif not _try_verification(run):
        if action == "action_not_understood":
            _not_understood(run)
            return
        if action in DEBT_ACTIONS:
            run.say("Before we go on, I need to verify your identity.")
        run.ask("verification")


# -- after verification -----------------------------------------------------------------------
def _confirm(run: _Run) -> None:
    awaiting = run.awaiting
    if awaiting == "offer":
        run.state["pending"] = {
            "amount": str(run.account.minimum_due),
            "date": run.ctx.today.isoformat(),
        }
        run.ask("promise_confirm")
    elif awaiting == "promise_confirm":
        _record_promise(run)
    elif awaiting == "counter_offer":
        run.state["pending"]["date"] = run.state["pending"]["latest"]
        _advance_promise(run)
    elif awaiting == "instalment_offer":
        _instalments(run)
    elif awaiting == "instalment_confirm":
        _record_plan(run)
    elif awaiting == "human_offer":
        _human_offer_answer("action_confirm", run)
    elif awaiting == "anything_else":
        run.say("Of course. What else can I help you with?")
        run.state["awaiting"] = "offer"
    else:
        _fill_promise(run)


def _decline(run: _Run) -> None:
    awaiting = run.awaiting
    if awaiting in ("anything_else", None):
        _close(run)
    elif awaiting == "offer":
        run.say("That's all right. If paying now is hard, I can also offer an instalment plan.")
        run.ask("promise_details")
    elif awaiting == "promise_confirm":
        run.state["pending"] = {}
        run.say("No problem.")
        run.ask("promise_details")
    elif awaiting == "counter_offer":
        _offer_instalments(run)
    elif awaiting == "instalment_offer":
        if run.state.get("hardship"):
            run.outcome("hardship")
            run.escalate("hardship", "Customer in hardship declined an instalment plan.")
            run.say(
                "I understand. I've asked a specialist from our team to contact you within "
                f"{run.ctx.policy.hardship_followup_days} business days to discuss your "
                "situation."
            )
            run.ask("anything_else")
        else:
            run.say("All right.")
            run.ask("promise_details")
    elif awaiting == "instalment_confirm":
        run.state["pending"].pop("plan", None)
        run.say("No problem.")
        run.ask("instalment_months")
    elif awaiting == "human_offer":
        _human_offer_answer("action_decline", run)
    else:
        run.reask()


def _human_offer_answer(action: str, run: _Run) -> None:
    if action == "action_confirm":
        run.escalate("not_understood", "The bot could not understand the customer twice.")
        run.end(
            "I've asked a member of our team to contact you within one business day. " "Goodbye."
        )
        return
    run.state["misunderstood"] = 0
    run.say("All right, let's try again.")
    run.ask(run.state.pop("resume", None) or "offer")


def _inform(run: _Run) -> None:
    awaiting = run.awaiting
    if awaiting in ("instalment_months", "instalment_confirm", "instalment_offer"):
        _instalments(run)
    elif awaiting == "callback_time":
        _callback(run)
    elif awaiting in FREE_TEXT:
        FREE_TEXT[awaiting](run)
    else:
        _fill_promise(run)


def _fill_promise(run: _Run) -> None:
    acct, pending = run.account, run.state["pending"]
    amount = nz.parse_amount(
        run.entity_or_text("amount"), balance=acct.balance, minimum_due=acct.minimum_due
    )
    if amount is None and run.turn.entities.get("amount"):
        amount = nz.parse_amount(run.turn.text, balance=acct.balance, minimum_due=acct.minimum_due)
    when = nz.parse_pay_date(run.entity_or_text("pay_date"), today=run.ctx.today)
    if when is None and run.turn.entities.get("pay_date"):
        when = nz.parse_pay_date(run.turn.text, today=run.ctx.today)
    if (
        amount is None
        and when is None
        and run.awaiting
        not in ("promise_amount", "promise_date", "promise_details", "counter_offer")
    ):
        run.ask("promise_details")
        return
    if amount is not None:
        pending["amount"] = str(amount)
    if when is not None:
        pending["date"] = when.isoformat()
    _advance_promise(run)


def _advance_promise(run: _Run) -> None:
    acct, pending = run.account, run.state["pending"]
    if "amount" not in pending:
        run.ask("promise_amount")
        return
    if "date" not in pending:
        run.ask("promise_date")
        return
    check = check_promise(
        amount=Decimal(pending["amount"]),
        pay_date=date.fromisoformat(pending["date"]),
        today=run.ctx.today,
        balance=acct.balance,
        minimum_due=acct.minimum_due,
        policy=run.ctx.policy,
    )
    pending["amount"] = str(check.amount)
    pending["latest"] = check.latest_date.isoformat()
    if check.problem == "too_late":
        pending.pop("date")
        run.say(
            f"I can only arrange a payment within {run.ctx.policy.promise_max_days_ahead} " "days."
        )
        run.ask("counter_offer")
    elif check.problem == "below_minimum":
        pending.pop("amount")
        run.say(f"The minimum payment is {say.money(acct, acct.minimum_due)}.")
        run.ask("promise_amount")
    elif check.problem:
        pending.pop("amount" if check.problem == "not_positive" else "date")
        run.ask("promise_amount" if check.problem == "not_positive" else "promise_date")
    else:
        pending["partial"] = check.partial
        if check.partial:
            run.say(
                f"That's less than the minimum of {say.money(acct, acct.minimum_due)}; I can "
                "note it as a partial payment and we'll follow up about the rest."
            )
        run.ask("promise_confirm")


def _record_promise(run: _Run) -> None:
    acct, pending = run.account, run.state["pending"]
    amount, due = Decimal(pending["amount"]), date.fromisoformat(pending["date"])
    promise_id = uuid.uuid4().hex
    follow_up = (
        due + timedelta(days=run.ctx.policy.follow_up_days_after_partial)
        if pending.get("partial")
        else None
    )
    run.record(
        "promise",
        id=promise_id,
        amount=str(amount),
        currency=acct.currency,
        due_date=due.isoformat(),
        follow_up_on=follow_up and follow_up.isoformat(),
    )
    words = f"a promise to pay {say.money(acct, amount)} by {nz.format_date(due)}"
    run.outcome("promise_to_pay", words)
    run.state["pending"] = {}
    run.say(f"Thank you. I've recorded {words}.")
    run.say(
        f"Receipt: promise to pay {say.money(acct, amount)} by {due.isoformat()}, "
        f"reference {promise_id[:8].upper()}."
    )
    if follow_up:
        run.say(f"We'll follow up about the rest on {nz.format_date(follow_up)}.")
    run.ask("anything_else")


def _pay_now(run: _Run) -> None:
    run.outcome("pay_now", "that you intend to pay now")
    run.say(_payment_options(run))
    run.ask("anything_else")


def _offer_instalments(run: _Run) -> None:
    if not allowed_months(run.account.product, run.ctx.policy):
        _extension(run)
        return
    run.ask("instalment_offer")


def _instalments(run: _Run) -> None:
    acct, policy = run.account, run.ctx.policy
    options = allowed_months(acct.product, policy)
    if not options:
        run.say(
            f"Instalment plans aren't available for a {acct.product_name}, but I can pass "
            "an extension request to your relationship manager."
        )
        run.ask("extension_plan")
        return
    months = nz.parse_months(run.entity_or_text("months"))
    if months is None or months not in options:
        if months is not None:
            run.say(f"Plans are available over {' or '.join(map(str, options))} months.")
        run.ask("instalment_months")
        return
    plan = instalment_plan(balance=acct.balance, months=months, today=run.ctx.today, policy=policy)
    run.state["pending"]["plan"] = say.plan_to_state(plan)
    run.ask("instalment_confirm")


def _record_plan(run: _Run) -> None:
    acct, plan = run.account, run.state["pending"].pop("plan")
    status = "approved" if plan["auto_approved"] else "pending_approval"
    run.record(
        "instalment",
        id=uuid.uuid4().hex,
        months=plan["months"],
        monthly_amount=plan["monthly_amount"],
        fee=plan["fee"],
        currency=acct.currency,
        first_due_date=plan["first_due_date"],
        status=status,
    )
    words = (
        f"an instalment request for {plan['months']} monthly payments of "
        f"{say.money(acct, plan['monthly_amount'])}"
    )
    run.outcome("instalment_request", words)
    if plan["auto_approved"]:
        run.say(
            f"Done: your {plan['months']}-month plan is approved. The first payment of "
            f"{say.money(acct, plan['monthly_amount'])} is due on "
            f"{nz.format_date(date.fromisoformat(plan['first_due_date']))}."
        )
    else:
        run.escalate("instalment_approval", f"Instalment plan needs approval: {words}.")
        run.say(
            "Thank you. I've submitted your request; our team will review it and confirm "
            "within two business days."
        )
    run.ask("anything_else")


def _hardship(run: _Run) -> None:
    run.record("hardship", text=run.turn.text[:1000])
    run.state["hardship"] = True
    run.say("I'm sorry to hear that, and thank you for telling me.")
    if nz.parse_months(run.turn.text, explicit=True) and allowed_months(
        run.account.product, run.ctx.policy
    ):
        _instalments(run)
        return
    if not allowed_months(run.account.product, run.ctx.policy):
        _extension(run)
        return
    run.say("We have options that may help, such as spreading the balance over several months.")
    run.ask("instalment_offer")


def _dispute(run: _Run) -> None:
    run.record("dispute", text=run.turn.text[:1000])
    run.record("pause", reason="dispute")
    run.outcome("dispute", "your dispute")
    run.escalate("dispute", "The customer disputes the debt.")
    run.say(
        "I've recorded your dispute. We'll pause collection on this account while our team "
        "reviews it, and they'll contact you with the outcome."
    )
    run.ask("anything_else")


def _already_paid(run: _Run) -> None:
    run.ask("already_paid_details")


def _already_paid_details(run: _Run) -> None:
    run.record("already_paid", details=run.turn.text[:1000])
    run.record("pause", reason="already_paid")
    run.outcome("already_paid", "your payment details")
    run.escalate("already_paid", f"Customer says they already paid: {run.turn.text[:300]}")
    run.say(
        "Thank you. We'll pause reminders while we check our records and contact you if "
        "anything is still due."
    )
    run.ask("anything_else")


def _refusal(run: _Run) -> None:
    run.outcome("refusal")
    run.escalate("refusal", "The customer refused to pay.")
    run.say(
        "I understand, and I've noted it. If anything changes, we can help with options such "
        f"as an instalment plan; you can reach us on {run.ctx.bank.phone}."
    )
    run.ask("anything_else")


def _extension(run: _Run) -> None:
    if run.account.product != "business_loan":
        run.say("For this account I can offer an instalment plan instead of an extension.")
        run.ask("instalment_offer")
        return
    run.say("I can pass an extension request to your relationship manager.")
    run.ask("extension_plan")


def _extension_plan(run: _Run) -> None:
    run.outcome("extension_request", "your extension request")
    run.escalate("extension_request", f"Extension requested. Proposed plan: {run.turn.text[:500]}")
    run.say(
        "Thank you. Your relationship manager will review the extension request and contact " "you."
    )
    run.ask("anything_else")


def _wrong_number_late(run: _Run) -> None:
    run.reask()


FREE_TEXT = {
    "already_paid_details": _already_paid_details,
    "extension_plan": _extension_plan,
}

HANDLERS = {
    "action_confirm": _confirm,
    "action_decline": _decline,
    "action_inform": _inform,
    "action_verify": _inform,
    "action_take_promise": _fill_promise,
    "action_pay_now": _pay_now,
    "action_instalments": _instalments,
    "action_hardship": _hardship,
    "action_dispute": _dispute,
    "action_already_paid": _already_paid,
    "action_refusal": _refusal,
    "action_extension": _extension,
    "action_not_available": _wrong_number_late,
    "action_wrong_number": _wrong_number_late,
    "action_not_understood": _not_understood,
}

ACTIONS = sorted({*HANDLERS, *GLOBAL, "action_open_conversation"})
