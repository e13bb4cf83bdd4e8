"""The calls the gateway placed or answered, in Redis: only those may open a media stream, and a
call redirected to other TwiML must not be hung up when its media stream ends."""

from __future__ import annotations

from dataclasses import dataclass

CALL_TTL_S = 24 * 3600


@dataclass(frozen=True)
class KnownCall:
    account_id: str | None
    direction: str


class CallRegistry:
    """Calls the gateway placed or answered: only those may open a media stream."""

    def __init__(self, redis):
        self.redis = redis

    def add(self, call_sid: str, account_id: str | None, direction: str) -> None:
        key = f"voice:call:{call_sid}"
        self.redis.hset(key, mapping={"account_id": account_id or "", "direction": direction})
        self.redis.expire(key, CALL_TTL_S)

    def mark_redirected(self, call_sid: str) -> None:
        """The call now runs other TwiML (voicemail, transfer, safe message): the media session
        ending must not hang it up."""
        self.redis.hset(f"voice:call:{call_sid}", "redirected", "1")

    def redirected(self, call_sid: str) -> bool:
        return self.redis.hget(f"voice:call:{call_sid}", "redirected") is not None

    def get(self, call_sid: str) -> KnownCall | None:
        data = self.redis.hgetall(f"voice:call:{call_sid}")
        if not data:
            return None
        d = {k.decode(): v.decode() for k, v in data.items()}
        return KnownCall(d.get("account_id") or None, d.get("direction", "outbound"))
