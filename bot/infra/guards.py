"""What keeps two stacks from tangling: every port checked free before anything starts, a
pid file naming the supervisor and its children, and children that die with their supervisor.

Why each one: a second `make run` while a killed stack's children still held the ports used to
report "Ready" against the old processes (their /health answered). Now a supervisor killed with
-9 takes its children with it (PR_SET_PDEATHSIG), the next start stops any that survived (their
process groups, named in the pid file, checked by start time so a reused pid is never touched),
and a port held by anything else is refused with the port, the part and the holder named.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import signal
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
try:
    # Looked up here, not between fork and exec, where loading a library could deadlock.
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _prctl = None


class StackRefused(RuntimeError):
    """The stack cannot start; the message says why and what to do."""


def die_with_parent() -> None:
    """A preexec_fn: the child gets SIGTERM when the thread that started it dies, even by
    kill -9 (Linux only; elsewhere the pid file's clean-up on the next start is what remains).
    SIGTERM rather than SIGKILL, so Redis and the servers still shut down cleanly."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    # The parent may have died between fork and prctl: then nobody would ever signal us.
    if os.getppid() == 1:
        os.kill(os.getpid(), signal.SIGTERM)


@dataclass(frozen=True)
class Need:
    """A port a part will listen on."""

    part: str
    host: str
    port: int


def holder(port: int) -> str:
    """Who listens on the port, as "pid N (command line)", or "" when it cannot be known."""
    try:
        connections = psutil.net_connections(kind="inet")
    except (psutil.AccessDenied, OSError):
        return ""
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            if conn.pid is None:
                return ""
            try:
                cmd = " ".join(psutil.Process(conn.pid).cmdline())[:160]
            except psutil.Error:
                cmd = "?"
            return f"pid {conn.pid} ({cmd})"
    return ""


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR as the servers set it: a socket in TIME_WAIT is no obstacle, a listener is.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host or "0.0.0.0", port))  # noqa: S104 - a bind test, closed at once
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def check_ports(needs: list[Need]) -> None:
    """Refuse to start (StackRefused) if any port is taken, naming each one and its holder."""
    taken = []
    for need in needs:
        if not port_free(need.host, need.port):
            who = holder(need.port)
            taken.append(
                f"port {need.port} ({need.part}, {need.host}) is taken"
                + (f" by {who}" if who else "")
            )
    if taken:
        raise StackRefused(
            "cannot start the stack: "
            + "; ".join(taken)
            + ". Stop what holds it, or give this stack other ports (GATEWAY_PORT, RASA_PORT, "
            "ACTIONS_PORT, EMBEDDED_REDIS_PORT, TWILIO_SIM_PORT)."
        )


def _started(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _same(pid: int, created: float | None) -> bool:
    """The process is still the one recorded (a pid can be reused after it died)."""
    now = _started(pid)
    return now is not None and created is not None and abs(now - created) < 1.0


class PidFile:
    """var_dir/run/supervisor.json: the supervisor's pid and its children's, with start times."""

    def __init__(self, var_dir: Path):
        self.path = Path(var_dir) / "run" / "supervisor.json"

    def read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def claim(self) -> list[str]:
        """Before a start: refuse if a live supervisor owns this var_dir; stop what a dead one
        left behind. Returns what was cleaned up, to be said."""
        record = self.read()
        if record is None:
            return []
        owner = record.get("supervisor", {})
        if owner.get("pid") != os.getpid() and _same(owner.get("pid", -1), owner.get("created")):
            raise StackRefused(
                f"another supervisor (pid {owner['pid']}) is running the stack of "
                f"{self.path.parent.parent}; stop it first (Ctrl-C, or kill {owner['pid']})"
            )
        left = [
            child
            for child in record.get("children", [])
            if _same(child.get("pid", -1), child.get("created"))
        ]
        stop_groups([c["pid"] for c in left])
        self.path.unlink(missing_ok=True)
        return [
            f"stopped {c['name']} (pid {c['pid']}), left running by a supervisor that died "
            f"(pid {owner.get('pid')})"
            for c in left
        ]

    def write(self, children: dict[str, int]) -> None:
        me = os.getpid()
        record = {
            "supervisor": {"pid": me, "created": _started(me)},
            "children": [
                {"name": name, "pid": pid, "created": _started(pid)}
                for name, pid in children.items()
            ],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(self.path)

    def remove(self) -> None:
        record = self.read()
        if record and record.get("supervisor", {}).get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for a parent to read its status."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def stop_groups(pids: list[int], timeout: float = 10) -> None:
    """SIGTERM each process group (each child leads its own), SIGKILL what is left after
    `timeout` seconds."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(gone(p) for p in pids):
        time.sleep(0.2)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
