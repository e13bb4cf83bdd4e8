"""Shared dependencies: the API token check and the services made in the app's lifespan."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from bot.agents.escalations import EscalationQueue
from bot.channels.turns import Conversations


def require_token(request: Request, authorization: Annotated[str | None, Header()] = None):
    expected = request.app.state.api_token
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )


def conversations(request: Request) -> Conversations:
    return request.app.state.conversations


def queue(request: Request) -> EscalationQueue:
    return request.app.state.queue


Authorized = Depends(require_token)
ConversationsDep = Annotated[Conversations, Depends(conversations)]
QueueDep = Annotated[EscalationQueue, Depends(queue)]
