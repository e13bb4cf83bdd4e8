"""Console login throttling in Redis: per client address, and per username.

Counting: every attempt is counted *before* its password is checked (an atomic INCR), so a
flood of parallel guesses cannot slip past the limit while the hashes run; a successful login
takes its attempt back. Each counter lives for one window from its first attempt (fixed
window): the lock lifts by itself when the window ends, however many refused attempts came in
meanwhile.

Locking a real agent out: a per-username limit alone would let anyone who knows a username keep
that agent out forever (five wrong passwords every fifteen minutes). So the username counter
applies to *unknown* browsers only. A successful login leaves a signed device cookie (a random
id, tied to the username); a browser that presents it counts against its own counter for that
username instead. An attacker without the agent's cookie can lock out only other unknown
browsers; the agent keeps logging in from the browser they used before (a new browser waits for
the window, at most CONSOLE_LOGIN_WINDOW_S). A stolen device cookie buys the same few guesses,
never more.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

DEVICE_COOKIE = "rb_device"
DEVICE_TTL_S = 90 * 24 * 3600


@dataclass(frozen=True)
class Limits:
    per_username: int = 5
    per_address: int = 20
    window_s: int = 15 * 60


# DECR only a live, positive counter: a DECR on an expired key would create one with no expiry.
_TAKE_BACK = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""


def _id(value: str) -> str:
    """A fixed-length key part (usernames and addresses are attacker-chosen text)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


class LoginThrottle:
    def __init__(self, redis, limits: Limits, *, prefix: str = "console:login"):
        self.redis = redis
        self.limits = limits
        self.prefix = prefix

    def _keys(self, username: str, address: str, device: str | None) -> tuple[str, str]:
        user = f"{self.prefix}:user:{_id(username)}"
        if device:
            user = f"{user}:device:{_id(device)}"
        return f"{self.prefix}:address:{_id(address)}", user

    def _count(self, key: str) -> tuple[int, int]:
        """Count one attempt; the window starts with the first."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(key, 0, ex=self.limits.window_s, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
        return int(count), max(int(ttl), 1)

    def attempt(self, username: str, address: str, device: str | None) -> int:
        """Count this attempt; 0 if it may go ahead, else the seconds until the lock lifts."""
        address_key, user_key = self._keys(username, address, device)
        count, ttl = self._count(address_key)
        if count > self.limits.per_address:
            return ttl  # the username's counter is not touched from a blocked address
        count, ttl = self._count(user_key)
        return ttl if count > self.limits.per_username else 0

    def succeeded(self, username: str, address: str, device: str | None) -> None:
        """The right password: clear the username's counter, take the attempt back from the
        address's (an office of agents behind one address is not locked by its own logins)."""
        address_key, user_key = self._keys(username, address, device)
        self.redis.delete(user_key)
        self.redis.eval(_TAKE_BACK, 1, address_key)


class Devices:
    """The device cookie: proof that this browser logged in as this username before."""

    def __init__(self, secret: str):
        self._serializer = URLSafeTimedSerializer(secret, salt="console-device")

    def issue(self, username: str) -> str:
        return self._serializer.dumps({"u": username, "d": secrets.token_urlsafe(16)})

    def device_for(self, cookie: str | None, username: str) -> str | None:
        """The cookie's device id if it is genuine, fresh and for this username."""
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=DEVICE_TTL_S)
        except BadSignature:
            return None
        if not isinstance(data, dict) or data.get("u") != username:
            return None
        return str(data.get("d") or "") or None
