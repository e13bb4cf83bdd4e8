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

from bot.settings import Settings

SESSION_COOKIE = "rb_session"
SESSION_TTL_S = 12 * 3600
_hasher = PasswordHasher()


@lru_cache(maxsize=4)
def secret_key(var_dir: Path, configured: str | None) -> str:
    """REMINDERBOT_SECRET_KEY, or one generated once and kept under var/ so chat links and
    sessions survive a restart."""
    if configured:
        return configured
    path = var_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


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
    """Console sessions in Redis: the cookie holds only a random token; logout deletes it."""

    def __init__(self, redis):
        self.redis = redis

    def create(self, username: str, role: str) -> ConsoleSession:
        session = ConsoleSession(
            secrets.token_urlsafe(32), username, role, secrets.token_urlsafe(32)
        )
        self.redis.hset(
            f"console:session:{session.token}",
            mapping={"username": username, "role": role, "csrf": session.csrf},
        )
        self.redis.expire(f"console:session:{session.token}", SESSION_TTL_S)
        return session

    def get(self, token: str | None) -> ConsoleSession | None:
        if not token:
            return None
        data = self.redis.hgetall(f"console:session:{token}")
        if not data:
            return None
        d = {k.decode(): v.decode() for k, v in data.items()}
        return ConsoleSession(token, d["username"], d["role"], d["csrf"])

    def delete(self, token: str) -> None:
        self.redis.delete(f"console:session:{token}")


def csrf_ok(session: ConsoleSession, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(session.csrf, given)
