"""Signed checkpoints of the audit chain's head, kept outside the database.

The chain's hashes have no key: whoever can write the ledger can delete the newest entries and
set the head back to an earlier one (or delete everything), and the chain still verifies by
itself. A checkpoint is {seq, head hash, time} signed with HMAC-SHA256 under a key the database
never holds (AUDIT_CHECKPOINT_KEY, or one derived from the secret key kept under var/), written
as a file to the checkpoint directory (in production: storage the database's users cannot
write, e.g. a bucket with object lock). `check` then proves the chain still reaches that seq
with that hash, so cutting the chain back behind a checkpoint, or emptying it, is caught.

Entries written after the newest checkpoint are protected only once the next one is written:
the gateway writes one every AUDIT_CHECKPOINT_MINUTES, `reminderbot audit checkpoint` on
demand, and the retention purge right after it cuts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy.orm import Session

from bot.ledger.repo import audit as chain
from bot.settings import Settings, stored_secret

KEEP = 200  # older checkpoints add nothing: each newer one covers the chain before it
_PREFIX = "checkpoint-"


class CheckpointRefused(ValueError):
    """A checkpoint file whose signature does not match (forged or damaged): never trusted."""


class ChainCut(RuntimeError):
    """The chain no longer reaches a signed checkpoint or an expected head."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head_hash: str
    at: datetime
    path: Path | None = None


def key(settings: Settings) -> bytes:
    if settings.audit_checkpoint_key:
        return settings.audit_checkpoint_key.encode()
    base = settings.secret_key or stored_secret(settings.var_dir / "secret_key")
    return hmac.new(base.encode(), b"audit-checkpoint", hashlib.sha256).digest()


def _signed_text(seq: int, head_hash: str, at: str) -> bytes:
    return json.dumps([seq, head_hash, at], separators=(",", ":")).encode()


def _signature(secret: bytes, seq: int, head_hash: str, at: str) -> str:
    return hmac.new(secret, _signed_text(seq, head_hash, at), hashlib.sha256).hexdigest()


def write(directory: Path, secret: bytes, *, seq: int, head_hash: str) -> Checkpoint:
    """Sign the head and write it atomically (a reader never sees half a checkpoint)."""
    at = datetime.now(timezone.utc)
    stamp = at.isoformat()
    body = {
        "seq": seq,
        "head_hash": head_hash,
        "at": stamp,
        "signature": _signature(secret, seq, head_hash, stamp),
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{_PREFIX}{seq:012d}-{at:%Y%m%dT%H%M%S%fZ}.json"
    temporary = directory / f".{path.name}.{secrets.token_hex(4)}"
    temporary.write_text(json.dumps(body, indent=1))
    os.replace(temporary, path)
    for old in sorted(directory.glob(f"{_PREFIX}*.json"))[:-KEEP]:
        old.unlink(missing_ok=True)
    return Checkpoint(seq, head_hash, at, path)


def read(path: Path, secret: bytes) -> Checkpoint:
    try:
        body = json.loads(path.read_text())
        seq, head_hash, stamp, given = (
            int(body["seq"]),
            str(body["head_hash"]),
            str(body["at"]),
            str(body["signature"]),
        )
    except (ValueError, KeyError, TypeError):
        raise CheckpointRefused(f"{path.name}: not a checkpoint") from None
    # Bytes, not str: compare_digest refuses non-ASCII str, and a forged file may hold any text.
    expected = _signature(secret, seq, head_hash, stamp).encode()
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected):
        raise CheckpointRefused(f"{path.name}: bad signature (forged, or another key)")
    return Checkpoint(seq, head_hash, datetime.fromisoformat(stamp), path)


def latest(directory: Path, secret: bytes) -> Checkpoint | None:
    """The checkpoint with the highest seq. Every file is checked: one bad signature refuses
    them all (someone who can plant a file there is not to be believed on any of them)."""
    found = [read(path, secret) for path in sorted(directory.glob(f"{_PREFIX}*.json"))]
    return max(found, key=lambda c: (c.seq, c.at), default=None)


def check(session: Session, *, seq: int, head_hash: str) -> None:
    """Raise ChainCut unless the chain still holds entry `seq` with `head_hash`."""
    if seq == 0 and head_hash == "0" * 64:
        return  # taken on an empty chain (the genesis head): it asserts no entry
    anchor = chain.read_anchor(session)
    if anchor is not None and anchor.seq >= seq:
        # A purge may remove the checkpointed entry only by anchoring on it exactly; a cut past
        # it would need a newer checkpoint, which the purge writes at once.
        if anchor.seq == seq and anchor.hash == head_hash:
            return
        raise ChainCut(f"the chain was purged past checkpoint seq {seq}")
    row = chain.entry_at(session, seq)
    if row is None:
        raise ChainCut(f"entry {seq} is gone: the newest entries were deleted")
    if row.hash != head_hash:
        raise ChainCut(f"entry {seq} is not the one checkpointed: the chain was rewritten")


def check_head(session: Session, head_hash: str) -> None:
    """`--expect-head`: the head an operator saw earlier must still be in the chain (at its head
    or behind entries appended since)."""
    anchor = chain.read_anchor(session)
    if anchor is not None and anchor.hash == head_hash:
        return
    if chain.entry_with_hash(session, head_hash) is None:
        raise ChainCut(f"no entry has hash {head_hash}: the chain was cut back or rewritten")


def write_if_moved(session: Session, settings: Settings) -> Checkpoint | None:
    """Checkpoint the current head if it moved since the newest checkpoint, but only while the
    chain still reaches that checkpoint (a cut chain is never signed)."""
    secret, directory = key(settings), settings.effective_audit_checkpoint_dir
    previous = latest(directory, secret)
    if previous is not None:
        check(session, seq=previous.seq, head_hash=previous.head_hash)
    head = chain.read_head(session)
    if head is None or (previous is not None and (previous.seq, previous.head_hash) == head):
        return None
    return write_head(settings, head)


def current_head(session: Session) -> tuple[int, str] | None:
    return chain.read_head(session)


def write_head(settings: Settings, head: tuple[int, str]) -> Checkpoint:
    return write(
        settings.effective_audit_checkpoint_dir, key(settings), seq=head[0], head_hash=head[1]
    )
