"""The container image without Docker (which cannot run here): a lint of the Dockerfile and the
compose deployment for what matters, and the image's own entrypoint command run with the
image's environment (plus what deploy/compose.yaml adds), checking that DAV, /health, the portal
and the healthcheck command all answer.

What is remapped for this machine, and only that: the image's paths (/data, /keys, the copied
example configuration) point into a temporary directory, and the listeners use free loopback
ports instead of 0.0.0.0:5232/5233 (other servers share this machine)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import yaml

from bridge import settings

ROOT = Path(__file__).parents[2]


@dataclasses.dataclass
class Dockerfile:
    froms: list[str]
    env: dict[str, str]
    expose: list[int]
    user: str
    entrypoint: list[str]
    cmd: list[str]
    healthcheck: list[str]
    copies: list[tuple[str, str]]


def parse_dockerfile(path: Path) -> Dockerfile:
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = [
        ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
    ]
    df = Dockerfile([], {}, [], "", [], [], [], [])
    for line in lines:
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            df.froms.append(rest.split()[0])
            df.env, df.user, df.copies = {}, "", []  # a new stage starts afresh
        elif op == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                df.env[key] = value
        elif op == "EXPOSE":
            df.expose = [int(p.split("/")[0]) for p in rest.split()]
        elif op == "USER":
            df.user = rest.strip()
        elif op == "ENTRYPOINT":
            df.entrypoint = json.loads(rest)
        elif op == "CMD":
            df.cmd = json.loads(rest)
        elif op == "HEALTHCHECK":
            df.healthcheck = json.loads(rest[rest.index("CMD") + 3 :])
        elif op == "COPY" and "--from" not in rest:
            src, dst = rest.split()[-2:]
            df.copies.append((src, dst))
    return df


@pytest.fixture(scope="module")
def image() -> Dockerfile:
    return parse_dockerfile(ROOT / "Dockerfile")


@pytest.fixture(scope="module")
def compose() -> dict[str, object]:
    return dict(yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text()))


def setting_names() -> set[str]:
    names = {"DAVBRIDGE_CONFIG", "DAVBRIDGE_SECRET_KEY", "DAVBRIDGE_EWS_PASSWORD"}
    for section in dataclasses.fields(settings.Settings):
        factory = section.default_factory
        assert callable(factory)
        for opt in dataclasses.fields(factory()):
            names.add(f"DAVBRIDGE_{section.name}_{opt.name}".upper())
    return names


def test_dockerfile_lint(image: Dockerfile) -> None:
    for base in image.froms:
        tag = base.split(":")[1] if ":" in base else "latest"
        assert re.fullmatch(r"\d+\.\d+\.\d+-slim-\w+", tag), f"pin the base image: {base}"
    assert image.user and image.user not in ("root", "0"), "the service must not run as root"
    assert image.entrypoint == ["davbridge"] and image.cmd == ["serve"]
    assert image.healthcheck == ["davbridge", "health"]  # reads the configured port
    ports = {int(image.env["DAVBRIDGE_SERVER_PORT"]), int(image.env["DAVBRIDGE_PORTAL_PORT"])}
    assert set(image.expose) == ports
    assert image.env["DAVBRIDGE_SERVER_HOST"] == image.env["DAVBRIDGE_PORTAL_HOST"] == "0.0.0.0"
    unknown = set(image.env) - setting_names() - {"PYTHONUNBUFFERED"}
    assert not unknown, f"not davbridge settings: {unknown}"
    # the key lives in its own volume, not in the data directory
    assert not image.env["DAVBRIDGE_SECRETS_KEY_FILE"].startswith(
        image.env["DAVBRIDGE_STORE_DATA_DIR"]
    )


def test_compose_matches_the_image(image: Dockerfile, compose: dict[str, object]) -> None:
    services = compose["services"]
    assert isinstance(services, dict)
    bridge = services["davbridge"]
    assert {int(p) for p in bridge["expose"]} == set(image.expose)
    assert set(bridge["environment"]) <= setting_names()
    assert bridge["environment"]["DAVBRIDGE_PORTAL_PUBLIC_URL"].startswith("https://")
    assert bridge["environment"]["DAVBRIDGE_SERVER_PUBLIC_URL"].startswith("https://")
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    proxied = {int(p) for p in re.findall(r"reverse_proxy davbridge:(\d+)", caddyfile)}
    assert proxied == set(image.expose)
    assert "443:443" in services["caddy"]["ports"]


def test_every_environment_variable_is_documented(image: Dockerfile) -> None:
    readme = (ROOT / "README.md").read_text()
    sources = " ".join(p.read_text() for p in (ROOT / "bridge").rglob("*.py"))
    used = set(re.findall(r'(?:environ|env|getenv)(?:\.get)?[\[(]"(DAVBRIDGE_\w+)"', sources))
    assert "DAVBRIDGE_SECRET_KEY" in used  # the pattern finds the lookups

    used |= set(image.env) - {"PYTHONUNBUFFERED"}
    # DAVBRIDGE_<SECTION>_<OPTION> is documented as a rule plus the example table
    missing = sorted(v for v in used if v not in readme)
    assert missing == [], f"README does not mention {missing}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def image_environment(image: Dockerfile, compose: dict[str, object], tmp: Path) -> dict[str, str]:
    services = compose["services"]
    assert isinstance(services, dict)
    dotenv = {"DAV_DOMAIN": "dav.example.test", "PORTAL_DOMAIN": "portal.example.test"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAVBRIDGE_")}
    env.update(image.env)
    for key, value in services["davbridge"]["environment"].items():
        env[key] = re.sub(
            r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: dotenv.get(m[1], m[2] or ""), str(value)
        )
    # the image's files and directories, here
    copied = dict((dst, src) for src, dst in image.copies)
    env["DAVBRIDGE_CONFIG"] = str(ROOT / copied[image.env["DAVBRIDGE_CONFIG"]])
    for var in ("DAVBRIDGE_STORE_DATA_DIR", "DAVBRIDGE_SECRETS_KEY_FILE"):
        env[var] = str(tmp / env[var].lstrip("/"))
    env["DAVBRIDGE_SERVER_HOST"] = env["DAVBRIDGE_PORTAL_HOST"] = "127.0.0.1"
    env["DAVBRIDGE_SERVER_PORT"] = str(free_port())
    env["DAVBRIDGE_PORTAL_PORT"] = str(free_port())
    return env


def davbridge(*argv: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from bridge.entry.cli import main; sys.exit(main())",
        *argv,
    ]


def answer(
    proc: subprocess.Popen[bytes], ask: Callable[[], requests.Response]
) -> requests.Response:
    """The first answer to `ask` once the server listens (it starts within a minute)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return ask()
        except requests.ConnectionError:
            assert proc.poll() is None, proc.communicate()[0].decode()
            assert time.monotonic() < deadline, "the server never answered"
            time.sleep(0.2)


def test_the_entrypoint_serves_dav_and_the_portal(
    image: Dockerfile, compose: dict[str, object], tmp_path: Path
) -> None:
    env = image_environment(image, compose, tmp_path)
    command = davbridge(*image.entrypoint[1:], *image.cmd)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    dav = f"http://127.0.0.1:{env['DAVBRIDGE_SERVER_PORT']}/"
    portal = f"http://127.0.0.1:{env['DAVBRIDGE_PORTAL_PORT']}/"
    try:
        health = answer(proc, lambda: requests.get(dav + "health", timeout=5))
        assert health.status_code == 200
        well_known = requests.request(
            "PROPFIND", dav + ".well-known/caldav", allow_redirects=False, timeout=10
        )
        assert well_known.status_code in (301, 302, 401)
        page = answer(
            proc,
            lambda: requests.get(
                portal, headers={"X-Forwarded-Proto": "https"}, allow_redirects=False, timeout=10
            ),
        )
        assert page.status_code in (200, 302, 303), page.text[:300]
        check = subprocess.run(
            davbridge(*image.healthcheck[1:]), env=env, capture_output=True, text=True, timeout=60
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0].decode()
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    assert lines, out
    assert all(json.loads(ln)["level"] in ("info", "warning") for ln in lines), out
    assert "max_resource_size" not in out  # Radicale's start-up warning is gone
    # serve runs the offline checks at start: no provider configured is said, as a warning
    warnings = [json.loads(ln)["msg"] for ln in lines if json.loads(ln)["level"] == "warning"]
    assert any("neither Microsoft 365 nor Google is configured" in w for w in warnings), out
    assert (tmp_path / "data").stat().st_mode & 0o077 == 0
    assert (tmp_path / "keys" / "secret.key").stat().st_mode & 0o077 == 0
