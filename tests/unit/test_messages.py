"""Messages people read (CLI, portal, DAV error bodies) carry no exception reprs or object
addresses, and a failure to reach something says what failed and what to do.

Walks the whole error catalogue (every BridgeError subclass, built with text taken from a real
requests/urllib3 failure), and drives real connection failures through each provider's
translation."""

from __future__ import annotations

import inspect
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from bridge import errors
from bridge.errors import BridgeError
from bridge.plainwords import unreachable
from bridge.providers.ews.account import EwsConfig, test_connection
from bridge.providers.ews.errors import translate
from bridge.providers.graph.auth import GraphAppConfig
from bridge.providers.graph.http import WRITE_POLICY, GraphHttp

REPR = re.compile(r"object at 0x|<[\w.]+ object|\b\w+(Error|Exception)\(")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the test connects: refused


def real_connection_error() -> requests.ConnectionError:
    try:
        requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=5)
    except requests.ConnectionError as exc:
        return exc
    raise AssertionError("the closed port answered")


def all_errors(cls: type[BridgeError] = BridgeError) -> Iterator[type[BridgeError]]:
    yield cls
    for sub in cls.__subclasses__():
        yield from all_errors(sub)


def build(cls: type[BridgeError], text: str) -> BridgeError:
    args: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self" or param.default is not inspect.Parameter.empty:
            continue
        annotation = str(param.annotation)
        args[name] = 1 if ("int" in annotation or "float" in annotation) else text
    return cls(**args)


def test_the_catalogue_is_walked() -> None:
    names = {c.__name__ for c in all_errors()}
    assert {"ConfigError", "ProviderBusy", "PolicyRefused", "TooManyAttempts"} <= names
    assert all(c.__module__ == errors.__name__ for c in all_errors() if c.__module__ != "bridge")


@pytest.mark.parametrize("cls", list(all_errors()), ids=lambda c: c.__name__)
def test_no_error_message_carries_a_repr(cls: type[BridgeError]) -> None:
    raw = str(real_connection_error())
    assert REPR.search(raw), raw  # the raw text is the kind of thing this guards against
    error = build(cls, f"could not sync: {raw}")
    assert not REPR.search(error.message), error.message
    assert not REPR.search(str(error)), str(error)


def test_unreachable_names_the_place_the_cause_and_the_fix() -> None:
    port = closed_port()
    text = unreachable(
        f"http://user:pw@127.0.0.1:{port}/EWS/Exchange.asmx", real_connection_error()
    )
    assert text == (
        f"could not reach http://127.0.0.1:{port}: connection refused — check the URL and the "
        "firewall"
    )


def test_untrusted_certificate_names_the_ca_bundle_option() -> None:
    import ssl

    err = ssl.SSLCertVerificationError(1, "certificate verify failed")
    err.verify_message = "self-signed certificate"
    wrapped = requests.exceptions.SSLError(err)
    text = unreachable("https://mail.contoso.example/EWS/Exchange.asmx", wrapped)
    assert "TLS certificate is not accepted (self-signed certificate)" in text
    assert "ca_bundle" in text and not REPR.search(text)


def test_exchange_connection_test_in_plain_words() -> None:
    port = closed_port()
    config = EwsConfig(
        ews_url=f"http://127.0.0.1:{port}/EWS/Exchange.asmx",
        username="CONTOSO\\alex",
        password="pw",
        email="alex@contoso.example",
    )
    with pytest.raises(BridgeError) as err:
        test_connection(config)
    message = err.value.message
    assert f"could not reach http://127.0.0.1:{port}: connection refused" in message
    assert "check the URL" in message and not REPR.search(message)


def test_exchange_sync_failures_in_plain_words() -> None:
    message = translate(real_connection_error()).message
    assert "could not reach Exchange: connection refused — check the EWS URL" in message
    assert not REPR.search(message)


class NoToken:
    def access_token(self) -> str:
        return "token"

    def invalidate(self) -> None:
        return None


def test_graph_failures_in_plain_words() -> None:
    port = closed_port()
    base = f"http://127.0.0.1:{port}/v1.0"
    graph = GraphHttp(
        GraphAppConfig("https://login.example/tenant", "id", "secret", base),
        NoToken(),
        sleep=lambda _: None,
    )
    with pytest.raises(BridgeError) as err:
        graph.request("GET", "/me/calendars", policy=WRITE_POLICY)
    message = err.value.message
    assert f"could not reach http://127.0.0.1:{port}: connection refused" in message
    assert not REPR.search(message)


def test_google_token_refresh_failures_in_plain_words() -> None:
    from google.auth import exceptions as gexc

    from bridge.providers.google.auth import refresh_error

    error = refresh_error(gexc.TransportError(real_connection_error()))
    assert isinstance(error, BridgeError)
    assert "could not reach Google's token endpoint: connection refused" in error.message
    assert not REPR.search(error.message)
