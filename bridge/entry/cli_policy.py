"""`davbridge policy`: the organisation's settings (P1–P7, K5 "directory") from the command
line — what the portal's administration page changes, for operators and scripts.

  davbridge policy show                  every setting and its value
  davbridge policy set KEY=VALUE …       e.g. `davbridge policy set directory=yes`

Commands call only methods of bridge.api.Bridge.
"""

from __future__ import annotations

import argparse

from bridge.entry.commands import BridgeOf, Subparsers, WithConfig, binder, command_group
from bridge.errors import BadInput
from bridge.organisation.administration import OPERATOR
from bridge.organisation.policy import FIELDS_BY_NAME, POLICY_FIELDS


def _show(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    policy = bridge_of(args).org_policy().as_dict()
    for field in POLICY_FIELDS:
        print(f"{field.name} = {field.describe(policy[field.name])}    # {field.label}")
    return 0


def _set(bridge_of: BridgeOf, args: argparse.Namespace) -> int:
    bridge = bridge_of(args)
    changes: dict[str, object] = {}
    for pair in args.settings:
        key, eq, value = pair.partition("=")
        field = FIELDS_BY_NAME.get(key.strip())
        if not eq or field is None:
            known = ", ".join(FIELDS_BY_NAME)
            raise BadInput(f"{pair!r}: expected KEY=VALUE with KEY one of {known}")
        changes[field.name] = field.parse(value)
    policy = bridge.org_policy().with_overrides(changes)
    bridge.set_org_policy(OPERATOR, policy)
    for name, value in changes.items():
        print(f"{name} = {FIELDS_BY_NAME[name].describe(value)}")
    return 0


def add_commands(sub: Subparsers, with_config: WithConfig, bridge_of: BridgeOf) -> None:
    run = binder(bridge_of)
    p = command_group(
        sub, "policy", "the organisation's settings (as the portal's admin page)", "ACTION"
    )
    show = with_config(p.add_parser("show", help="every organisation setting and its value"))
    show.set_defaults(func=run(_show))
    put = with_config(
        p.add_parser(
            "set",
            help="change organisation settings: KEY=VALUE … (keys: "
            + ", ".join(FIELDS_BY_NAME)
            + ")",
        )
    )
    put.add_argument("settings", nargs="+", metavar="KEY=VALUE", help="a setting and its value")
    put.set_defaults(func=run(_set))
