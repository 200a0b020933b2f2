"""`davbridge demo` runs the provider sandboxes in a child process of their own (so the bridge's
process is the bridge alone), and that child never outlives the demo: not after SIGTERM, not
after kill -9 of the demo. A restarted demo gets the sandboxes back on the same ports (the
bridge's connections stay valid, no new consent). Without the sandbox package the demo says
what is missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.conftest import RunningDemo, free_port, start_demo, stop_demo


def sandbox_hosts(parent: int) -> list[int]:
    """The demo's children that are a sandbox host (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and "sandbox.demo_host" in cmdline:
            found.append(int(entry.name))
    return found


def gone(pid: int, timeout: float = 20.0) -> bool:
    """The process exited (a zombie nobody reaped counts as exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.2)
    return False


def sandbox_answers(demo: RunningDemo) -> bool:
    s = demo.info["sandbox"]
    r = requests.get(f"{s['control_url']}/info", verify=s["ca_file"], timeout=10)
    return r.status_code == 200


def test_sandboxes_live_and_die_with_the_demo(tmp_path: Path) -> None:
    port = free_port()
    first = start_demo(tmp_path, port)
    hosts = sandbox_hosts(first.process.pid)
    assert len(hosts) == 1, hosts
    assert sandbox_answers(first)

    first.process.kill()  # no chance to stop anything itself
    first.process.wait(10)
    assert gone(hosts[0]), "the sandbox host outlived a demo killed with -9"

    again = start_demo(tmp_path, port)
    try:
        for section, key in (("sandbox", "graph_base_url"), ("google", "token_uri")):
            assert again.info[section][key] == first.info[section][key]  # same ports
        assert again.info["ews"]["ews_url"] == first.info["ews"]["ews_url"]
        assert "needs consent again" not in again.log.read_text()
        (host,) = sandbox_hosts(again.process.pid)
    finally:
        assert stop_demo(again) == 0, again.log.read_text()
    assert gone(host), "the sandbox host outlived a demo stopped with SIGTERM"


def test_without_the_sandbox_package_the_demo_says_so(tmp_path: Path) -> None:
    """As in an image built with DEMO=0: the package cannot be found."""
    hide = (
        "import importlib.util as u, sys; real = u.find_spec; "
        "u.find_spec = lambda name, *a: None if name == 'sandbox' else real(name, *a); "
        "from bridge.cli import main; "
        f"sys.exit(main(['demo', '--data-dir', {str(tmp_path)!r}, '--port', '0']))"
    )
    done = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "the `sandbox` package" in done.stderr and "DEMO=0" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_sandbox_host_stops_and_saves_on_sigterm(tmp_path: Path) -> None:
    """Run alone (as the demo runs it), the host stops on SIGTERM and saves its state."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox.demo_host",
            "--data-dir",
            str(tmp_path),
            "--providers",
            "ews",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    assert "ews_url" in proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert (tmp_path / "sandbox-ews" / "ews-sandbox.json").exists()
    assert (tmp_path / "demo.json").exists()
