"""The `davbridge grant …` commands (SPEC C7, issue 15 point 3): an administrator lets user A
read, or read and write, user B's calendars — with or without the details of B's private
events — for organisations that have not set delegation up at the provider.

  davbridge grant add OWNER GRANTEE [--write] [--private]   (changes an existing grant)
  davbridge grant list
  davbridge grant revoke ID

A composition root beside bridge/entry/cli.py; every command is one call of the facade. Commands
act as the operator, who already holds the database.
"""

from __future__ import annotations

import argparse
import datetime as dt

from bridge.entry.commands import BridgeOf, Subparsers, WithConfig, binder, command_group
from bridge.store.delegation import GrantRow

OPERATOR = "operator (CLI)"


def describe(g: GrantRow) -> str:
    what = "read and write" if g.write else "read"
    private = "with" if g.private else "without"
    return (
        f"{g.id}\t{g.grantee_name} may {what} {g.owner_name}'s calendars, {private} private "
        f"details\t(given {dt.datetime.fromtimestamp(g.created, dt.UTC):%Y-%m-%d} by "
        f"{g.created_by})"
    )


def _add(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    grant = bridge_of(args).add_grant(args.owner, args.grantee, args.write, args.private, OPERATOR)
    print(f"granted: {describe(grant)}")
    return 0


def _list(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    grants = bridge_of(args).grants()
    for g in grants:
        print(describe(g))
    if not grants:
        print("no grants")
    return 0


def _revoke(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    grant = bridge_of(args).revoke_grant(args.id, OPERATOR)
    print(f"revoked: {grant.grantee_name} no longer sees {grant.owner_name}'s calendars")
    return 0


def add_commands(sub: Subparsers, with_config: WithConfig, bridge_of: BridgeOf) -> None:
    run = binder(bridge_of)
    g = command_group(sub, "grant", "let a user see another user's calendars", "ACTION")
    ga = with_config(g.add_parser("add", help="OWNER's calendars for GRANTEE (or change it)"))
    ga.add_argument("owner", help="bridge user whose calendars are shared")
    ga.add_argument("grantee", help="bridge user who gets access")
    ga.add_argument("--write", action="store_true", help="may also create, change and delete")
    ga.add_argument(
        "--private", action="store_true", help="may see private events (else: busy blocks)"
    )
    ga.set_defaults(func=run(_add))
    gl = with_config(g.add_parser("list", help="every grant"))
    gl.set_defaults(func=run(_list))
    gr = with_config(g.add_parser("revoke", help="remove a grant (takes effect at once)"))
    gr.add_argument("id", type=int, help="the grant's number (see `grant list`)")
    gr.set_defaults(func=run(_revoke))
