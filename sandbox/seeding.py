"""Apply a seed (sandbox.seed.Seed, duck-typed) to the mailbox model.

Every item goes through the same model operations the Graph routes use (create, occurrence
PATCH, occurrence DELETE), so seeded data has the ids, changeKeys and exceptions an API client
would have produced. This module must not build seed content; seed.py does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sandbox.mailbox import Calendar, Event, Mailboxes


def apply_seed(mb: Mailboxes, user_id: str, seed: Any) -> dict[str, str]:
    """Create the seed's calendars and events in `user_id`'s mailbox; returns key -> id."""
    user = mb.users[user_id]
    user.upn, user.display_name = seed.user_upn, seed.user_name
    cals: dict[str, Calendar] = {}
    for sc in seed.calendars:
        cals[sc.key] = mb.add_calendar(
            user_id,
            sc.name,
            hex_color=sc.hex_color,
            is_default=sc.is_default,
            can_edit=sc.can_edit,
            can_share=sc.can_edit,
            owner_name=sc.owner_name,
            owner_address=sc.owner_address,
        )
    if cals and not any(c.is_default for c in mb.calendars_of(user_id)):
        next(iter(cals.values())).is_default = True
    ids = {key: cal.id for key, cal in cals.items()}
    events: dict[str, Event] = {}
    for item in seed.events:
        if hasattr(item, "body"):
            ev, _ = mb.create_event(cals[item.calendar_key], item.body)
            events[item.key] = ev
            ids[item.key] = ev.id
            continue
        ev = events[item.event_key]
        key = mb.nth_occurrence_key(ev, item.occurrence_index)
        inst = mb.instance_for_key(ev, key)
        if inst is None:
            continue
        if hasattr(item, "patch"):
            mb.update(inst, item.patch)
        else:
            mb.delete(inst)
    return ids


BULK_CALENDAR = "Bulk"  # clients see "Bulk — Microsoft 365" (`davbridge demo --bulk-events N`)


def ensure_bulk_calendar(mb: Mailboxes, user_id: str, n: int, now: dt.datetime) -> bool:
    """Add a calendar named BULK_CALENDAR with `n` generated events beside what the mailbox
    has, unless the user already has one (a restarted demo keeps its own); True if added."""
    if n <= 0 or any(c.name == BULK_CALENDAR for c in mb.calendars_of(user_id)):
        return False
    from sandbox import seed as seedmod

    user = mb.users[user_id]
    upn, name = user.upn, user.display_name
    apply_seed(mb, user_id, seedmod.bulk_seed(n, now, BULK_CALENDAR, is_default=False))
    user.upn, user.display_name = upn, name  # apply_seed names the user after the seed's
    return True


def load_seed(bulk_events: int, now: dt.datetime | None = None) -> Any:
    """The demo seed, or the bulk seed when `bulk_events` > 0 (imported lazily)."""
    from sandbox import seed as seedmod

    now = now or dt.datetime.now(dt.UTC)
    return seedmod.bulk_seed(bulk_events, now) if bulk_events > 0 else seedmod.demo_seed(now)
