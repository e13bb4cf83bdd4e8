"""The Debian packages `make run` and `make test` need, checked before anything else.

Run with any Python 3 (standard library only; it runs before the venv exists):
``python3 -m bot.infra.system_packages run|test``. Missing packages are installed with apt-get
when that is allowed (root, or sudo without a password); otherwise it stops at once with the
exact command to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence

VOICE = ["espeak-ng", "libespeak-ng1"]  # the bot's voice (pyttsx3 drives espeak-ng)
PACKAGES = {
    "run": VOICE,
    # `REPLICAS=N make run` (N > 1): the replicas sit behind HAProxy (bot/infra/replicas.py).
    "replicas": [*VOICE, "haproxy"],
    # Headless Chromium for the browser tests, with a font that draws Chinese (the chat page
    # and the console in Mandarin); sox for the telephony tests' audio; HAProxy for the
    # replica test (tests/stack/test_replicas.py).
    "test": [*VOICE, "chromium", "chromium-driver", "sox", "fonts-wqy-microhei", "haproxy"],
}


def target_for(target: str, environ: dict) -> str:
    """`make run` with REPLICAS above 1 needs what the replica profile needs."""
    replicas = environ.get("REPLICAS", "1").strip()
    return "replicas" if target == "run" and replicas.isdigit() and int(replicas) > 1 else target


def dpkg_installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0 and is_installed_status(result.stdout)


def is_installed_status(status: str) -> bool:
    """dpkg's "want ok state": a package once known but removed reads "unknown ok not-installed",
    which also ends in "installed"; only the state word itself counts."""
    words = status.split()
    return len(words) == 3 and words[2] == "installed"


def missing(packages: Sequence[str], installed: Callable[[str], bool] = dpkg_installed) -> list:
    return [p for p in packages if not installed(p)]


def may_install(euid: int, sudo_works: Callable[[], bool]) -> str | None:
    """The prefix to install with: "" as root, "sudo" when it needs no password, else None."""
    if euid == 0:
        return ""
    return "sudo" if sudo_works() else None


def _sudo_works() -> bool:
    if shutil.which("sudo") is None:
        return False
    return subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False).returncode == 0


def apt_commands(packages: Sequence[str], prefix: str) -> list[list[str]]:
    sudo = [prefix] if prefix else []
    return [
        [*sudo, "apt-get", "update", "-qq"],
        [*sudo, "apt-get", "install", "-y", "-qq", *packages],
    ]


def check(
    target: str,
    *,
    is_debian: bool | None = None,
    installed: Callable[[str], bool] = dpkg_installed,
    euid: int | None = None,
    sudo_works: Callable[[], bool] = _sudo_works,
    run: Callable[..., object] = subprocess.run,
    say: Callable[[str], None] = lambda text: print(text, file=sys.stderr, flush=True),
) -> int:
    """0 when every package for ``target`` is there (installing them if allowed), else 1."""
    packages = PACKAGES[target]
    if is_debian is None:
        is_debian = shutil.which("dpkg-query") is not None and shutil.which("apt-get") is not None
    if not is_debian:
        say(
            f"`make {target}` needs {', '.join(packages)} (Debian names); this is not "
            "Debian/Ubuntu, so install their equivalents yourself."
        )
        return 0
    absent = missing(packages, installed)
    if not absent:
        return 0
    prefix = may_install(os.geteuid() if euid is None else euid, sudo_works)
    if prefix is None:
        say(
            f"`make {target}` needs the Debian packages {', '.join(absent)}. Install them with:\n"
            f"  sudo apt-get install -y {' '.join(absent)}\nthen run `make {target}` again."
        )
        return 1
    say(f"installing {', '.join(absent)} with apt-get (needed by `make {target}`)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in apt_commands(absent, prefix):
        run(command, check=True, env=env)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in PACKAGES:
        sys.exit(f"usage: python3 -m bot.infra.system_packages {'|'.join(PACKAGES)}")
    sys.exit(check(target_for(sys.argv[1], os.environ)))
