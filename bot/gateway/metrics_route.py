"""GET /metrics: the stack's Prometheus metrics (bot/infra/metrics.py), every process's added up.

A bank does not publish its operational figures: the route answers only a bearer of
METRICS_TOKEN (Prometheus's `authorization` in its scrape config), and is off (403) while the
token is unset. A wrong or missing token gets 401 and no figure. Redis's and the database's
availability and the escalation queue's depth are read at each scrape, so they are as fresh as
the scrape."""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.gateway.deps import LedgerDep, QueueDep, SettingsDep
from bot.infra import metrics
from bot.ledger import db
from bot.ledger.repo import escalations

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 3


def _authorized(settings, authorization: str | None) -> None:
    expected = settings.metrics_token
    if not expected:
        raise HTTPException(403, "metrics are off: set METRICS_TOKEN (docs/operations.md)")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            401, "a valid metrics bearer token is required", headers={"WWW-Authenticate": "Bearer"}
        )


async def _answers(fn) -> bool:
    try:
        return bool(await asyncio.wait_for(asyncio.to_thread(fn), timeout=CHECK_TIMEOUT_S))
    except Exception:  # noqa: BLE001 - any failure means the part is down
        return False


def _queue_depth(session) -> dict[str, int]:
    depth = {"open": 0, "claimed": 0}
    for _reason, status, count in escalations.counts_by_reason_and_status(session):
        if status in depth:
            depth[status] += count
    return depth


@router.get("/metrics", include_in_schema=False)
async def scrape(
    settings: SettingsDep,
    queue: QueueDep,
    ledger: LedgerDep,
    authorization: Annotated[str | None, Header()] = None,
):
    _authorized(settings, authorization)
    redis_up, database_up = await asyncio.gather(
        _answers(lambda: queue.redis.ping()), _answers(lambda: db.ping(settings.sql_url))
    )
    metrics.parts_up({"redis": redis_up, "database": database_up})
    if database_up:
        try:
            depth = await ledger.run(_queue_depth)
        except Exception:  # noqa: BLE001 - the figures still go out, the depth stays as it was
            depth = {}
        for state, count in depth.items():
            metrics.QUEUE_DEPTH.labels(state).set(count)
    metrics.recognizer_pools()
    body = await asyncio.to_thread(generate_latest, metrics.registry())
    return Response(body, media_type=CONTENT_TYPE_LATEST)
