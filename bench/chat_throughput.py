"""Chat throughput: N concurrent conversations through the gateway's /api/conversations, against
the same model served by a bare `rasa run` (REST channel, in-memory tracker, same action server),
in the same run. Prints messages/s, p50 and p95 for both and the ratio.

    .venv/bin/python -m bench.chat_throughput --concurrency 8 --conversations 48
    .venv/bin/python -m bench.chat_throughput --replicas 2  # + N=2 behind HAProxy
    .venv/bin/python -m bench.chat_throughput --rate 20     # + paced at 20 msg/s: p95
    .venv/bin/python -m bench.chat_throughput --client httpx  # the load's client before 2 Dec

With each run of the full stack it prints where a turn's milliseconds go, from the stack's own
/metrics (reminderbot_turn_stage_seconds, added over every process): the gateway's own part, Rasa's
own part (the round trip less the action), the action server's engine, the ledger's SQL, and the
rest (HTTP and queueing, seen by the client only).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from bot.infra.launcher import free_port
from bot.infra.supervisor import BIN, ONE_THREAD, Stack, child_env, model_path
from bot.ledger.portfolio import import_accounts
from bot.settings import ROOT, Settings

SCRIPT = [
    "yes speaking",
    "4821",
    "how much do i owe",
    "i can pay 200 tomorrow",
    "yes",
    "no thats all",
]
TOKEN = "bench-token"  # noqa: S105
METRICS = "bench-metrics"  # the /metrics bearer token of the stacks the bench starts


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def converse(send_start, send, index: int, latencies: list[float]) -> None:
    """One conversation of the script, each message's latency appended."""
    t0 = time.perf_counter()
    cid = await send_start(index)
    latencies.append(time.perf_counter() - t0)
    for text in SCRIPT:
        t0 = time.perf_counter()
        await send(cid, text)
        latencies.append(time.perf_counter() - t0)


async def run_load(send_start, send, conversations: int, concurrency: int) -> dict:
    """Closed loop: `concurrency` conversations at a time, each as fast as it is answered."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            await converse(send_start, send, index, latencies)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(conversations)))
    return summary(latencies, time.perf_counter() - start)


async def run_paced(send_start, send, rate: float, seconds: float) -> dict:
    """Open loop: a new conversation every (messages per conversation / rate) seconds, each
    sending its messages one after another; the latency a customer sees at that offered rate."""
    latencies: list[float] = []
    every = (len(SCRIPT) + 1) / rate
    start, tasks = time.perf_counter(), []
    for index in range(max(1, int(seconds / every))):
        tasks.append(asyncio.create_task(converse(send_start, send, index, latencies)))
        await asyncio.sleep(max(0.0, start + (index + 1) * every - time.perf_counter()))
    await asyncio.gather(*tasks)
    return summary(latencies, time.perf_counter() - start)


def summary(latencies: list[float], wall: float) -> dict:
    return {
        "messages": len(latencies),
        "msg_per_s": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


class LoadClient:
    """The load's HTTP client: aiohttp by default, the lightest here (~0.3 ms of CPU a request
    against ~2 ms for httpx, on the same 2 cores as the stack it measures); `--client httpx`
    is the client of the figures before 2 December 2026."""

    kind = "aiohttp"

    def __init__(self, base_url: str, headers: dict | None = None) -> None:
        self.base_url, self.headers = base_url.rstrip("/"), headers or {}

    async def __aenter__(self) -> LoadClient:
        if self.kind == "httpx":
            self.http = httpx.AsyncClient(base_url=self.base_url, headers=self.headers, timeout=120)
        else:
            import aiohttp

            timeout = aiohttp.ClientTimeout(total=120)
            self.http = aiohttp.ClientSession(headers=self.headers, timeout=timeout)
        return self

    async def __aexit__(self, *exc) -> None:
        await (self.http.aclose() if self.kind == "httpx" else self.http.close())

    async def post(self, path: str, body: dict):
        """The JSON answer of a POST; an HTTP error raises."""
        if self.kind == "httpx":
            response = await self.http.post(path, json=body)
            response.raise_for_status()
            return response.json()
        async with self.http.post(self.base_url + path, json=body) as response:
            response.raise_for_status()
            return await response.json()


async def bench_gateway(
    settings: Settings, conversations: int, concurrency: int, rate: float = 0.0
) -> dict:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with LoadClient(settings.gateway_url, headers) as http:

        async def start(_i):
            started = await http.post("/api/conversations", {"account_id": "CC-1001"})
            return started["conversation_id"]

        async def send(cid, text):
            await http.post(f"/api/conversations/{cid}/messages", {"text": text})

        if rate:
            return await run_paced(start, send, rate, seconds=conversations * 7 / rate)
        return await run_load(start, send, conversations, concurrency)


def stage_totals(settings: Settings) -> dict[str, tuple[float, float]]:
    """(seconds, count) per stage of chat turns so far, from the stack's /metrics."""
    from prometheus_client.parser import text_string_to_metric_families

    text = httpx.get(
        settings.gateway_url + "/metrics", headers={"Authorization": f"Bearer {METRICS}"}
    ).text
    totals: dict[str, list[float]] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "reminderbot_turn_stage_seconds":
            continue
        for sample in family.samples:
            kind = sample.name.rsplit("_", 1)[-1]  # sum, count, bucket, created
            if sample.labels.get("channel") != "chat" or kind not in ("sum", "count"):
                continue
            row = totals.setdefault(sample.labels["stage"], [0.0, 0.0])
            row[0 if kind == "sum" else 1] += sample.value
    return {stage: (row[0], row[1]) for stage, row in totals.items()}


def print_breakdown(before: dict, after: dict, result: dict) -> None:
    """Mean milliseconds per customer turn in each stage's own part."""
    turns = after["gateway"][1] - before.get("gateway", (0, 0))[1]
    if not turns:
        return

    def per_turn(stage: str) -> float:
        spent = after.get(stage, (0, 0))[0] - before.get(stage, (0, 0))[0]
        return spent / turns * 1000

    gateway, rasa, action, ledger = (per_turn(s) for s in ("gateway", "rasa", "action", "ledger"))
    client = result["mean_ms"]
    # gateway contains rasa, which contains action; the ledger's transactions happen in the
    # gateway and in the action both, so they are shown as a share of the whole, not subtracted.
    parts = [
        ("HTTP and queueing (client - gateway)", client - gateway),
        ("gateway's own (gateway - rasa)", gateway - rasa),
        ("rasa's own (round trip - action)", rasa - action),
        ("action server's engine", action),
        ("  of gateway+action: ledger SQL", ledger),
    ]
    print(f"  where a turn's {client:.1f} ms go (mean over {int(turns)} turns, /metrics):")
    for name, ms in parts:
        print(f"    {name:40}{ms:7.1f} ms {ms / client:6.0%}")


async def bench_bare(url: str, conversations: int, concurrency: int, run_id: str) -> dict:
    async with LoadClient(url) as http:

        async def post(sender, message):
            answer = await http.post(
                "/webhooks/rest/webhook", {"sender": sender, "message": message}
            )
            if not answer:
                raise RuntimeError(f"bare rasa returned no messages for {message!r}")

        async def start(i):
            sender = f"bare-{run_id}-{i}"
            await post(sender, '/start_conversation{"account_id": "CC-1001", "channel": "chat"}')
            return sender

        return await run_load(start, post, conversations, concurrency)


def start_rasa(model: Path, env: dict, *options: str) -> tuple[subprocess.Popen, str]:
    """A bare `rasa run` of `model` on a free port, once it answers; its process and URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "rasa"), "run", "-m", str(model), *options, "-i", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/")
    return process, url


def cpu_seconds(pids: dict[str, int]) -> dict[str, float]:
    """User + system CPU so far of each named process and its children."""
    import psutil

    spent = {}
    for name, pid in pids.items():
        try:
            process = psutil.Process(pid)
            tree = [process, *process.children(recursive=True)]
            spent[name] = sum(sum(p.cpu_times()[:2]) for p in tree)
        except psutil.Error:
            continue
    return spent


def stack_cpu(stack: Stack) -> dict[str, float]:
    """CPU so far of every process a turn runs through: the stack's own, the machine's
    PostgreSQL when the stack uses it (its server and the backends it has reaped), and this
    bench's client (its own threads only: the stack's processes are its children)."""
    import psutil

    spent = cpu_seconds({p.name: p.popen.pid for p in stack.procs if p.popen})
    if stack.settings.database_url:
        for server in psutil.process_iter(["name", "ppid"]):
            try:
                if (
                    server.info["name"] == "postgres"
                    and psutil.Process(server.info["ppid"]).name() != "postgres"
                ):
                    times = server.cpu_times()
                    live = sum(sum(c.cpu_times()[:2]) for c in server.children(recursive=True))
                    spent["postgres"] = sum(times[:4]) + live
            except psutil.Error:
                continue
    spent["bench client"] = time.process_time()
    return spent


def wait_http(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(url)


def ensure_database(url: str) -> None:
    """The replica profile's PostgreSQL database, created on a fresh machine."""
    from sqlalchemy import create_engine, text

    base, name = url.rsplit("/", 1)
    admin = create_engine(base + "/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            known = "SELECT 1 FROM pg_database WHERE datname = :name"
            if not conn.execute(text(known), {"name": name}).scalar():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def bench_replicas(args, conversations: int, concurrency: int) -> dict:
    """The replica profile (bot/infra/replicas.py): N of each process behind HAProxy, on the
    PostgreSQL and Redis servers it needs; started after the single stack has stopped."""
    from bot.infra.launcher import free_port as free_ports

    span = args.replicas + 1
    settings = Settings(
        var_dir=Path(tempfile.mkdtemp(prefix="bench-replicas-")),
        replicas=args.replicas,
        redis_url=args.redis_url,
        database_url=args.database_url,
        escalation_stream=f"bench-escalations-{time.time_ns()}",
        rasa_port=free_ports(span),
        actions_port=free_ports(span),
        gateway_port=free_ports(span),
        api_token=TOKEN,
        metrics_token=METRICS,
    )
    ensure_database(args.database_url)
    stack = Stack(settings, TOKEN, quiet=True)
    try:
        stack.start()
        stack.wait_ready(timeout=600)
        import_accounts(
            ROOT / "bot" / "demo" / "portfolio.csv",
            settings.sql_url,
            key=settings.effective_verification_key,
        )
        asyncio.run(bench_gateway(settings, 2 * args.replicas, 2 * args.replicas))  # warm all
        before, cpu_before = stage_totals(settings), stack_cpu(stack)
        result = asyncio.run(bench_gateway(settings, conversations, concurrency))
        result["stages"] = (before, stage_totals(settings))
        result["cpu"] = (cpu_before, stack_cpu(stack))
        if args.rate:
            result["paced"] = asyncio.run(bench_gateway(settings, conversations, 0, args.rate))
        return result
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--conversations", type=int, default=48)
    parser.add_argument("--replicas", type=int, default=0, help="also the replica profile, N>1")
    parser.add_argument("--rate", type=float, default=0.0, help="also paced at this msg/s")
    parser.add_argument(
        "--database-url", default="postgresql://postgres@127.0.0.1:5432/reminderbot_replicas"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--client", choices=("aiohttp", "httpx"), default="aiohttp")
    args = parser.parse_args()
    LoadClient.kind = args.client

    var = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    settings = Settings(
        var_dir=var,
        embedded_redis_port=free_port(),
        rasa_port=free_port(),
        actions_port=free_port(),
        gateway_port=free_port(),
        api_token=TOKEN,
        metrics_token=METRICS,
    )
    if not model_path(settings).exists():
        raise SystemExit("no trained model: run `make train` first")
    stack = Stack(settings, TOKEN, quiet=True)
    bare = bare_one = None
    try:
        stack.start()
        stack.wait_ready()
        import_accounts(
            ROOT / "bot" / "demo" / "portfolio.csv",
            settings.sql_url,
            key=settings.effective_verification_key,
        )
        # Bare Rasa: the same model and the same action server, default in-memory tracker.
        endpoints = var / "bare-endpoints.yml"
        endpoints.write_text(
            f"action_endpoint:\n  url: {settings.effective_actions_url}/webhook\n"
            f"  headers:\n    X-Reminderbot-Actions-Secret: {settings.effective_actions_secret}\n"
        )
        env, model = child_env(settings, TOKEN), model_path(settings)
        bare = start_rasa(model, env, "--endpoints", str(endpoints))
        bare_one = start_rasa(model, {**env, **ONE_THREAD}, "--endpoints", str(endpoints))
        # Warm them up, then measure each on its own so they do not share the CPU.
        for _, url in (bare, bare_one):
            asyncio.run(bench_bare(url, 2, 2, "warm"))
        asyncio.run(bench_gateway(settings, 2, 2))
        before = stage_totals(settings)
        cpu_before = stack_cpu(stack)
        ours = asyncio.run(bench_gateway(settings, args.conversations, args.concurrency))
        ours["stages"] = (before, stage_totals(settings))
        ours["cpu"] = (cpu_before, stack_cpu(stack))
        if args.rate:
            ours["paced"] = asyncio.run(bench_gateway(settings, args.conversations, 0, args.rate))
        theirs, theirs_one = (
            asyncio.run(bench_bare(url, args.conversations, args.concurrency, f"run{i}"))
            for i, (_, url) in enumerate((bare, bare_one))
        )
    finally:
        for process, _ in (p for p in (bare, bare_one) if p):
            process.terminate()
            process.wait()
        stack.stop()
    rows = [
        ("gateway (full stack)", ours),
        ("bare rasa run", theirs),
        ("bare, one BLAS thread", theirs_one),
    ]
    if args.replicas > 1:
        replicated = bench_replicas(args, args.conversations, args.concurrency)
        rows.insert(1, (f"{args.replicas} replicas+HAProxy", replicated))

    print(
        f"{args.conversations} conversations x {len(SCRIPT) + 1} messages, "
        f"concurrency {args.concurrency}, load client {args.client}"
    )
    print(f"{'':22}{'msg/s':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for name, row in rows:
        print(f"{name:22}{row['msg_per_s']:8.1f}{row['p50_ms']:9.1f}{row['p95_ms']:9.1f}")
        if "stages" in row:
            print_breakdown(*row["stages"], row)
        if "cpu" in row:
            before, after = row["cpu"]
            per_message = {
                name: (after[name] - before[name]) / row["messages"] * 1000
                for name in after
                if name in before
            }
            spent = ", ".join(f"{name} {ms:.1f} ms" for name, ms in per_message.items())
            print(f"  CPU per message by process: {spent}")
            print(f"  CPU per message in all: {sum(per_message.values()):.1f} ms")
        if "paced" in row:
            paced = row["paced"]
            print(
                f"  paced at {args.rate:g} msg/s offered: {paced['msg_per_s']:.1f} msg/s served, "
                f"p50 {paced['p50_ms']:.1f} ms, p95 {paced['p95_ms']:.1f} ms (goal p95 <= 150)"
            )
    print(f"ratio gateway/bare: {ours['msg_per_s'] / theirs['msg_per_s']:.2f} (goal >= 0.80)")
    print(f"ratio gateway/bare one thread: {ours['msg_per_s'] / theirs_one['msg_per_s']:.2f}")
    if args.replicas > 1:
        print(f"ratio replicas/bare: {replicated['msg_per_s'] / theirs['msg_per_s']:.2f}")


if __name__ == "__main__":
    main()
