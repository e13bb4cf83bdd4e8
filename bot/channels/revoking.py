"""Before Rasa, on every text turn (chat, the text API, voice transcripts; SMS has its own texts
in bot/channels/sms.py): an opt-out is honoured whatever Rasa would have made of it and whether
or not Rasa and the action server are up, and a written refusal to pay pauses the account.

TCPA revocation by any reasonable means (FCC 24-24; 47 CFR 64.1200(a)(10), (a)(12));
Reg F §1006.6(e) opt-out, §1006.6(c) cease and refusal in writing.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.compliance import opt_outs
from bot.compliance.revocation import Revocation, answer, refuses_to_pay, revocation
from bot.conversation import wording as say
from bot.conversation.language import normalise
from bot.conversation.messages import text
from bot.ledger.db import session_scope
from bot.ledger.models import Conversation
from bot.ledger.repo import accounts, conversations, dialogue


@dataclass(frozen=True)
class Revoked:
    messages: list[str]
    ended: bool


def before_rasa(queue, conversation: Conversation, words: str) -> Revoked | None:
    """The reply to an opt-out (the conversation's turn is then over, Rasa never sees it), or
    None: the turn goes on to Rasa. A written refusal to pay is recorded and goes on too."""
    found = revocation(words)
    written = conversation.channel in opt_outs.WRITTEN
    # A bare "calls" / "both" in a chat may answer its "which others?" question (read below).
    may_answer = conversation.channel == "chat" and answer(words) is not None
    if found is None and not may_answer and not (written and refuses_to_pay(words)):
        return None  # most turns: nothing to honour, no ledger work
    with session_scope() as session:
        if found is None and conversation.channel == "chat":
            found = _answer_to_the_question(session, conversation, words)
        if found is None:
            opt_outs.refusal_in_writing(
                session,
                queue,
                account_id=conversation.account_id,
                conversation_id=conversation.id,
                came_on=conversation.channel,
                text=words,
            )
            return None
        # Chat closes no outbound channel of its own: an unclear chat opt-out keeps the chat
        # open for the one answer to "which others?".
        keep_open = found.asks_which_others and conversation.channel == "chat"
        done = opt_outs.honour(
            session,
            queue,
            account_id=conversation.account_id,
            conversation_id=conversation.id,
            came_on=conversation.channel,
            found=found,
            text=words,
            actor=conversation.channel,
            end_conversation=not keep_open,
        )
        reply = _reply(
            conversation.channel, found, done.channels, conversation_language(session, conversation)
        )
        conversations.add_turn(session, conversation.id, "customer", words)
        conversations.add_turn(session, conversation.id, "bot", reply)
    return Revoked([reply], ended=not keep_open)


def _answer_to_the_question(session, conversation: Conversation, words: str):
    """ "CALLS" / "BOTH" answering the chat's "which others?" question, as a revocation."""
    asked = opt_outs.pending_question(session, conversation.account_id)
    named = answer(words) if asked else None
    return Revocation(named) if named else None


def conversation_language(session, conversation: Conversation) -> str:
    """The conversation's language (it follows the customer), else the account's."""
    state = dialogue.state(session, conversation.id) or {}
    account = accounts.account(session, conversation.account_id)
    return normalise(state.get("lang") or (account.language if account else None))


def _reply(channel: str, found: Revocation, closed: tuple[str, ...], lang: str = "en") -> str:
    if found.asks_which_others and channel == "chat":
        return text("opt_out.ask_others_chat", lang)
    if found.asks_which_others and channel == "voice":
        return text("opt_out.ask_others_voice", lang)
    if "all" in closed:
        return text("opt_out.all", lang)
    return text("opt_out.channel", lang, channel=say.channel_name(closed[0], lang))
