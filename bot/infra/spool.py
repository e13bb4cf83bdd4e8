"""A local, append-only spool: what must not be lost while the part that should keep it is down
(bot/channels/outage.py keeps customers' inbound messages here while the ledger is down).

One JSON object a line, appended and fsynced before the customer is answered, so a crash of the
gateway (or of the host) right after the answer loses nothing. Several gateway workers share
the directory: appends and the hand-over to a replayer take the same lock file, so a line is
either in the file a replayer took or in the next one, never half in both. The file is 0600: it
holds phone numbers, and its writers keep secrets (verification answers) out of it."""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OPEN = "inbound.jsonl"  # the file being appended to
TAKEN = ".replaying.jsonl"  # a file a replayer took: <time>-<id>.replaying.jsonl
SET_ASIDE = "set-aside.jsonl"  # lines no replay could apply, for a person to read


class Spool:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.directory / ".lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def keep(self, entry: dict) -> dict:
        """Append one entry and fsync it; returns it with its id (its own, which replay uses to
        write it once, or a new one) and the time it was kept."""
        kept = {**entry, "id": entry.get("id") or uuid.uuid4().hex, "kept_at": time.time()}
        with self._locked():
            _append(self.directory / OPEN, kept)
        return kept

    def take(self) -> list[Path]:
        """The files to replay: the open file is handed over (renamed) so new entries start a
        fresh one, plus any a replayer took earlier and did not finish (it crashed, or the
        ledger went down again); oldest first."""
        with self._locked():
            current = self.directory / OPEN
            if current.exists() and current.stat().st_size > 0:
                current.rename(self.directory / f"{time.time_ns()}-{uuid.uuid4().hex}{TAKEN}")
        return sorted(self.directory.glob(f"*{TAKEN}"))

    def pending(self) -> bool:
        """Anything to replay (cheap: a periodic replayer asks this every few seconds)."""
        current = self.directory / OPEN
        has_open = current.exists() and current.stat().st_size > 0
        return has_open or any(self.directory.glob(f"*{TAKEN}"))

    def set_aside(self, entry: dict, why: str) -> None:
        with self._locked():
            _append(self.directory / SET_ASIDE, {**entry, "set_aside_because": why})


def entries(path: Path) -> Iterator[dict]:
    """The entries of a taken file; a torn last line (a crash mid-write) is skipped."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def _append(path: Path, entry: dict) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
