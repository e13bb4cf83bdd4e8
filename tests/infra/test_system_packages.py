"""`make run` / `make test` check their Debian packages first: install them when allowed (root,
or sudo without a password), otherwise stop at once with the exact command to run."""

from __future__ import annotations

import subprocess
import sys

from bot.infra import system_packages as sp
from bot.settings import ROOT


def check(target, *, have=(), euid=1000, sudo=False):
    said, ran = [], []
    code = sp.check(
        target,
        is_debian=True,
        installed=lambda p: p in have,
        euid=euid,
        sudo_works=lambda: sudo,
        run=lambda cmd, **_: ran.append(cmd),
        say=said.append,
    )
    return code, "\n".join(said), ran


def test_the_packages_each_target_needs():
    assert sp.PACKAGES["run"] == ["espeak-ng", "libespeak-ng1"]
    assert sp.PACKAGES["test"] == [
        "espeak-ng",
        "libespeak-ng1",
        "chromium",
        "chromium-driver",
        "sox",
        "fonts-wqy-microhei",
        "haproxy",
    ]
    assert sp.PACKAGES["replicas"] == ["espeak-ng", "libespeak-ng1", "haproxy"]


def test_make_run_with_replicas_needs_haproxy():
    assert sp.target_for("run", {"REPLICAS": "2"}) == "replicas"
    assert sp.target_for("run", {"REPLICAS": "1"}) == "run"
    assert sp.target_for("run", {}) == "run"
    assert sp.target_for("test", {"REPLICAS": "3"}) == "test"


def test_nothing_happens_when_everything_is_installed():
    assert check("test", have=sp.PACKAGES["test"]) == (0, "", [])


def test_root_installs_what_is_missing_with_apt_get():
    code, _, ran = check("test", have=["espeak-ng", "libespeak-ng1"], euid=0)
    assert code == 0
    assert ran == [
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver", "sox"]
        + ["fonts-wqy-microhei", "haproxy"],
    ]


def test_passwordless_sudo_installs_with_sudo():
    code, _, ran = check("run", sudo=True)
    assert code == 0
    assert ran[-1] == ["sudo", "apt-get", "install", "-y", "-qq", "espeak-ng", "libespeak-ng1"]


def test_otherwise_it_stops_with_the_exact_command():
    code, said, ran = check("test", have=["espeak-ng", "libespeak-ng1", "chromium"])
    assert code == 1 and ran == []
    assert "sudo apt-get install -y chromium-driver sox fonts-wqy-microhei" in said


def test_it_runs_with_the_standard_library_only():
    """Before the venv exists: the check runs under a bare interpreter (-S: no site-packages)."""
    result = subprocess.run(
        [sys.executable, "-S", "-c", "import bot.infra.system_packages"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_a_package_dpkg_knows_but_has_not_installed_is_missing():
    # The Chinese font of the browser tests read "installed" from this and was never installed.
    assert not sp.is_installed_status("unknown ok not-installed")
    assert not sp.is_installed_status("deinstall ok config-files")
    assert sp.is_installed_status("install ok installed\n")
