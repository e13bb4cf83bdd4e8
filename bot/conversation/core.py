"""What every phase of the conversation works with: a customer turn, the records it decides
(`Effect`s), the context it runs in, its outcome, and `Run`, one turn's work in progress."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.conversation import wording as say
from bot.conversation.awaiting import Awaiting
from bot.conversation.facts import AccountFacts
from bot.conversation.language import follow
from bot.conversation.messages import text
from bot.conversation.policy import Policy
from bot.conversation.wording import Bank

# Digits as Chinese customers say them ("四八二幺"): before verification they are not quoted.
CHINESE_DIGITS = set("零〇一二三四五六七八九十幺两")

# The same question is asked at most this many times the same way (issue #14).
ASK_AT_MOST = 2

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
    def lang(self) -> str:
        """The language the bot now speaks in this conversation (the channels speak, recognise
        and sign in it): the account's, or the customer's own once they switched."""
        return self.state.get("lang") or "en"

    @property
    def redact_customer_text(self) -> bool:
        # Set when the customer's message answered verification (card digits or date of birth).
        return bool(self.state.get("_redact"))


def priority_for(reason: str, days_past_due: int) -> int:
    base = PRIORITY.get(reason, 3)
    return max(1, base - 1) if days_past_due > 90 else base


class Run:
    """One turn's work: collects messages and effects while handlers run. The turn is answered
    in the language the customer wrote it in, when it tells (bot/conversation/language.py)."""

    def __init__(self, state: dict, turn: Turn, ctx: Context):
        self.state = {**state, "pending": dict(state.get("pending", {}))}
        self.state.pop("_redact", None)
        self.state["lang"] = follow(self.state, turn.text, ctx.account.lang)
        self._pending_before = dict(self.state["pending"])
        self.turn = turn
        self.ctx = ctx
        self.messages: list[str] = []
        self.effects: list[Effect] = []

    @property
    def account(self) -> AccountFacts:
        return self.ctx.account

    @property
    def lang(self) -> str:
        """The conversation's language now: every text and every reading of a value uses it."""
        return self.state["lang"]

    @property
    def bank_name(self) -> str:
        return self.ctx.bank.called(self.lang)

    def money(self, amount) -> str:
        return say.money(self.account, amount, self.lang)

    def day(self, value) -> str:
        return say.day(value, self.lang)

    @property
    def awaiting(self) -> Awaiting | None:
        return Awaiting.read(self.state.get("awaiting"))

    @property
    def verified(self) -> bool:
        return self.state.get("phase") == "verified"

    def say(self, text: str) -> None:
        self.messages.append(text)

    def ask(self, awaiting: Awaiting) -> None:
        """Ask `awaiting`. Asked again without an answer in between, it counts: the bot asks
        the same question at most twice, the third time another way (choices, an example of
        the expected form), and after that offers a person (issue #14: no loops). An answer
        that changed the pending values (a corrected date) is progress: the count starts over."""
        awaiting = Awaiting(awaiting)
        count = (
            self.times_asked(awaiting) + 1 if self.state["pending"] == self._pending_before else 1
        )
        if count > ASK_AT_MOST + 1 and awaiting is not Awaiting.HUMAN_OFFER:
            self.offer_a_person(awaiting)
            return
        if count > ASK_AT_MOST + 1:  # cannot answer "would you like a person?" either
            self.escalate("not_understood", "The bot could not understand the customer.")
            self.end(text("human.after_not_understood", self.lang))
            return
        # The state keeps the plain string: it is JSON in a Rasa slot.
        self.state["awaiting"] = awaiting.value
        self.state["asked"] = {"question": awaiting.value, "count": count}
        if count > ASK_AT_MOST:
            self.say(say.reprompt(awaiting, self.state, self.account, self.ctx.policy, self.lang))
        else:
            self.say(say.prompt(awaiting, self.state, self.account, self.ctx.policy, self.lang))

    def times_asked(self, awaiting: Awaiting) -> int:
        """How many times in a row `awaiting` was asked, if it is the last question asked."""
        asked = self.state.get("asked") or {}
        return asked.get("count", 0) if asked.get("question") == Awaiting(awaiting).value else 0

    def ask_again(self) -> None:
        """The awaited question once more, because the answer could not be used (it counts)."""
        self.ask(self.awaiting or Awaiting.OFFER)

    def offer_a_person(self, resume: Awaiting, reason: str = "not_understood") -> None:
        self.state["resume"] = resume.value
        self.state["human_reason"] = reason
        self.say(text("conversation.not_understood_again", self.lang))
        self.ask(Awaiting.HUMAN_OFFER)

    def reask(self) -> None:
        """The awaited question again after an aside (a question answered, a greeting): the
        customer has not tried to answer it, so this does not count."""
        self.say(say.prompt(self.awaiting, self.state, self.account, self.ctx.policy, self.lang))

    def record(self, kind: str, **data) -> None:
        self.effects.append(Effect(kind, data))

    def outcome(self, name: str, captured: str | None = None) -> None:
        self.state["outcomes"] = [*self.state.get("outcomes", []), name]
        if captured:
            self.state["captured"] = [*self.state.get("captured", []), captured]

    def escalate(self, reason: str, detail: str) -> None:
        # The summary is a note for the agents' queue, not words said to the customer.
        captured = "; ".join(self.state.get("captured", [])) or "nothing agreed yet"
        # Before verification the last message may be a (wrong) code or date of birth: a
        # summary goes to the queue, the console and the ledger, so it never quotes one.
        phase, said = self.state.get("phase"), self.turn.text
        if (
            self.state.get("_redact")
            or phase == "verifying"
            or (phase != "verified" and any(c.isdigit() or c in CHINESE_DIGITS for c in said))
        ):
            last = "[not quoted: it may hold a verification answer]"
        else:
            last = repr(said)
        summary = f"{detail} Captured: {captured}. Last message: {last}"
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
