"""The [portal] settings: where the portal listens and the rule that it is https off-machine."""

from __future__ import annotations

import pytest

from bridge import settings
from bridge.errors import ConfigError


def test_default_portal_is_local_http_next_to_the_dav_port() -> None:
    portal = settings.load(None, env={}).portal
    assert (portal.host, portal.port, portal.session_hours) == ("127.0.0.1", 5233, 12)
    assert portal.url == "http://127.0.0.1:5233/"


def test_public_url_wins_and_ends_with_a_slash() -> None:
    env = {
        "DAVBRIDGE_PORTAL_HOST": "0.0.0.0",
        "DAVBRIDGE_PORTAL_PUBLIC_URL": "https://bridge.contoso.example/portal",
    }
    assert settings.load(None, env=env).portal.url == "https://bridge.contoso.example/portal/"


@pytest.mark.parametrize(
    "env",
    [
        {"DAVBRIDGE_PORTAL_HOST": "0.0.0.0"},
        {"DAVBRIDGE_PORTAL_PUBLIC_URL": "http://bridge.contoso.example/"},
    ],
)
def test_plain_http_off_the_loopback_interface_is_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="not https") as err:
        settings.load(None, env=env)
    assert err.value.key == "portal.public_url"


def test_http_on_loopback_names_are_allowed() -> None:
    for url in ("http://localhost:8080/", "http://[::1]:5233/", "http://127.0.0.2/"):
        env = {"DAVBRIDGE_PORTAL_PUBLIC_URL": url}
        assert settings.load(None, env=env).portal.url == url


def test_session_hours_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="session_hours"):
        settings.load(None, env={"DAVBRIDGE_PORTAL_SESSION_HOURS": "0"})
