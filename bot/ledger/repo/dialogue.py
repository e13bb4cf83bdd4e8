"""The engine's state of a conversation, kept on its ledger row (conversations.dialogue_state)."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from bot.ledger.models import Conversation


def state(session: Session, conversation_id: str) -> dict | None:
    row = session.get(Conversation, conversation_id)
    if row is None or not row.dialogue_state:
        return None
    return json.loads(row.dialogue_state)


def save(session: Session, conversation_id: str, value: dict) -> None:
    session.get(Conversation, conversation_id).dialogue_state = json.dumps(value, sort_keys=True)
