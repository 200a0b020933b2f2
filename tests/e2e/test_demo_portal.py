"""`davbridge demo` runs the web portal: the demo user is its administrator, with a portal
password generated once and the same after a restart."""

from __future__ import annotations

from pathlib import Path

import requests

from bridge.entry.demo import Demo
from bridge.model import ProviderKind
from bridge.secrets import verify_password


def _demo(data_dir: Path) -> Demo:
    return Demo(
        data_dir,
        port=0,
        portal_port=0,
        background=False,
        providers=(ProviderKind.GRAPH,),
    )


def test_demo_serves_the_portal_and_keeps_its_password(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    info = first.start()
    try:
        assert info.portal_url.startswith("http://127.0.0.1:") and info.portal_url.endswith("/")
        assert info.portal_url != info.dav_url
        page = requests.get(info.portal_url + "signin", timeout=10)
        assert page.status_code == 200 and 'name="password"' in page.text
        published = info.as_json()
        assert published["portal_url"] == info.portal_url
        assert published["portal_password"] == info.portal_password != info.password
        assert first.bridge is not None
        store = first.bridge.store
        user = store.user_by_name("demo")
        assert user is not None and user.is_admin and user.has_password
        stored = store.user_password_hash(user.id)
        assert stored and verify_password(info.portal_password, stored)
    finally:
        first.stop()
    second = _demo(tmp_path)
    again = second.start()
    try:
        assert again.portal_password == info.portal_password
    finally:
        second.stop()
    secret = (tmp_path / "demo-portal-password.enc").read_bytes()
    assert info.portal_password.encode() not in secret  # kept encrypted


def test_in_process_demo_without_portal_port_runs_no_portal(tmp_path: Path) -> None:
    demo = Demo(tmp_path, port=0, background=False, providers=(ProviderKind.GRAPH,))
    info = demo.start()
    try:
        assert info.portal_url == "" and info.portal_password
    finally:
        demo.stop()
