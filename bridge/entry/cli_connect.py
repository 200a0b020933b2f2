"""The `davbridge connect …` commands: connect a user's Microsoft 365 or Google account (consent
in a browser, the redirect caught by a one-shot loopback listener) or Exchange Server mailbox
(user name and password, tested before saving), then the first sync with its progress.

A composition root beside bridge/entry/cli.py (which registers these commands with `add_commands`);
the work is done by bridge.api.
"""

from __future__ import annotations

import argparse
import http.server
import os
import urllib.parse

from bridge import api
from bridge.accounts import registry
from bridge.entry.commands import (
    BridgeOf,
    Subparsers,
    WithConfig,
    binder,
    command_group,
    known_user,
)
from bridge.model import ProviderKind


def _connect_oauth(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    """Consent in a browser, with a one-shot loopback listener catching the redirect."""
    bridge = bridge_of(args)
    user = known_user(bridge, args.user)
    if user is None:
        return 1
    answer: dict[str, str] = {}

    class Catch(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - stdlib API
            answer.update(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"davbridge: you can close this window.")

        def log_message(self, *args: object) -> None:
            return

    listener = http.server.HTTPServer(("127.0.0.1", args.listen_port), Catch)
    redirect = f"http://127.0.0.1:{listener.server_port}/"
    url, pending = bridge.operator_begin_consent(
        ProviderKind(args.provider),
        user.id,
        redirect,
        write=not args.read_only,
        contacts=not args.no_contacts,
    )
    print(f"Open this URL in a browser and sign in:\n\n  {url}\n", flush=True)
    listener.handle_request()
    conn = bridge.operator_complete_consent(pending, answer)
    _first_sync(bridge, conn.id, conn.account)
    return 0


def _first_sync(bridge: api.Bridge, connection_id: int, account: str) -> None:
    """Pull everything once, saying how far it got (a large mailbox takes minutes)."""
    print(f"connected {account}; mirroring its calendars and address books …", flush=True)

    def show(p: api.SyncProgress) -> None:
        if p.current:
            print(f"  {p.done + 1}/{p.total} {p.current} ({p.items} items so far)", flush=True)

    bridge.sync_connection(connection_id, progress=show)
    colls = bridge.connection_collections(connection_id)
    calendars = sum(1 for c in colls if c.kind.value == "calendar")
    books = len(colls) - calendars
    print(
        f"done: {_count(calendars, 'calendar')} and {_count(books, 'address book')} mirrored",
        flush=True,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _connect_exchange(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    """Exchange (EWS): the connection is tested before it is saved."""
    import getpass

    bridge = bridge_of(args)
    user = known_user(bridge, args.user)
    if user is None:
        return 1
    url = args.ews_url or bridge.config().ews.default_url
    password = os.environ.get("DAVBRIDGE_EWS_PASSWORD") or getpass.getpass("Password: ")
    conn = bridge.operator_connect_exchange(
        user.id,
        url=url,
        username=args.username,
        password=password,
        email=args.email or args.username,
        version=args.version,
        auth_type=args.auth_type,
    )
    _first_sync(bridge, conn.id, conn.account)
    return 0


def add_commands(sub: Subparsers, with_config: WithConfig, bridge_of: BridgeOf) -> None:
    """Register `connect graph|google|exchange` under the `davbridge` parser's subcommands."""

    run = binder(bridge_of)

    c = command_group(sub, "connect", "connect a provider account", "SERVICE")
    for entry in registry.ENTRIES:
        if entry.consent != "oauth":
            continue
        name = entry.kind.value
        cg = with_config(c.add_parser(name, help=entry.cli_help))
        cg.add_argument("user", help="bridge user name the account is connected for")
        cg.add_argument("--read-only", action="store_true", help="calendars read-only")
        cg.add_argument("--no-contacts", action="store_true", help="do not sync contacts")
        cg.add_argument(
            "--listen-port",
            type=int,
            default=0,
            help="port of the one-shot http://127.0.0.1:PORT/ listener catching the sign-in "
            "redirect (default: any free port; fix it when your app registration lists an "
            "exact redirect URI)",
        )
        cg.set_defaults(func=run(_connect_oauth), provider=name)
    cx = with_config(
        c.add_parser(
            "exchange",
            help="Exchange Server on-premises over EWS (user name and password; password from "
            "DAVBRIDGE_EWS_PASSWORD or a prompt)",
        )
    )
    cx.add_argument("user", help="bridge user name the account is connected for")
    cx.add_argument("--username", required=True, help="DOMAIN\\user or UPN")
    cx.add_argument("--email", help="primary SMTP address (default: the user name)")
    cx.add_argument("--ews-url", help="EWS URL, https://mail.example.com/EWS/Exchange.asmx")
    cx.add_argument("--version", help="Exchange2013, Exchange2013_SP1, Exchange2016, Exchange2019")
    cx.add_argument(
        "--auth-type", choices=["NTLM", "basic"], help="authentication (default [ews] auth_type)"
    )
    cx.set_defaults(func=run(_connect_exchange))
