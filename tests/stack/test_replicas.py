"""The replica profile on one machine (N = 2): two gateways, two Rasa servers and two action
servers behind HAProxy, on PostgreSQL and the machine's Redis. Under a steady light load of chat
turns, an SMS and a call, one replica of each kind is killed with -9: nothing is lost, every
customer request is answered (or gets the safe reply, never a 5xx), and HAProxy routes around
the dead replicas."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlparse

import httpx
import pytest
import redis

from bot.channels.turns import SAFE_REPLY
from bot.compliance import audit
from bot.infra import replicas
from bot.infra.guards import StackRefused
from bot.infra.supervisor import BIN, port_needs, process_commands
from bot.ledger.db import session_scope
from bot.ledger.models import AuditEntry, Escalation, Promise, Turn
from bot.settings import Settings
from telephony.twilio_sim.scenario import CallScenario, Dtmf, Say, WaitForBot
from tests.stack.conftest import TOKEN, add_account, start_stack, stop_stack

# The steps of a chat conversation that ends in a promise (the demo account CC-1001).
SCRIPT = ["yes speaking", "4821", "how much do i owe", "i can pay 200 tomorrow", "yes", "no"]
REDIS_DB = 7  # a database of the machine's Redis that the other tests do not use


def replica_redis_url() -> str:
    base = urlparse(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    return base._replace(path=f"/{REDIS_DB}").geturl()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_url):
    url = replica_redis_url()
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"the machine's Redis is not reachable at {url}: {exc}")
    running = start_stack(
        tmp_path_factory.mktemp("replicas"),
        replicas=2,
        redis_url=url,
        database_url=postgres_url,
        escalation_stream=f"escalations-{uuid.uuid4().hex[:8]}",
    )
    yield running
    stop_stack(running)
    redis.Redis.from_url(url).delete(running.settings.escalation_stream)


@dataclass
class Load:
    """Chat conversations, one after another on each of two threads, until stopped."""

    base_url: str
    stop: threading.Event = field(default_factory=threading.Event)
    # Per conversation: the customer messages sent and the answers got.
    sent: dict[str, int] = field(default_factory=dict)
    answers: list[tuple[int, list[str]]] = field(default_factory=list)
    promised: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    def worker(self) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        # A new connection per request: a connection the proxy closes while idle would race the
        # next request on it (a client matter, which browsers retry), and is not under test.
        no_reuse = httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(
            base_url=self.base_url, headers=headers, timeout=90, limits=no_reuse
        ) as http:
            while not self.stop.is_set():
                try:
                    self.conversation(http)
                except httpx.HTTPError as exc:  # a client-side failure: recorded, then failed
                    self.errors.append(repr(exc))

    def conversation(self, http: httpx.Client) -> None:
        started = http.post("/api/conversations", json={"account_id": "CC-1001"})
        self.answers.append((started.status_code, _texts(started)))
        if started.status_code != 201:
            return
        cid = started.json()["conversation_id"]
        self.sent[cid] = 0
        for text in SCRIPT:
            reply = http.post(f"/api/conversations/{cid}/messages", json={"text": text})
            self.sent[cid] += 1
            self.answers.append((reply.status_code, _texts(reply)))
            if reply.status_code != 200:
                return
            if any(t.startswith("Receipt") for t in _texts(reply)):
                self.promised.add(cid)
            if reply.json()["ended"] or self.stop.is_set():
                return
            time.sleep(0.2)


def _texts(response: httpx.Response) -> list[str]:
    try:
        return [m["text"] for m in response.json().get("messages", [])]
    except ValueError:
        return []


def kill(running, name: str) -> None:
    os.kill(running.stack.find(name).popen.pid, signal.SIGKILL)


def wait_state(running, name: str, state: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replicas.server_states(running.settings).get(name) == state:
            return
        time.sleep(0.2)
    raise AssertionError(f"{name} not {state}: {replicas.server_states(running.settings)}")


def place_call(running, account, result: dict) -> None:
    steps = [
        WaitForBot(timeout_s=90),
        Say("네", voice="ko"),
        WaitForBot(timeout_s=90),
        Dtmf("4321"),
        WaitForBot(timeout_s=90),
        *[step for key in "112" for step in (Dtmf(key), WaitForBot(timeout_s=90))],
    ]
    carrier = running.carrier
    carrier.sim.expect_call(
        account["phone"], CallScenario(answered_by="human", steps=steps, speed=4.0)
    )
    placed = running.api.post(f"/api/accounts/{account['account_id']}/calls")
    result["placed"] = placed.status_code
    sid = placed.json()["call_sid"]
    result["call"] = carrier.run(carrier.sim.wait_for_call(sid, timeout=240), timeout=260)


# Causes of its earlier intermittent failures, found and fixed: under CPU load a chat request whose
# gateway was killed in it got a 502 (HAProxy cannot replay a request it began forwarding before
# its body came: the gateways' backend buffers whole requests, tests/infra/test_haproxy_replay.py);
# the session's PostgreSQL held other tests' escalations (only this test's are checked); a replay
# onto a conversation the dead gateway had ended got a 409 without words (now the first delivery's
# reply, bot/channels/repeats.py). Since: 8 runs of 8 passed, 3 of them beside a CPU hog.
@pytest.mark.stack
def test_kill_one_replica_of_each_kind_under_load(cluster, tmp_path):
    running = cluster
    # The PostgreSQL database is the test session's: other tests' escalations are in it too.
    began = datetime.now(timezone.utc)
    assert {p.name for p in running.stack.procs} >= {
        "haproxy",
        *(f"{kind}-{i}" for kind in replicas.KINDS for i in (1, 2)),
    }
    load = Load(running.settings.gateway_url)
    threads = [threading.Thread(target=load.worker, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(5)

    # A gateway dies under the chat load; the SMS arrives while it is dead.
    kill(running, "gateway-1")
    wait_state(running, "gateway-1", "DOWN")
    texter = add_account(running, tmp_path, verification_last4="7702")
    sms = running.carrier.run(
        running.carrier.sim.inbound_sms(
            texter["phone"], running.settings.twilio_from_number, "yes this is me"
        )
    )
    assert sms, "the SMS got no reply"

    # A call runs while a Rasa server and then an action server die.
    caller = add_account(running, tmp_path, verification_last4="4321")
    call: dict = {}
    calling = threading.Thread(target=place_call, args=(running, caller, call), daemon=True)
    calling.start()
    time.sleep(8)
    kill(running, "rasa-1")
    wait_state(running, "rasa-1", "DOWN")
    time.sleep(4)
    kill(running, "actions-1")
    wait_state(running, "actions-1", "DOWN")
    answered_before = len(load.answers)
    time.sleep(8)  # requests keep succeeding with the three replicas still dead
    calling.join(280)
    load.stop.set()
    for thread in threads:
        thread.join(120)
    states = replicas.server_states(running.settings)
    assert [states[n] for n in ("gateway-1", "rasa-1", "actions-1")] == ["DOWN"] * 3
    assert [states[n] for n in ("gateway-2", "rasa-2", "actions-2")] == ["UP"] * 3

    # Every customer request got an answer: never a 5xx through HAProxy, never an empty reply.
    assert not load.errors, load.errors[:3]
    assert len(load.answers) > answered_before, "no turn succeeded after the kills"
    assert all(code < 500 for code, _ in load.answers), [c for c, _ in load.answers if c >= 500]
    unanswered = [code for code, texts in load.answers if not texts]
    assert not unanswered, f"answers with no message, by HTTP status: {unanswered}"
    assert load.promised, "no conversation reached its promise"
    assert call["placed"] == 201 and call["call"].stream.utterances

    with session_scope(running.sql_url) as session:
        # No turn lost: each message sent is in the transcript (processed or marked not).
        for cid, sent in load.sent.items():
            customer = session.query(Turn).filter_by(conversation_id=cid, speaker="customer")
            assert customer.count() >= sent, cid
        # No promise lost, each one audited.
        promised = {p.conversation_id for p in session.query(Promise)}
        assert load.promised <= promised
        audited = {e.data for e in session.query(AuditEntry).filter_by(kind="promise")}
        for promise in session.query(Promise):
            assert any(promise.conversation_id in data for data in audited)
        assert audit.verify(session).ok
        # A turn that failed (a replica died inside it) was escalated; every escalation is in
        # the agents' stream. The call ended in a promise or with its case escalated.
        escalations = session.query(Escalation).filter(Escalation.created_at >= began).all()
        failed = {e.conversation_id for e in escalations if e.reason == "technical_failure"}
        safe = sum(SAFE_REPLY in texts for _, texts in load.answers)
        assert len(failed) >= (1 if safe else 0)
        call_cases = {e.account_id for e in escalations} | {
            p.account_id for p in session.query(Promise)
        }
        assert caller["account_id"] in call_cases
        ids = {e.id for e in escalations}
    stream = redis.Redis.from_url(running.settings.effective_redis_url)
    deadline = time.monotonic() + 60  # the sweeper streams any the turn could not
    streamed: set[str] = set()
    while time.monotonic() < deadline:
        entries = stream.xrange(running.settings.escalation_stream)
        streamed = {f[b"escalation_id"].decode() for _, f in entries}
        if ids <= streamed:
            break
        time.sleep(1)
    assert ids <= streamed


# -- the profile itself, without starting it -----------------------------------------------------
def profile(tmp_path, **overrides) -> Settings:
    values = {
        "var_dir": tmp_path,
        "replicas": 2,
        "database_url": "postgresql://postgres@127.0.0.1:5432/reminderbot_replicas",
        "redis_url": "redis://127.0.0.1:6379/7",
        "gateway_port": 18000,
        "rasa_port": 15005,
        "actions_port": 15055,
        "twilio_api_base": "http://127.0.0.1:1",
        **overrides,
    }
    return Settings(**values)


def test_the_process_table_has_n_of_each_behind_haproxy(tmp_path):
    commands = process_commands(profile(tmp_path))
    assert sorted(commands) == sorted(
        ["haproxy", "gateway-1", "gateway-2", "rasa-1", "rasa-2", "actions-1", "actions-2"]
    )
    assert commands["gateway-2"][commands["gateway-2"].index("--port") + 1] == "18002"
    assert commands["rasa-1"][commands["rasa-1"].index("-p") + 1] == "15006"
    assert commands["actions-2"][commands["actions-2"].index("--port") + 1] == "15057"
    needs = {(n.part, n.port) for n in port_needs(profile(tmp_path), list(commands))}
    assert {("haproxy", 18000), ("haproxy", 15005), ("haproxy", 15055)} <= needs
    assert {("gateway-1", 18001), ("rasa-2", 15007), ("actions-1", 15056)} <= needs


def test_the_generated_haproxy_config_is_valid(tmp_path):
    process_commands(profile(tmp_path))  # writes it
    config = replicas.config_path(profile(tmp_path))
    text = config.read_text()
    assert "timeout tunnel" in text and "option redispatch" in text
    assert "server rasa-2 127.0.0.1:15007 check" in text
    checked = subprocess.run(
        [replicas.haproxy_binary(), "-c", "-f", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"database_url": None}, "DATABASE_URL"),
        ({"database_url": "sqlite:////tmp/x.sqlite3"}, "DATABASE_URL"),
        ({"redis_url": None}, "REDIS_URL"),
    ],
)
def test_more_than_one_replica_needs_shared_state(tmp_path, overrides, named):
    with pytest.raises(StackRefused, match=named):
        port_needs(profile(tmp_path, **overrides), [])
    replicas.refuse_without_shared_state(profile(tmp_path, replicas=1, **overrides))


def test_run_refuses_replicas_without_shared_state_with_a_clear_message(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "REPLICAS")
    }
    result = subprocess.run(
        [str(BIN / "reminderbot"), "run", "--replicas", "2", "--no-demo"],
        env={**env, "REMINDERBOT_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "--replicas 2 needs state every replica shares" in result.stderr
    assert "DATABASE_URL" in result.stderr and "REDIS_URL" in result.stderr
