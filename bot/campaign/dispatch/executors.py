"""What makes a contact: the executor protocol, and the executor that contacts through the
running gateway. (The recording executor for tests and rehearsals is in tests/campaign.)"""

from __future__ import annotations

import contextlib
import time
from typing import Protocol

import redis

from bot.campaign.dispatch.queue import JOB_TTL_S, PREFIX, as_str


class Executor(Protocol):
    """Makes one contact and answers its outcome ("sent", "answered", "no_answer", "busy",
    "failed", "denied:<reason>", ...); raising means it may not have been made.

    An executor may also offer `recorded_outcome(dispatch_key) -> str | None`: its own record of
    a contact already made. A worker reclaiming a crashed job asks it, so the contact is not
    made twice; without it a job found started by a dead worker is closed as
    `unknown_after_crash` (at most once)."""

    def __call__(self, account_id: str, channel: str, dispatch_key: str) -> str: ...


# Twilio call statuses -> campaign outcomes
_CALL_STATUS = {
    "completed": "answered",
    "in-progress": "answered",
    "answered": "answered",
    "no-answer": "no_answer",
    "no_answer": "no_answer",
    "busy": "busy",
    "failed": "failed",
    "canceled": "failed",
}
_CALL_FINAL = frozenset(_CALL_STATUS) - {"in-progress"}


class GatewayUnavailable(RuntimeError):
    """The gateway did not answer, or answered 5xx: the contact may or may not have happened."""


class GatewayExecutor:
    """Contacts through the running gateway:

    - `POST {gateway}/api/accounts/{id}/sms` and `POST {gateway}/api/accounts/{id}/calls`, with
      the bearer token and `Idempotency-Key: <dispatch key>`;
    - 201 -> "sent" (sms) or the call's outcome: the body's `status` mapped (completed ->
      answered, no-answer -> no_answer, busy, failed), and while it is not final and the body has
      a `call_sid`, `GET {gateway}/api/calls/{sid}` is polled for up to `call_wait_s` (a 404
      there ends the polling: "placed");
    - 409 -> "denied:<reason>" (the gateway's own gate refused), 404 -> "unknown_account";
    - anything else raises GatewayUnavailable (the worker retries the job later).

    The outcome is recorded in Redis (`{prefix}:gateway:{key}`, 8 days) as soon as the gateway
    has answered: `recorded_outcome` is how a worker that reclaims a crashed job learns the
    contact was already made."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        client: redis.Redis | None = None,
        prefix: str = PREFIX,
        timeout_s: float = 30.0,
        call_wait_s: float = 90.0,
        poll_s: float = 2.0,
        http=None,
    ):
        import httpx

        self.base_url = base_url.rstrip("/")
        self.redis = client
        self.prefix = prefix
        self.call_wait_s = call_wait_s
        self.poll_s = poll_s
        self.http = http or httpx.Client(
            timeout=timeout_s, headers={"Authorization": f"Bearer {token}"}
        )

    def _record_key(self, dispatch_key: str) -> str:
        return f"{self.prefix}:gateway:{dispatch_key}"

    def recorded_outcome(self, dispatch_key: str) -> str | None:
        if self.redis is None:
            return None
        value = self.redis.get(self._record_key(dispatch_key))
        return None if value is None else as_str(value)

    def __call__(self, account_id: str, channel: str, dispatch_key: str) -> str:
        import httpx

        path = "sms" if channel == "sms" else "calls"
        url = f"{self.base_url}/api/accounts/{account_id}/{path}"
        try:
            response = self.http.post(url, headers={"Idempotency-Key": dispatch_key})
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(f"{url}: {exc}") from exc
        if response.status_code == 201:
            body = _json(response)
            outcome = "sent" if channel == "sms" else self._call_outcome(body)
        elif response.status_code == 409:
            detail = _json(response).get("detail")
            reason = detail.get("reason") if isinstance(detail, dict) else None
            outcome = f"denied:{reason or 'conflict'}"
        elif response.status_code == 404:
            outcome = "unknown_account"
        else:
            raise GatewayUnavailable(f"{url}: HTTP {response.status_code} {response.text[:200]}")
        if self.redis is not None:
            self.redis.set(self._record_key(dispatch_key), outcome, ex=JOB_TTL_S)
        return outcome

    def _call_outcome(self, body: dict) -> str:
        status = str(body.get("status") or "")
        sid = body.get("call_sid") or body.get("sid")
        deadline = time.monotonic() + self.call_wait_s
        while status not in _CALL_FINAL and sid and time.monotonic() < deadline:
            time.sleep(self.poll_s)
            try:
                response = self.http.get(f"{self.base_url}/api/calls/{sid}")
            except Exception:  # noqa: BLE001 - the call was placed; its outcome is unknown
                break
            if response.status_code != 200:
                break
            status = str(_json(response).get("status") or status)
        return _CALL_STATUS.get(status, "placed")


def _json(response) -> dict:
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict):
            return body
    return {}
