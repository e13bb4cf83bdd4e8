"""`reminderbot shell ACCOUNT_ID`: a conversation in the terminal through the running stack."""

from __future__ import annotations

import re
import subprocess

from bot.settings import ROOT
from tests.stack.conftest import cli_env

REMINDERBOT = str(ROOT / ".venv" / "bin" / "reminderbot")


def test_shell_holds_a_conversation_from_stdin(running):
    result = subprocess.run(
        [REMINDERBOT, "shell", "CC-1001"],
        input="yes speaking\n4821\nI want to talk to a person\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(running),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    bot = [line[5:] for line in result.stdout.splitlines() if line.startswith("bot: ")]
    assert "Jane" in bot[0] and "balance" not in bot[0]  # the opening: nothing about the debt
    assert any("last 4 digits" in line for line in bot), result.stdout
    # The digits are never echoed (hexadecimal references, which may hold them, left out).
    assert "4821" not in re.sub(r"[0-9A-Fa-f]{8,}", "<ref>", result.stdout)
    reasons = [e["reason"] for e in running.api.get("/api/accounts/CC-1001").json()["escalations"]]
    assert "customer_request" in reasons
    assert "(conversation " in result.stdout


def test_shell_names_an_unknown_account(running):
    result = subprocess.run(
        [REMINDERBOT, "shell", "XX-0000"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=cli_env(running),
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "404" in result.stderr
