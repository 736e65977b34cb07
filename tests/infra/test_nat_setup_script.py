"""The NAT setup script, run for real against stand-in system commands: idempotent, and a failure is retryable.

The commands it calls (iptables, dnf, sysctl, ip, swapon, ...) are small
executables on PATH that record each call and keep iptables' rules in a file,
so the script's own logic runs unchanged.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from stacks.constructs.nat_instance import SETUP_SCRIPT

FAKES = {
    # iptables: -C answers from the rules file, -A appends to it, -P is remembered
    "iptables": """
rules="$STATE/rules"; touch "$rules"; echo "iptables $*" >> "$STATE/calls"
args="$*"
case "$args" in
  *" -C "*) grep -qxF -- "${args/ -C / -A }" "$rules" ;;
  *" -A "*) echo "$args" >> "$rules" ;;
  *) exit 0 ;;
esac
""",
    "dnf": 'echo "dnf $*" >> "$STATE/calls"; [ ! -f "$STATE/dnf-fails" ] && { cp "$STATE/iptables.real" "$BIN/iptables"; }',
    "sysctl": 'echo "sysctl $*" >> "$STATE/calls"',
    "ip": 'echo "default via 10.40.0.1 dev ens5 proto dhcp src 10.40.0.10 metric 512"',
    "swapon": 'echo "swapon $*" >> "$STATE/calls"; [ "$1" = --show=NAME ] && cat "$STATE/swaps" 2>/dev/null; [ "$1" = /swapfile ] && echo /swapfile >> "$STATE/swaps"; exit 0',
    "mkswap": "exit 0",
    "dd": 'for a in "$@"; do case "$a" in of=*) touch "${a#of=}";; esac; done',
    "chmod": "exit 0",
}


@pytest.fixture
def system(tmp_path: Path) -> dict[str, str]:
    bin_dir, state = tmp_path / "bin", tmp_path / "state"
    bin_dir.mkdir()
    state.mkdir()
    for name, body in FAKES.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(0o755)
    # iptables is "not installed" until dnf installs it
    (bin_dir / "iptables").rename(state / "iptables.real")
    script = tmp_path / "nat-setup"
    # The swap file lives in the test's directory, not at /swapfile.
    script.write_text(SETUP_SCRIPT.read_text().replace("/swapfile", str(tmp_path / "swapfile")))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "STATE": str(state), "BIN": str(bin_dir)}
    return {"script": str(script), "state": str(state), **env}


def _run(system: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: system[k] for k in ("PATH", "STATE", "BIN")}
    return subprocess.run(["bash", system["script"]], env=env, capture_output=True, text=True, timeout=30)


def test_a_first_boot_installs_iptables_forwards_and_masquerades(system):
    result = _run(system)
    assert result.returncode == 0, result.stderr
    calls = Path(system["state"], "calls").read_text()
    assert "dnf install" in calls and "sysctl -q -w net.ipv4.ip_forward=1" in calls
    assert Path(system["state"], "rules").read_text().splitlines() == ["-t nat -A POSTROUTING -o ens5 -j MASQUERADE"]


def test_running_it_again_changes_nothing(system):
    # Given a NAT already set up (a reboot, a unit restart)
    assert _run(system).returncode == 0
    # When the setup runs again
    result = _run(system)
    # Then it succeeds without a second rule, a second install or a second swap file
    assert result.returncode == 0, result.stderr
    assert len(Path(system["state"], "rules").read_text().splitlines()) == 1
    assert Path(system["state"], "calls").read_text().count("dnf install") == 1


def test_a_failed_install_fails_the_run_so_systemd_retries_it(system):
    # Given dnf failing (its lock or cache clean-up racing it, or an OOM kill)
    Path(system["state"], "dnf-fails").touch()
    Path(system["BIN"], "dnf").write_text('#!/bin/bash\necho "dnf $*" >> "$STATE/calls"; exit 1\n')
    first = _run(system)
    # Then the run fails before any rule (Restart=on-failure runs it again), and no half-NAT is left
    assert first.returncode != 0
    assert not Path(system["state"], "rules").exists()
    # When dnf works again, the retry completes the setup
    Path(system["BIN"], "dnf").write_text(f"#!/bin/bash\n{FAKES['dnf']}\n")
    Path(system["state"], "dnf-fails").unlink()
    assert _run(system).returncode == 0
    assert Path(system["state"], "rules").read_text().count("MASQUERADE") == 1


def test_bash_accepts_the_script():
    assert subprocess.run(["bash", "-n", str(SETUP_SCRIPT)], capture_output=True).returncode == 0
    assert os.access(SETUP_SCRIPT, os.R_OK)
