"""The supervisor with real processes: it refuses a taken port (naming it and its holder), its
children leave within the bound of a SIGTERM even with a console WebSocket open, and they die
with it when it is killed with -9; the next start stops what a dead supervisor left behind.

The supervisor runs as `reminderbot run` does (`run_forever`), in its own process, on free ports
and its own var_dir. The bounds are generous: they assert that an exit happens, not how fast."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
import redis as redis_lib

from bot.infra.guards import Need, PidFile, StackRefused, check_ports, gone
from bot.infra.launcher import free_port
from bot.settings import ROOT, Settings

EXIT_BOUND_S = 40  # generous on 2 shared cores; the product's own bound is 10 s per rank
START_BOUND_S = 180
SUPERVISE = (
    "import sys; from bot.infra.supervisor import run_forever; from bot.settings import "
    "get_settings; run_forever(get_settings(), 'test-api-token')"
)


def stack_env(var_dir: Path, **ports: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_", "DATABASE_"))}
    names = ("gateway", "rasa", "actions", "embedded_redis", "twilio_sim")
    env.update({f"{name.upper()}_PORT": str(ports.get(name) or free_port()) for name in names})
    env.update(
        REMINDERBOT_VAR_DIR=str(var_dir),
        REMINDERBOT_API_TOKEN="test-api-token",
        PYTHONPATH=str(ROOT),
    )
    env.pop("TWILIO_API_BASE", None)  # the stack's own simulator is one of the children
    return env


def supervise(var_dir: Path, **ports: int) -> tuple[subprocess.Popen, dict[str, str]]:
    env = stack_env(var_dir, **ports)
    proc = subprocess.Popen(
        [sys.executable, "-c", SUPERVISE],
        cwd=ROOT,
        env=env,
        stdout=(var_dir / "supervisor.out").open("wb"),
        stderr=(var_dir / "supervisor.err").open("wb"),
        start_new_session=True,
    )
    return proc, env


def children(var_dir: Path, want: set[str]) -> dict[str, int]:
    """The children the supervisor recorded, once every one in `want` is there and running."""
    deadline = time.monotonic() + START_BOUND_S
    while time.monotonic() < deadline:
        record = PidFile(var_dir).read() or {}
        found = {c["name"]: c["pid"] for c in record.get("children", [])}
        if want <= set(found) and not any(gone(pid) for pid in found.values()):
            return found
        time.sleep(0.5)
    raise AssertionError(f"the supervisor did not start {want}: {PidFile(var_dir).read()}")


def wait_gone(pids, bound: float = EXIT_BOUND_S) -> list[int]:
    """The pids still running after `bound` seconds (none, if all exited)."""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if all(gone(pid) for pid in pids):
            return []
        time.sleep(0.25)
    return [pid for pid in pids if not gone(pid)]


def wait_listening(url: str) -> None:
    deadline = time.monotonic() + START_BOUND_S
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=5)  # any answer: degraded (no model) is fine here
            return
        except httpx.HTTPError:
            time.sleep(1)
    raise AssertionError(f"nothing answered at {url}")


def cleanup(proc: subprocess.Popen, var_dir: Path) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    record = PidFile(var_dir).read() or {}
    for child in record.get("children", []):
        if not gone(child["pid"]):
            os.killpg(child["pid"], signal.SIGKILL)


@contextlib.contextmanager
def open_websocket(port: int, path: str, cookie: str):
    """A WebSocket opened by hand (websockets 10 has no sync client) and held open, idle."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nCookie: {cookie}\r\n\r\n"
        ).encode()
    )
    answer = sock.recv(4096).decode(errors="replace")
    try:
        assert answer.startswith("HTTP/1.1 101"), answer
        yield sock
    finally:
        sock.close()


def test_a_taken_port_is_refused_with_its_holder(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        proc, _env = supervise(tmp_path, gateway=port)
        try:
            proc.wait(EXIT_BOUND_S)
        finally:
            cleanup(proc, tmp_path)
    err = (tmp_path / "supervisor.err").read_text()
    assert proc.returncode != 0
    assert f"port {port} (gateway, 127.0.0.1) is taken by pid {os.getpid()}" in err, err
    # Nothing was started: no "Ready" against whatever holds the port.
    out = (tmp_path / "supervisor.out").read_text()
    assert "started" not in out and "Ready" not in out, out
    assert PidFile(tmp_path).read() is None


def test_check_ports_names_every_taken_port():
    with socket.socket() as a, socket.socket() as b:
        for sock in (a, b):
            sock.bind(("127.0.0.1", 0))
            sock.listen()
        rasa, actions, free = a.getsockname()[1], b.getsockname()[1], free_port()
        needs = [
            Need("rasa", "127.0.0.1", rasa),
            Need("actions", "127.0.0.1", actions),
            Need("gateway", "127.0.0.1", free),
        ]
        with pytest.raises(StackRefused) as refused:
            check_ports(needs)
        check_ports(needs[2:])  # a free port passes
    message = str(refused.value)
    assert f"port {rasa} (rasa, 127.0.0.1) is taken by pid {os.getpid()}" in message
    assert f"port {actions} (actions" in message
    assert f"port {free} " not in message


def test_children_die_with_a_supervisor_killed_with_9(tmp_path):
    proc, env = supervise(tmp_path)
    try:
        kids = children(tmp_path, {"redis", "rasa", "actions", "gateway", "twilio-sim"})
        wait_listening(f"http://127.0.0.1:{env['GATEWAY_PORT']}/health")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert wait_gone(kids.values()) == [], "children outlived their supervisor"
    finally:
        cleanup(proc, tmp_path)
    # The ports are free again: a new stack can start.
    gateway = int(env["GATEWAY_PORT"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", gateway))


def test_sigterm_stops_every_part_even_with_a_console_websocket_open(tmp_path):
    from bot.agents.logins import add_agent
    from bot.ledger.db import migrate
    from bot.web.security import SESSION_COOKIE, Sessions

    proc, env = supervise(tmp_path)
    try:
        kids = children(tmp_path, {"redis", "rasa", "actions", "gateway", "twilio-sim"})
        base = f"http://127.0.0.1:{env['GATEWAY_PORT']}"
        wait_listening(base + "/health")
        settings = Settings(var_dir=tmp_path, embedded_redis_port=int(env["EMBEDDED_REDIS_PORT"]))
        migrate(settings.sql_url)
        add_agent("ops", "a-long-password", display_name="Ops", url=settings.sql_url)
        session = Sessions(redis_lib.Redis.from_url(settings.effective_redis_url)).create(
            "ops", "agent"
        )
        gateway = int(env["GATEWAY_PORT"])
        with open_websocket(gateway, "/console/ws", f"{SESSION_COOKIE}={session.token}"):
            # An open live feed, waiting on its queue: it used to hold the gateway forever.
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(EXIT_BOUND_S * 2)
        assert wait_gone(kids.values()) == []
    finally:
        cleanup(proc, tmp_path)
    err = (tmp_path / "supervisor.err").read_text()
    assert "ignored SIGTERM" not in err, err  # each part left by itself, none was killed
    assert PidFile(tmp_path).read() is None


def sleeper() -> subprocess.Popen:
    """A process in its own group, as the supervisor's children are, that ignores no signal."""
    return subprocess.Popen(["sleep", "600"], start_new_session=True)


def test_the_next_start_stops_what_a_dead_supervisor_left(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    left = sleeper()
    try:
        record = {
            "supervisor": {"pid": dead.pid, "created": time.time() - 60},
            "children": [
                {
                    "name": "gateway",
                    "pid": left.pid,
                    "created": psutil.Process(left.pid).create_time(),
                }
            ],
        }
        pid_file = PidFile(tmp_path)
        pid_file.path.parent.mkdir(parents=True)
        pid_file.path.write_text(json.dumps(record))
        said = pid_file.claim()
        assert said and f"gateway (pid {left.pid})" in said[0]
        left.wait(EXIT_BOUND_S)
        assert left.returncode == -signal.SIGTERM
        assert not pid_file.path.exists()
    finally:
        if left.poll() is None:
            left.kill()


def test_a_reused_pid_is_never_touched(tmp_path):
    other = sleeper()
    try:
        record = {
            "supervisor": {"pid": 999_999_999, "created": 0},
            # The pid is live, but not the process recorded: its start time differs.
            "children": [{"name": "rasa", "pid": other.pid, "created": 12345.0}],
        }
        pid_file = PidFile(tmp_path)
        pid_file.path.parent.mkdir(parents=True)
        pid_file.path.write_text(json.dumps(record))
        assert pid_file.claim() == []
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_live_supervisor_is_refused(tmp_path):
    owner = sleeper()
    try:
        record = {
            "supervisor": {"pid": owner.pid, "created": psutil.Process(owner.pid).create_time()},
            "children": [],
        }
        pid_file = PidFile(tmp_path)
        pid_file.path.parent.mkdir(parents=True)
        pid_file.path.write_text(json.dumps(record))
        with pytest.raises(StackRefused, match=f"another supervisor \\(pid {owner.pid}\\)"):
            pid_file.claim()
        assert owner.poll() is None and pid_file.path.exists()
    finally:
        owner.kill()
        owner.wait()


@pytest.mark.parametrize("replicas", [1, 2])
def test_serving_rasa_computes_on_one_thread_and_the_gateway_on_all(tmp_path, replicas):
    from bot.infra.supervisor import ONE_THREAD, Stack

    settings = Settings(
        var_dir=tmp_path,
        replicas=replicas,
        database_url="postgresql://postgres@127.0.0.1:5432/x" if replicas > 1 else None,
        redis_url="redis://127.0.0.1:6379/7" if replicas > 1 else None,
    )
    envs = {p.name: p.env for p in Stack(settings, "token", quiet=True).procs}
    rasas = [name for name in envs if name.startswith("rasa")]
    assert len(rasas) == replicas
    for name, env in envs.items():
        pinned = {k: env.get(k) for k in ONE_THREAD}
        # Whisper in the gateway decodes on every core; Rasa's small matrix products waste
        # CPU spread over threads (bot/infra/supervisor.py).
        assert (pinned == ONE_THREAD) == (name in rasas), name


def test_two_trainings_at_once_train_once(tmp_path, monkeypatch):
    """Two processes finding the model stale at once (two test workers, two `make run`s): the
    second waits for the first, then finds the model current."""
    import threading

    from bot.infra import supervisor

    settings = Settings(var_dir=tmp_path, model_dir=tmp_path / "models")
    trainings = []

    def fake_training(settings):
        trainings.append(threading.get_ident())
        time.sleep(0.5)  # long enough for the other caller to arrive while it trains
        supervisor.model_path(settings).write_bytes(b"model")
        return True

    monkeypatch.setattr(supervisor, "_train", fake_training)
    results = []
    callers = [
        threading.Thread(target=lambda: results.append(supervisor.train(settings)))
        for _ in range(2)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()
    assert len(trainings) == 1
    assert sorted(results) == [False, True]
