"""Right-party verification: the customer proves who they are before any disclosure.

The ledger keeps only keyed hashes of the answers: HMAC-SHA256, with a key held outside the
database (VERIFICATION_KEY, or var_dir/verification_key), over the account-salted SHA-256 of the
answer. Four digits or a birthday are a tiny space: without the key, a copy of the ledger does
not let anyone try them all offline. The inner SHA-256 is what the ledger held before migration
0004, which wrapped every stored hash in the HMAC without needing the answers."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

MAX_TRIES = 3


def hash_key() -> str:
    from bot.settings import get_settings

    return get_settings().effective_verification_key


def keyed(key: str, inner_hash: str) -> str:
    """The stored form of an account-salted SHA-256 (also what migration 0004 applied)."""
    return hmac.new(key.encode(), inner_hash.encode(), hashlib.sha256).hexdigest()


def secret_hash(account_id: str, value: str, key: str | None = None) -> str:
    # Salted with the account so equal birthdays do not give equal hashes across accounts.
    inner = hashlib.sha256(f"{account_id}:{value}".encode()).hexdigest()
    return keyed(key or hash_key(), inner)


def matches(account_id: str, stored_hash: str, value: str) -> bool:
    return hmac.compare_digest(secret_hash(account_id, value), stored_hash)


def check_answer(
    *, account_id: str, last4_hash: str, dob_hash: str, digits: str | None, dob: date | None
) -> bool:
    """True when the given last four digits or date of birth match the account."""
    if digits and matches(account_id, last4_hash, digits):
        return True
    return bool(dob and matches(account_id, dob_hash, dob.isoformat()))
