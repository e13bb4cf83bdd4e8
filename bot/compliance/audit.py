"""The audit trail: a hash chain that shows whether any record of what the bot did was changed.

A regulator, a customer complaint or an internal review may ask "what exactly happened with this
account, and can you prove nobody edited it since?". Every entry carries the hash of the entry
before it, so altering, inserting or deleting an entry breaks the chain at that point, and
`verify` names the first place it breaks. The hash is a plain SHA-256 (no key): it proves the trail
is internally consistent; someone with write access who rewrites the *whole* chain from the
tampered entry onwards is caught only by comparing the head hash against a copy kept elsewhere
(e.g. the daily report), which is why `verify` also returns it.

Kinds the rest of the system writes (``data`` in brackets; never a date of birth, a full account
or card number, a verification answer or a token — `append` refuses keys and values that look
like one):

- ``contact_attempt`` — a call, SMS or chat started, and its outcome [channel, status]
- ``gate_decision`` — the compliance gate allowed or refused a contact [channel, allowed, reason]
- ``verification`` — right-party verification passed or failed [method, result, tries]
- ``disclosure`` — the jurisdiction's disclosure was given [jurisdiction, text_id]
- ``promise`` — a promise to pay was taken or became kept / broken [promise_id, amount, status]
- ``instalment_plan`` — an instalment plan was requested or approved [months, status]
- ``opt_out`` — the customer asked not to be contacted on a channel [channel]
- ``dispute`` — the customer disputes the debt; contact is paused [dispute_id]
- ``escalation`` — a case went to the agent queue [reason, escalation_id]
- ``agent_action`` — an agent claimed, released or resolved a case [action, escalation_id]
- ``payment`` — a payment was applied to the account [payment_id, amount, balance_after]
- ``purge`` — entries past their retention period were removed [before, purged, anchor]

Concurrency: the gateway, the action server's threads and dialer workers append at the same time
and the chain must never fork. Each append first *updates* the one-row `audit_head`
(``seq = seq + 1``), which takes SQLite's database write lock or PostgreSQL's row lock until the
caller's transaction ends, so appends are strictly serialised; a rolled-back transaction takes its
entry and its head update with it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy.orm import Session

from bot.ledger.repo import audit as chain

GENESIS = "0" * 64

KINDS = frozenset(
    {
        "contact_attempt",
        "gate_decision",
        "verification",
        "disclosure",
        "promise",
        "instalment_plan",
        "opt_out",
        "dispute",
        "escalation",
        "agent_action",
        "payment",
        "purge",
    }
)

# Keys that would put a secret or a full identifier into a record kept for seven years.
_FORBIDDEN_WORDS = frozenset(
    {"dob", "birth", "birthday", "token", "password", "secret", "last4", "pan", "ssn", "answer"}
)
_FORBIDDEN_PHRASES = ("card_number", "cardnumber", "account_number", "accountnumber")
# A value that is nothing but 12-19 digits is a card or bank account number, not a business fact
# (ids are hex, phone numbers start with +).
_LONG_NUMBER = re.compile(r"\d{12,19}")

Problem = Literal["altered", "inserted", "deleted"]


class AuditTampered(RuntimeError):
    """The chain cannot be extended safely; `verify` says where it is broken."""


@dataclass(frozen=True)
class AuditVerdict:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: Problem | None = None
    head_seq: int = 0
    head_hash: str = GENESIS


def canonical_json(value: Any) -> str:
    """One spelling per value (sorted keys, no spaces; Decimals and dates as text)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def _plain(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not allowed in audit data: {type(value).__name__}")


def entry_hash(
    *,
    seq: int,
    at: datetime,
    kind: str,
    account_id: str | None,
    actor: str,
    data_json: str,
    prev_hash: str,
) -> str:
    """SHA-256 of the canonical JSON of everything the entry says, and the hash before it."""
    payload = canonical_json(
        [seq, at.isoformat(), kind, account_id, actor, json.loads(data_json), prev_hash]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _check_no_secrets(value: Any, path: str = "data") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key).lower()
            words = set(re.split(r"[^a-z0-9]+", name))
            if words & _FORBIDDEN_WORDS or any(p in name for p in _FORBIDDEN_PHRASES):
                raise ValueError(f"{path}.{key}: secrets and full numbers never go in the audit")
            _check_no_secrets(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_no_secrets(item, f"{path}[{index}]")
    elif isinstance(value, str) and _LONG_NUMBER.fullmatch(re.sub(r"[ -]", "", value)):
        raise ValueError(f"{path}: looks like a full card or account number")


def _take_head(session: Session, advance: int) -> tuple[int, str]:
    """Lock the head (creating it on an empty ledger) and return the new seq and the last hash."""
    while True:
        head = chain.advance_head(session, advance)
        if head is not None:
            return head
        # No head row: only a brand-new (or wiped) ledger starts a chain here. Two processes may
        # race to create it; the loser's insert waits for the winner's commit, fails on the
        # primary key, and the loser goes round again to take the winner's row.
        if not chain.create_head(session, GENESIS):
            continue
        # With entries or an anchor left, the head was deleted, which would hide deleted
        # entries: refuse (fail closed) until someone has looked at `reminderbot audit verify`.
        if chain.chain_was_started(session):
            raise AuditTampered("the audit head is missing while entries exist")


def append(
    session: Session,
    *,
    kind: str,
    account_id: str | None,
    actor: str,
    data: dict,
    at: datetime | None = None,
) -> int:
    """Add one entry inside the caller's transaction and return its seq.

    Holds the chain's lock until the caller commits: make it the transaction's last write (after
    any row it updates), so the lock is held briefly and two writers never wait on each other.
    `at` defaults to now; pass it only when recording an event that happened moments ago.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    _check_no_secrets(data)
    data_json = canonical_json(data)
    seq, prev_hash = _take_head(session, advance=1)
    # Taken under the lock, so times never go backwards along the chain.
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    digest = entry_hash(
        seq=seq,
        at=at,
        kind=kind,
        account_id=account_id,
        actor=actor,
        data_json=data_json,
        prev_hash=prev_hash,
    )
    chain.add_entry(
        session,
        seq=seq,
        at=at,
        kind=kind,
        account_id=account_id,
        actor=actor,
        data=data_json,
        prev_hash=prev_hash,
        hash=digest,
    )
    chain.set_head_hash(session, digest)
    return seq


def verify(session: Session) -> AuditVerdict:
    """Walk the chain from the anchor (or the start) and report the first break.

    - ``altered``: an entry's hash does not match what it says (its data, time, actor... changed).
    - ``inserted``: an entry does not chain to the one before it, repeats a seq, or lies beyond
      what the head says was ever written. When the *next* entry chains past it, the forged one
      is named.
    - ``deleted``: a seq is missing, the head says more entries were written than are there (or is
      itself missing), or the anchor does not match the last purge record.

    Safe while others append: the head is read before and after the walk, and entries appended
    meanwhile are verified too.
    """
    anchor = chain.read_anchor(session)
    start_seq, start_hash = (anchor.seq, anchor.hash) if anchor else (0, GENESIS)
    head_before = chain.read_head(session)

    rows = chain.entries_in_order(session)
    prev_seq, prev_hash, before_prev_hash = start_seq, start_hash, None
    checked = 0
    last_purge: dict | None = None
    broken: tuple[int | None, Problem] | None = None
    for row in rows:
        if row.seq <= prev_seq:
            broken = (row.seq, "inserted")
        elif row.seq > prev_seq + 1:
            broken = (prev_seq + 1, "deleted")
        elif row.prev_hash != prev_hash:
            if before_prev_hash is not None and row.prev_hash == before_prev_hash:
                broken, checked = (prev_seq, "inserted"), checked - 1
            else:
                broken = (row.seq, "inserted")
        elif row.hash != entry_hash(
            seq=row.seq,
            at=row.at,
            kind=row.kind,
            account_id=row.account_id,
            actor=row.actor,
            data_json=row.data,
            prev_hash=row.prev_hash,
        ):
            broken = (row.seq, "altered")
        if broken:
            break
        if row.kind == "purge":
            last_purge = json.loads(row.data)
        before_prev_hash, prev_seq, prev_hash = prev_hash, row.seq, row.hash
        checked += 1
    rows.close()
    head = chain.read_head(session)
    head_seq, head_hash = head or (start_seq, start_hash)

    def verdict(seq: int | None, problem: Problem | None) -> AuditVerdict:
        return AuditVerdict(
            ok=problem is None,
            checked=checked,
            first_bad_seq=seq,
            problem=problem,
            head_seq=head_seq,
            head_hash=head_hash,
        )

    if head is None or head_before is None:
        if checked or broken or anchor:
            return verdict(None, "deleted")  # the head itself is gone
        return verdict(None, None)
    if prev_seq > head_seq:  # more entries than were ever written through the head
        checked -= prev_seq - head_seq
        return verdict(head_seq + 1, "inserted")
    if broken:
        return verdict(*broken)
    if prev_seq < head_before[0]:
        return verdict(prev_seq + 1, "deleted")
    for seq, digest in (head, head_before):
        if seq == prev_seq and digest != prev_hash:
            return verdict(prev_seq, "altered")
    # The anchor is only believed if the chain itself recorded it.
    if anchor is not None and (
        last_purge is None
        or last_purge.get("anchor_seq") != anchor.seq
        or last_purge.get("anchor_hash") != anchor.hash
    ):
        return verdict(anchor.seq + 1, "deleted")
    return verdict(None, None)


def purge(session: Session, *, before: datetime, actor: str = "retention") -> int:
    """Remove the oldest entries, those written before `before`, and return how many went.

    Only a run from the start of the chain is removed (up to the first entry that is not older),
    so what remains is still one unbroken chain; the last removed entry's seq and hash become the
    anchor verification starts from, and a ``purge`` entry records it in the chain itself.
    Refuses (AuditTampered) while the chain does not verify.
    """
    if before.tzinfo is None:
        raise ValueError("purge needs an aware datetime")
    _take_head(session, advance=0)  # no appends while we cut
    # Never let routine retention destroy the evidence of tampering.
    verdict = verify(session)
    if not verdict.ok:
        raise AuditTampered(
            f"not purging a broken chain: {verdict.problem} at seq {verdict.first_bad_seq}"
        )
    last_cut = chain.last_entry_before(session, before)
    if last_cut is None:
        return 0
    purged = chain.delete_through(session, last_cut.seq)
    chain.set_anchor(session, seq=last_cut.seq, digest=last_cut.hash, at=datetime.now(timezone.utc))
    append(
        session,
        kind="purge",
        account_id=None,
        actor=actor,
        data={
            "before": before.astimezone(timezone.utc).isoformat(),
            "purged": purged,
            "anchor_seq": last_cut.seq,
            "anchor_hash": last_cut.hash,
        },
    )
    return purged
