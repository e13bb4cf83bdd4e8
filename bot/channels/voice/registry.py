"""The calls the gateway placed or answered, in Redis: only those may open a media stream, and a
call redirected to other TwiML must not be hung up when its media stream ends.

Each call's `<Stream>` URL carries a single-use random token (Twilio signs the URL, token and
all, so the handshake signature differs per call): it names the one call it was issued for, is
consumed by the first connection, and a call that already has a stream gets no second one.
Redis keeps only the token's SHA-256, never the token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

CALL_TTL_S = 24 * 3600
HUMAN = "human"  # Twilio's AnsweredBy for a person; every other result counts as a machine
# Twilio opens the stream right after fetching the TwiML; a token not used by then is void.
STREAM_TOKEN_TTL_S = 300


@dataclass(frozen=True)
class KnownCall:
    account_id: str | None
    direction: str


def _token_key(token: str) -> str:
    return "voice:stream-token:" + hashlib.sha256(token.encode()).hexdigest()


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

    def detect(self, call_sid: str, result: str) -> str:
        """Settle who answered, once: Twilio's answering-machine result, or "timeout" from the
        media session that waited long enough. The first to settle wins; the result in force
        is returned, so exactly one side acts on it (whichever gateway holds the stream)."""
        key = f"voice:call:{call_sid}"
        self.redis.hsetnx(key, "answered_by", result)
        return self.redis.hget(key, "answered_by").decode()

    def answered_by(self, call_sid: str) -> str | None:
        """The settled result, None while detection runs."""
        value = self.redis.hget(f"voice:call:{call_sid}", "answered_by")
        return value.decode() if value is not None else None

    def redirected(self, call_sid: str) -> bool:
        return self.redis.hget(f"voice:call:{call_sid}", "redirected") is not None

    def get(self, call_sid: str) -> KnownCall | None:
        data = self.redis.hgetall(f"voice:call:{call_sid}")
        if not data:
            return None
        d = {k.decode(): v.decode() for k, v in data.items()}
        return KnownCall(d.get("account_id") or None, d.get("direction", "outbound"))

    # -- the media stream's ticket -----------------------------------------------------------
    def issue_stream_token(self, call_sid: str) -> str:
        """A fresh token for the call's `<Stream>` URL."""
        token = secrets.token_urlsafe(24)
        self.redis.set(_token_key(token), call_sid, ex=STREAM_TOKEN_TTL_S)
        return token

    def consume_stream_token(self, token: str) -> str | None:
        """The call the token was issued for, once: the read and the delete are one transaction,
        so two connections racing with the same token cannot both get it."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(_token_key(token))
        pipe.delete(_token_key(token))
        call_sid, _ = pipe.execute()
        return call_sid.decode() if call_sid else None

    def open_stream(self, call_sid: str) -> bool:
        """True for the call's first stream, False for any later one."""
        return bool(self.redis.hsetnx(f"voice:call:{call_sid}", "streamed", "1"))
