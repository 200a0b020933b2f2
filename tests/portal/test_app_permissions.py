"""P3 through the portal: the administrator sets Microsoft 365 up once for everyone with
application permissions (client-credentials grant); a user of the tenant then gets their
calendars at sign-in without a consent of their own, and cannot change or delete what the
administrator manages. Its own demo (Graph only), because it changes organisation settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridge.entry.demo import Demo
from bridge.model import ProviderKind
from tests.portal.conftest import PASSWORD, Browser, Running, signed_in

ADMIN_FORM = {
    "enabled": "on",
    "default_service": "microsoft365",
    "microsoft_api": "graph",
    "setup": "admin",
    "allowed_domains": "contoso.example",
    "allow_write_calendars": "on",
    "allow_contacts": "on",
    "connect_prompt": "first",
}


@pytest.fixture(scope="module")
def graph_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    demo = Demo(
        tmp_path_factory.mktemp("app-permissions"),
        port=0,
        refresh_interval_s=60.0,
        background=False,
        portal_port=0,
        providers=(ProviderKind.GRAPH,),
    )
    info = demo.start()
    assert demo.bridge is not None
    yield Running(demo, info, demo.bridge, info.portal_url)
    demo.stop()


def sandbox_requests(running: Running) -> list[dict[str, Any]]:
    s = running.info.sandboxes.graph
    r = requests.get(s.control_url + "/requests", verify=s.ca_file, timeout=30)
    r.raise_for_status()
    found = r.json()
    return list(found["requests"] if isinstance(found, dict) else found)


def test_admin_sets_up_microsoft_365_for_everyone(graph_only: Running) -> None:
    bridge = graph_only.bridge
    bridge.admin.create_user("boss", "alex@contoso.example", PASSWORD, admin=True)

    boss = signed_in(graph_only, "boss")
    saved = boss.post("/admin/settings", ADMIN_FORM)
    assert saved.status_code == 200 and "Organisation settings saved" in saved.text
    done = boss.post("/admin/app-permissions")
    assert done.status_code == 200, done.text
    assert "set up with application permissions" in done.text

    # Megan joins later and never consents: signing in is enough (the managed connection is
    # made then), and nobody visits the authorize page for her
    bridge.admin.create_user("megan", "megan@contoso.example", PASSWORD)
    before = len(sandbox_requests(graph_only))
    megan: Browser = signed_in(graph_only, "megan")
    profile = megan.get("/")
    assert "Microsoft 365" in profile.text and "megan@contoso.example" in profile.text
    assert "your administrator" in profile.text
    paths = [str(r["path"]).lower() for r in sandbox_requests(graph_only)[before:]]
    assert any("/users/megan@contoso.example" in p for p in paths), paths  # the log works
    assert not any("authorize" in p for p in paths), paths
    (status,) = bridge.connection_statuses("megan")
    assert status.managed and status.account == "megan@contoso.example"

    # her calendars reach a DAV client with an app password
    megan_row = bridge.ensure_user("megan")
    app_password = bridge.new_app_password(megan_row, "laptop")
    bridge.sync_connection(status.id)
    dav = requests.request(
        "PROPFIND",
        f"{graph_only.info.dav_url}megan/",
        auth=("megan", app_password),
        headers={"Depth": "1"},
        timeout=30,
    )
    assert dav.status_code == 207 and "calendar-m365" in dav.text, dav.text

    # what the administrator manages, the user cannot change or delete — even by crafted posts
    assert megan.post(f"/connections/{status.id}/delete").status_code == 403
    changed = megan.post(f"/connections/{status.id}/permissions", {"read_calendars": "on"})
    assert changed.status_code == 403
    assert bridge.connection_statuses("megan")[0].permissions["write_calendars"]


def test_app_permissions_need_an_administrator(graph_only: Running) -> None:
    bridge = graph_only.bridge
    bridge.admin.create_user("intern", "intern@contoso.example", PASSWORD)
    intern = signed_in(graph_only, "intern")
    intern.get("/")
    refused = intern.post("/admin/app-permissions")
    assert refused.status_code == 403
