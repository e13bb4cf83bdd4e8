"""Signing keys, chat links, agent passwords, console sessions and CSRF tokens."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.settings import Settings, stored_secret

SESSION_COOKIE = "rb_session"
SESSION_TTL_S = 12 * 3600
_hasher = PasswordHasher()


@lru_cache(maxsize=4)
def secret_key(var_dir: Path, configured: str | None) -> str:
    """REMINDERBOT_SECRET_KEY, or one generated once and kept under var/ so chat links and
    sessions survive a restart."""
    if configured:
        return configured
    return stored_secret(var_dir / "secret_key")


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        secret_key(settings.var_dir, settings.secret_key), salt="chat-link"
    )


class LinkInvalid(Exception):
    def __init__(self, expired: bool):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def chat_token(settings: Settings, account_id: str) -> str:
    return _serializer(settings).dumps({"account_id": account_id})


def chat_link(settings: Settings, account_id: str) -> str:
    return f"{settings.effective_public_base_url}/chat/{chat_token(settings, account_id)}"


def read_chat_token(settings: Settings, token: str) -> str:
    try:
        data = _serializer(settings).loads(token, max_age=settings.chat_link_ttl_minutes * 60)
    except SignatureExpired:
        raise LinkInvalid(expired=True) from None
    except BadSignature:
        raise LinkInvalid(expired=False) from None
    return data["account_id"]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


@dataclass(frozen=True)
class ConsoleSession:
    token: str
    username: str
    role: str
    csrf: str


class Sessions:
    """Console sessions in Redis: the cookie holds only a random token; logout deletes it.
    Each agent's tokens are also kept in a set, so deactivating an agent ends all of them."""

    def __init__(self, redis):
        self.redis = redis

    @staticmethod
    def _key(token: str) -> str:
        return f"console:session:{token}"

    @staticmethod
    def _index(username: str) -> str:
        return f"console:agent-sessions:{username}"

    def create(self, username: str, role: str) -> ConsoleSession:
        session = ConsoleSession(
            secrets.token_urlsafe(32), username, role, secrets.token_urlsafe(32)
        )
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            self._key(session.token),
            mapping={"username": username, "role": role, "csrf": session.csrf},
        )
        pipe.expire(self._key(session.token), SESSION_TTL_S)
        pipe.sadd(self._index(username), session.token)
        pipe.expire(self._index(username), SESSION_TTL_S)  # outlives every session it lists
        pipe.execute()
        return session

    def get(self, token: str | None) -> ConsoleSession | None:
        if not token:
            return None
        data = self.redis.hgetall(self._key(token))
        if not data:
            return None
        d = {k.decode(): v.decode() for k, v in data.items()}
        return ConsoleSession(token, d["username"], d["role"], d["csrf"])

    def delete(self, token: str) -> None:
        username = self.redis.hget(self._key(token), "username")
        self.redis.delete(self._key(token))
        if username:
            self.redis.srem(self._index(username.decode()), token)

    def end_all(self, username: str) -> int:
        """End every session of this agent (deactivated); how many there were."""
        tokens = [t.decode() for t in self.redis.smembers(self._index(username))]
        pipe = self.redis.pipeline(transaction=True)
        for token in tokens:
            pipe.delete(self._key(token))
        pipe.delete(self._index(username))
        ended = pipe.execute()[:-1]
        return sum(int(n) for n in ended)


def csrf_ok(session: ConsoleSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf.encode(), given.encode())
