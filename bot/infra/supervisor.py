"""The stack supervisor: starts Redis (embedded unless REDIS_URL), Rasa, the action server and
the gateway; restarts a process that dies (reporting its last log lines); reports ready only when
the gateway's /health says every part is up; stops everything on Ctrl-C or SIGTERM.

It refuses to start when a port it needs is taken or another supervisor runs the same var_dir,
and its children never outlive it, even killed with -9 (bot/infra/guards.py)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from bot.infra import metrics
from bot.infra.guards import Need, PidFile, StackRefused, check_ports, die_with_parent
from bot.infra.redis_client import embedded_server_command
from bot.settings import ROOT, Settings

PYTHON = sys.executable
BIN = Path(PYTHON).parent
RASA_DATA = ["nlu_data", "dialogues"]
# The stack's own Rasa endpoints (Redis stores, ports from the environment); the repo's
# endpoints.yml is the standalone one for `rasa shell` and friends.
RASA_ENDPOINTS = ROOT / "bot" / "infra" / "rasa_endpoints.yml"


def model_path(settings: Settings) -> Path:
    return settings.model_dir / "reminder-bot.tar.gz"


def training_inputs() -> list[Path]:
    """What a trained model is made from: the config and data, and our NLU components' code
    (bot/nlu/: a change there, e.g. to how the encoder computes an embedding, changes what the
    classifier was trained on)."""
    files = [ROOT / "config.yml"]
    for folder in ["bot/domain", *RASA_DATA]:
        files += sorted((ROOT / folder).rglob("*.yml"))
    return files + sorted((ROOT / "bot" / "nlu").glob("*.py"))


def model_is_stale(settings: Settings) -> bool:
    model = model_path(settings)
    if not model.exists():
        return True
    newest = max(p.stat().st_mtime for p in training_inputs())
    return newest > model.stat().st_mtime


# Rasa logs each customer message and its parse (a date of birth, the last 4 digits) at DEBUG
# ("processor.message.parse"): its log never goes below INFO, whatever LOG_LEVEL asks.
QUIETEST_RASA_LOG = "INFO"


def rasa_log_level(asked: str | None) -> str:
    """Rasa's LOG_LEVEL: the one asked for, but never DEBUG."""
    level = (asked or QUIETEST_RASA_LOG).upper()
    return level if level in ("INFO", "WARNING", "ERROR", "CRITICAL") else QUIETEST_RASA_LOG


def rasa_env() -> dict[str, str]:
    return {
        **os.environ,
        "LOG_LEVEL": rasa_log_level(os.environ.get("LOG_LEVEL")),
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONWARNINGS": "ignore",
        # Rasa and the action server are Sanic apps: on SIGTERM Sanic gives requests still in
        # flight and its tasks up to 15 s, past the supervisor's 10 s grace (a SIGKILL then).
        # A turn takes well under a second: 2 s drains it and the exit stays within the grace.
        "SANIC_GRACEFUL_SHUTDOWN_TIMEOUT": "2",
    }


# A Rasa server answers one message at a time per request, and its NLU's matrix products are
# small (one sentence through MiniLM and a linear model): spread over OpenBLAS's thread per core
# they finish ~4 ms sooner on an idle machine but cost ~50 % more CPU in total (the threads spin
# while they wait for work). On 2 cores under load the CPU is what runs out, so serving Rasa
# processes compute on one thread each; training keeps every core (docs/performance.md).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def process_env(name: str, env: dict[str, str]) -> dict[str, str]:
    """The environment of one supervised process (`rasa`, `rasa-2`, ... get ONE_THREAD)."""
    return {**env, **ONE_THREAD} if name.split("-")[0] == "rasa" else env


def train(settings: Settings, *, force: bool = False) -> bool:
    """Train the Rasa model if it is missing or older than its data; True if it trained.

    One training at a time per model folder (a lock file beside the model): two processes that
    find it stale at once (two test workers, two `make run`s) would write the same archive; the
    second waits, then finds it current."""
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    with (settings.model_dir / ".training.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and not model_is_stale(settings):
            return False
        return _train(settings)


def _train(settings: Settings) -> bool:
    cmd = [
        str(BIN / "rasa"),
        "train",
        "--domain",
        "bot/domain",
        "--data",
        *RASA_DATA,
        "--config",
        "config.yml",
        "--out",
        str(settings.model_dir),
        "--fixed-model-name",
        "reminder-bot",
    ]
    print("Training the Rasa model (about 5-8 minutes on 2 cores)...", flush=True)
    subprocess.run(cmd, cwd=ROOT, env=rasa_env(), check=True)
    return True


@dataclass
class Proc:
    name: str
    cmd: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = 0.0
    history: deque = field(default_factory=lambda: deque(maxlen=5))

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            # Its own process group (stopped as one), and SIGTERM when the supervisor dies.
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        handle.close()
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def terminate(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def wait_or_kill(self, deadline: float) -> None:
        """Wait for the exit until `deadline` (monotonic), then SIGKILL the group."""
        if self.popen is None:
            return
        try:
            self.popen.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"!! {self.name} ignored SIGTERM; killing it", file=sys.stderr, flush=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def stop(self, timeout: float = 10) -> None:
        self.terminate()
        self.wait_or_kill(time.monotonic() + timeout)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def child_env(settings: Settings, api_token: str) -> dict[str, str]:
    """Every child process sees the supervisor's settings, plus what Rasa's endpoints file
    (RASA_ENDPOINTS) reads."""
    env = rasa_env()
    for name, model_field in Settings.__fields__.items():
        value = getattr(settings, name)
        if value is not None:
            env[model_field.field_info.extra["env"]] = str(value)
    redis = urlparse(settings.effective_redis_url)
    env.update(
        {
            "REDIS_HOST": redis.hostname or "127.0.0.1",
            "REDIS_PORT": str(redis.port or 6379),
            "REDIS_DB": (redis.path or "/0").lstrip("/") or "0",
            "REDIS_PASSWORD": redis.password or "",
            "REDIS_URL": settings.effective_redis_url,
            "DATABASE_URL": settings.sql_url,
            "REMINDERBOT_API_TOKEN": api_token,
            # Rasa sends it to the action server in a header (RASA_ENDPOINTS); the action server
            # refuses any request without it. SANIC_HOST: rasa_sdk's own bind address.
            "ACTIONS_SECRET": settings.effective_actions_secret,
            "ACTIONS_WEBHOOK_URL": settings.effective_actions_url + "/webhook",
            "SANIC_HOST": settings.actions_host,
            "PYTHONPATH": str(ROOT),
            # Every process writes its metrics here; the gateway's /metrics adds them up.
            metrics.MULTIPROC_ENV: str(metrics.run_dir(settings.var_dir)),
        }
    )
    return env


def process_commands(settings: Settings) -> dict[str, list[str]]:
    """Each process's command line; `reminderbot serve NAME` runs one of them alone."""
    commands = {
        "rasa": [
            str(BIN / "rasa"),
            "run",
            "-m",
            str(model_path(settings)),
            "--endpoints",
            str(RASA_ENDPOINTS.relative_to(ROOT)),
            "--credentials",
            "credentials.yml",
            "-i",
            "127.0.0.1",
            "-p",
            str(settings.rasa_port),
        ],
        # rasa_sdk's app behind our secret check, on ACTIONS_HOST (bot/infra/action_server.py).
        "actions": [
            PYTHON,
            "-m",
            "bot.infra.action_server",
            "--host",
            settings.actions_host,
            "--port",
            str(settings.actions_port),
        ],
        "gateway": [
            PYTHON,
            "-m",
            "uvicorn",
            "bot.gateway.main:app",
            "--host",
            settings.gateway_host,
            "--port",
            str(settings.gateway_port),
            "--log-level",
            "warning",
            # Open WebSockets (the console's live feed waits on its queue, a call's media
            # stream) would otherwise hold a SIGTERM'd gateway forever: after 5 s their tasks
            # are cancelled and the lifespan shuts down.
            "--timeout-graceful-shutdown",
            "5",
        ],
    }
    if settings.uses_simulator and not settings.twilio_api_base:
        # No Twilio account: the built-in simulator is the carrier, signing with the same token.
        commands["twilio-sim"] = [
            PYTHON,
            "-m",
            "telephony.twilio_sim",
            "--port",
            str(settings.twilio_sim_port),
            "--webhook-base",
            settings.effective_public_base_url,
            "--account-sid",
            settings.effective_twilio_sid,
        ]
    if not settings.redis_url:
        # Loopback only, and a password anyway: any local process could otherwise read the
        # queue's summaries, the sessions and Rasa's trackers.
        redis = embedded_server_command(
            port=settings.embedded_redis_port,
            data_dir=settings.var_dir / "redis",
            password=settings.effective_redis_password,
        )
        commands = {"redis": redis, **commands}
    if settings.replicas > 1:  # N of each behind HAProxy (bot/infra/replicas.py)
        from bot.infra import replicas

        return replicas.process_commands(settings, commands)
    return commands


def port_needs(settings: Settings, names: list[str]) -> list[Need]:
    """The ports the named processes will listen on, to check before any of them starts."""
    if settings.replicas > 1:
        from bot.infra import replicas

        return replicas.port_needs(settings, names)
    known = {
        "redis": Need("redis", "127.0.0.1", settings.embedded_redis_port),
        "rasa": Need("rasa", "127.0.0.1", settings.rasa_port),
        "actions": Need("actions", settings.actions_host, settings.actions_port),
        "gateway": Need("gateway", settings.gateway_host, settings.gateway_port),
        "twilio-sim": Need("twilio-sim", "127.0.0.1", settings.twilio_sim_port),
    }
    return [known[name] for name in names if name in known]


# Stopped front to back: nothing new comes in while the parts behind finish their turns, and
# Redis (the escalation stream, the locks) goes last.
STOP_ORDER = (("gateway", "twilio-sim"), ("rasa", "actions"))


def without_password(url: str) -> str:
    """A Redis URL fit to print: the password replaced by ***."""
    parts = urlparse(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


class Stack:
    def __init__(self, settings: Settings, api_token: str, *, quiet: bool = False):
        self.settings = settings
        self.quiet = quiet
        env = child_env(settings, api_token)
        logs = settings.var_dir / "logs"
        self.procs = [
            Proc(name, cmd, process_env(name, env), logs / f"{name}.log")
            for name, cmd in process_commands(settings).items()
        ]
        self.pid_file = PidFile(settings.var_dir)

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, flush=True)

    def start(self) -> None:
        """Start every process; StackRefused (nothing started) if another supervisor runs this
        var_dir or a port is taken. Leftovers of a supervisor that died are stopped first."""
        from bot.ledger.db import migrate

        for line in self.pid_file.claim():
            self.say(line)
        check_ports(port_needs(self.settings, [p.name for p in self.procs]))
        migrate(self.settings.sql_url)
        metrics.fresh_dir(metrics.run_dir(self.settings.var_dir))  # this run's figures only
        for proc in self.procs:
            proc.start()
            self.say(f"started {proc.name} (pid {proc.popen.pid}), log {proc.log}")
        self.record()

    def record(self) -> None:
        self.pid_file.write({p.name: p.popen.pid for p in self.procs if p.popen is not None})

    def health(self) -> tuple[bool, dict]:
        try:
            response = httpx.get(self.settings.gateway_url + "/health", timeout=5)
            ok, parts = response.status_code == 200, response.json().get("parts", {})
        except (httpx.HTTPError, ValueError):
            ok, parts = False, {}
        if self.settings.replicas > 1:  # and HAProxy's checks: every replica up
            from bot.infra import replicas

            return replicas.health(self.settings, ok, parts)
        return ok, parts

    def wait_ready(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        parts: dict = {}
        while time.monotonic() < deadline:
            self.supervise_once()
            ok, parts = self.health()
            if ok:
                return
            time.sleep(1)
        raise TimeoutError(f"the stack did not become ready in {timeout:.0f} s: {parts}")

    def supervise_once(self) -> None:
        for proc in self.procs:
            if proc.alive():
                continue
            code = proc.popen.returncode if proc.popen else None
            print(
                f"!! {proc.name} exited (code {code}); last log lines:\n{proc.tail()}",
                file=sys.stderr,
                flush=True,
            )
            # Back off if it keeps dying, so a broken process does not spin the CPU.
            proc.history.append(time.monotonic())
            if len(proc.history) == proc.history.maxlen and proc.history[-1] - proc.history[0] < 60:
                time.sleep(5)
            proc.restarts += 1
            metrics.process_died(proc.popen.pid, metrics.run_dir(self.settings.var_dir))
            proc.start()
            self.record()
            self.say(f"restarted {proc.name} (pid {proc.popen.pid})")

    def find(self, name: str) -> Proc:
        return next(p for p in self.procs if p.name == name)

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM each rank of STOP_ORDER together, then the rest (Redis); a process still
        there after `timeout` seconds is killed."""
        order = STOP_ORDER
        if self.settings.replicas > 1:
            from bot.infra import replicas

            order = replicas.stop_order(self.settings)
        ranks = [[p for p in self.procs if p.name in names] for names in order]
        ranked = {p.name for rank in ranks for p in rank}
        ranks.append([p for p in self.procs if p.name not in ranked])
        for rank in ranks:
            for proc in rank:
                proc.terminate()
            deadline = time.monotonic() + timeout
            for proc in rank:
                proc.wait_or_kill(deadline)
        self.pid_file.remove()


def run_forever(settings: Settings, api_token: str) -> None:
    stack = Stack(settings, api_token)

    def _stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    try:
        try:
            stack.start()
        except StackRefused as refused:
            raise SystemExit(f"!! {refused}") from None
        print("Waiting for every part to answer its health check...", flush=True)
        stack.wait_ready()
        base = settings.gateway_url
        print(
            f"\nReady.\n  gateway   {base}\n  health    {base}/health\n  API docs  {base}/docs"
            f"\n  console   {base}/console\n  carrier   "
            f"{settings.effective_twilio_api_base or 'Twilio'}"
            f"\n  Rasa      {settings.effective_rasa_url}\n  actions   "
            f"{settings.effective_actions_url}\n  redis     "
            f"{without_password(settings.effective_redis_url)}"
            f"\n  ledger    {settings.sql_url}\n  API token {api_token}\n"
            "Ctrl-C stops everything.",
            flush=True,
        )
        while True:
            stack.supervise_once()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        stack.stop()
