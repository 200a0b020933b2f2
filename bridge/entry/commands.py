"""What the `davbridge` command modules (cli_users.py, cli_connect.py) share: how a command is
handed the facade, a command with subcommands of its own, and looking up the user a command names.

Must not do a command's work itself; commands call only methods of bridge.api.Bridge.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TypeAlias

from bridge import api
from bridge.organisation.administration import UserRecord

BridgeOf = Callable[[argparse.Namespace], api.Bridge]
Command = Callable[[BridgeOf, argparse.Namespace], int]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
WithConfig = Callable[[argparse.ArgumentParser], argparse.ArgumentParser]


def command_group(sub: Subparsers, name: str, help: str, metavar: str) -> Subparsers:
    """`davbridge NAME …`: a command whose own subcommand (`args.sub`) is required."""
    group = sub.add_parser(name, help=help)
    return group.add_subparsers(dest="sub", required=True, metavar=metavar)


def binder(bridge_of: BridgeOf) -> Callable[[Command], Callable[..., int]]:
    """Turns a command taking (bridge_of, args) into the argparse `func` taking args."""

    def run(command: Command) -> Callable[..., int]:
        return functools.partial(command, bridge_of)

    return run


def known_user(bridge: api.Bridge, name: str) -> UserRecord | None:
    """The bridge user `name`; None (and a line on stderr) when there is none."""
    user = bridge.user_by_name(name)
    if user is None:
        print(f"no user {name!r}", file=sys.stderr)
    return user
