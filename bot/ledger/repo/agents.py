"""The console's agents and supervisors."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.ledger.models import Agent


def add(session: Session, *, username: str, display_name: str, role: str, password_hash: str):
    session.add(
        Agent(username=username, display_name=display_name, role=role, password_hash=password_hash)
    )
    session.flush()


def active_agent(session: Session, username: str) -> Agent | None:
    return session.query(Agent).filter_by(username=username, active=True).first()


def active_agents(session: Session) -> list[Agent]:
    return session.query(Agent).filter(Agent.active.is_(True)).order_by(Agent.username).all()


def deactivate(session: Session, username: str) -> bool:
    """True if an active agent was deactivated."""
    updated = (
        session.query(Agent)
        .filter(Agent.username == username, Agent.active.is_(True))
        .update({"active": False}, synchronize_session=False)
    )
    return updated == 1
