"""Agents and supervisors of the console."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from bot.ledger.db import session_scope
from bot.ledger.models import Agent
from bot.ledger.repo import agents
from bot.web.security import hash_password, password_matches

ROLES = ("agent", "supervisor")


class AgentExists(Exception):
    pass


def add_agent(
    username: str, password: str, *, display_name: str, role: str = "agent", url: str | None = None
) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise ValueError("a password needs at least 10 characters")
    try:
        with session_scope(url) as session:
            agents.add(
                session,
                username=username,
                display_name=display_name,
                role=role,
                password_hash=hash_password(password),
            )
    except IntegrityError:
        raise AgentExists(username) from None


def authenticate(username: str, password: str, url: str | None = None) -> Agent | None:
    with session_scope(url) as session:
        agent = agents.active_agent(session, username)
        if agent and password_matches(agent.password_hash, password):
            return agent
        return None
