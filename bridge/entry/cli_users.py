"""The `davbridge user …` and `davbridge group …` commands: bridge users with their portal
passwords and admin flag, groups and their policy overrides (P6).

A composition root beside bridge/entry/cli.py (which registers these commands with `add_commands`);
every command is a thin call into bridge.organisation.administration. Commands act as the OPERATOR: whoever
runs them on the server already holds the database. Passwords are read from a terminal (typed
twice, not echoed) or one line of stdin, and are never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bridge import api
from bridge.entry.commands import BridgeOf, Subparsers, WithConfig, binder, command_group
from bridge.errors import BadInput, NotFound
from bridge.organisation.administration import OPERATOR, GroupRecord
from bridge.organisation.policy import FIELDS_BY_NAME, INHERIT


def _interactive() -> bool:
    """Someone at a terminal (stdin and stdout): scripts and tests capturing output are not
    asked anything."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _read_password(args: argparse.Namespace, *, required: bool) -> str | None:
    """The portal password: one line of stdin (--password-stdin), else typed twice at a
    terminal; None when not interactive, or left empty where none is required."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password and required:
            raise BadInput("no password on standard input")
        return password or None
    if not _interactive():
        if required:
            raise BadInput("no terminal to type the password on: use --password-stdin")
        return None
    hint = "" if required else " (empty: sign in with Microsoft or Google only)"
    password = getpass.getpass(f"Portal password for {args.name}{hint}: ")
    if not password and not required:
        return None
    if getpass.getpass("Again: ") != password:
        raise BadInput("the two passwords differ")
    return password


def _user_add(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    bridge = bridge_of(args)
    if bridge.user_by_name(args.name):
        print(f"user {args.name!r} exists", file=sys.stderr)
        return 1
    password = _read_password(args, required=False)
    user = bridge.create_user(args.name, args.email, password, args.admin)
    role = "administrator" if user.is_admin else "user"
    how = "a portal password" if user.has_password else "no portal password"
    print(f"created {role} {args.name} with {how}")
    # P3 "administrator once for everyone": the new user's Microsoft 365 is connected now
    managed = bridge.ensure_managed_connection(user.id)
    if managed is not None:
        print(f"connected {managed.label} ({managed.account}) with the organisation's permission")
    return 0


def _user_passwd(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    bridge = bridge_of(args)
    password = _read_password(args, required=True)
    assert password is not None
    bridge.set_password(args.name, password)
    print(f"portal password of {args.name} set; their portal sessions were ended")
    return 0


def _user_list(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    bridge = bridge_of(args)
    groups = {g.id: g.name for g in bridge.groups()}
    for u in bridge.users():
        flags = (
            "admin" if u.is_admin else "",
            "password" if u.has_password else "no password",
            f"group {groups[u.group_id]}" if u.group_id in groups else "",
            f"{u.sign_ins} sign-ins",
        )
        print(f"{u.id:>4}  {u.name:<24} {u.email or '-':<32} {', '.join(f for f in flags if f)}")
    return 0


def _group_named(bridge: api.Bridge, name: str) -> GroupRecord:
    for group in bridge.groups():
        if group.name == name:
            return group
    raise NotFound(f"no group {name!r}")


def _group_add(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    group = bridge_of(args).create_group(OPERATOR, args.name)
    print(f"created group {group.name}")
    return 0


def _group_set(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    """KEY=VALUE overrides the organisation setting KEY for the group; KEY=inherit drops it."""
    bridge = bridge_of(args)
    group = _group_named(bridge, args.name)
    overrides = dict(group.overrides)
    for pair in args.settings:
        key, eq, value = pair.partition("=")
        field = FIELDS_BY_NAME.get(key.strip())
        if not eq or field is None:
            known = ", ".join(FIELDS_BY_NAME)
            raise BadInput(f"{pair!r}: expected KEY=VALUE with KEY one of {known}")
        if value.strip() == INHERIT:
            overrides.pop(field.name, None)
        else:
            overrides[field.name] = field.parse(value)
    group = bridge.set_group_overrides(OPERATOR, group.id, overrides)
    for name, value in group.overrides.items():
        print(f"{group.name}: {name} = {FIELDS_BY_NAME[name].describe(value)}")
    if not group.overrides:
        print(f"{group.name}: everything as the organisation")
    return 0


def _group_member(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    bridge = bridge_of(args)
    group = _group_named(bridge, args.name)
    bridge.set_user_group(OPERATOR, args.user, group.id)
    print(f"{args.user} is now in group {group.name}")
    return 0


def _group_list(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    bridge = bridge_of(args)
    users = bridge.users()
    for group in bridge.groups():
        members = [u.name for u in users if u.group_id == group.id]
        settings = "; ".join(
            f"{k} = {FIELDS_BY_NAME[k].describe(v)}" for k, v in group.overrides.items()
        )
        print(f"{group.name}: {settings or 'as the organisation'}")
        print(f"      members: {', '.join(members) or 'none'}")
    return 0


def add_commands(sub: Subparsers, with_config: WithConfig, bridge_of: BridgeOf) -> None:
    """Register `user` and `group` under the `davbridge` parser's subcommands."""

    run = binder(bridge_of)

    u = command_group(sub, "user", "manage bridge users", "ACTION")
    ua = with_config(
        u.add_parser(
            "add",
            help="create a bridge user (portal password typed twice at a terminal; "
            "without one they sign in with Microsoft or Google only)",
        )
    )
    ua.add_argument("name", help="user name (what DAV clients and the portal sign in with)")
    ua.add_argument("--email", help="email address; matches their Microsoft or Google sign-in")
    ua.add_argument("--admin", action="store_true", help="may change the organisation settings")
    ua.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    ua.set_defaults(func=run(_user_add))
    up = with_config(u.add_parser("passwd", help="set a user's portal password"))
    up.add_argument("name", help="bridge user name")
    up.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    up.set_defaults(func=run(_user_passwd))
    ul = with_config(u.add_parser("list", help="list users"))
    ul.set_defaults(func=run(_user_list))

    g = sub.add_parser("group", help="manage groups and their policy overrides (P6)")
    gs = g.add_subparsers(dest="sub", required=True, metavar="ACTION")
    ga = with_config(gs.add_parser("add", help="create a group"))
    ga.add_argument("name", help="group name")
    ga.set_defaults(func=run(_group_add))
    gset = with_config(
        gs.add_parser(
            "set",
            help="override organisation settings for a group: KEY=VALUE … (KEY=inherit drops "
            "an override; keys: " + ", ".join(FIELDS_BY_NAME) + ")",
        )
    )
    gset.add_argument("name", help="group name")
    gset.add_argument(
        "settings", nargs="+", metavar="KEY=VALUE", help="a setting and its value, or KEY=inherit"
    )
    gset.set_defaults(func=run(_group_set))
    gm = with_config(gs.add_parser("member", help="put a user into a group"))
    gm.add_argument("name", help="group name")
    gm.add_argument("user", help="bridge user name")
    gm.set_defaults(func=run(_group_member))
    gl = with_config(gs.add_parser("list", help="groups with overrides and members"))
    gl.set_defaults(func=run(_group_list))
