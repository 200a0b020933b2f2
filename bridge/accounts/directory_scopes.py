"""Whether a user's connections should carry the organisation directory (K5), and the extra
OAuth scopes that asks for — only then, so a connection never holds more than it needs.

The decision is the user's effective policy (`directory`, organisation setting with the
group's override, P6); the scope is the kit's (`directory_scopes()`: Microsoft 365
User.Read.All — the least Graph permission that includes phone numbers; Google
directory.readonly). Exchange needs none. Must not talk to a provider.
"""

from __future__ import annotations

import json

from bridge.organisation.policy import policy_from_dict
from bridge.store import Store


def directory_wanted(store: Store, user_id: int) -> bool:
    try:
        policy = policy_from_dict(json.loads(store.org_policy() or "{}"))
        group_id = store.user(user_id).group_id
        if group_id is not None:
            policy = policy.with_overrides(json.loads(store.group(group_id).overrides or "{}"))
    except (ValueError, LookupError):
        return False
    return policy.enabled and policy.directory


def directory_scopes(kit: object) -> tuple[str, ...]:
    scopes = getattr(kit, "directory_scopes", None)
    return tuple(scopes()) if callable(scopes) else ()
