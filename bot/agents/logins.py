"""Agents and supervisors of the console."""

from __future__ import annotations

import secrets
from functools import lru_cache

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


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """An argon2 hash of a random password nobody knows, made with the same parameters as the
    agents' own: checking a password against it costs what a real check costs."""
    return hash_password(secrets.token_urlsafe(32))


def authenticate(username: str, password: str, url: str | None = None) -> Agent | None:
    """The agent if the password is right. An unknown or deactivated username still has a
    password hashed (against a dummy hash), so the answer takes as long as for a real agent
    and its speed does not tell which usernames exist."""
    with session_scope(url) as session:
        agent = agents.active_agent(session, username)
        if agent is None:
            password_matches(_dummy_hash(), password)
            return None
        return agent if password_matches(agent.password_hash, password) else None


def is_active(username: str, url: str | None = None) -> bool:
    with session_scope(url) as session:
        return agents.active_agent(session, username) is not None


def deactivate(username: str, url: str | None = None) -> bool:
    """Mark the agent inactive in the ledger (their logins stop at once); False if there is no
    such active agent. End their sessions too (`Sessions.end_all`)."""
    with session_scope(url) as session:
        return agents.deactivate(session, username)
