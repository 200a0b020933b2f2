"""The admin area (P1–P7): organisation settings, groups with per-setting overrides (P6),
users (group, admin flag) and "set up Microsoft 365 for everyone" (P3, application
permissions). Every page and POST answers 403 to a user who is not an administrator; the
bridge.admin calls check the actor again.

Must not interpret settings (bridge.organisation.policy parses and validates the forms).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.api import (
    POLICY_FIELDS,
    BadInput,
    Forbidden,
    GroupRecord,
    Policy,
    UserRecord,
    parse_policy_form,
)
from bridge.portal import context

routes = web.RouteTableDef()

INHERIT = "inherit"
ADMINS_ONLY = "Only administrators can open the admin area."


def admin_user(request: web.Request) -> UserRecord:
    user = context.user_of(request)
    if not user.is_admin:
        raise Forbidden(ADMINS_ONLY)
    return user


def field_value(field: Any, value: object) -> str:
    """A setting's value as its form field shows it."""
    if field.kind == "domains":
        return "\n".join(str(d) for d in value) if isinstance(value, (list, tuple)) else ""
    if field.kind == "bool":
        return "1" if value else "0"
    return str(value)


@routes.get("/admin")
async def settings_page(request: web.Request) -> web.StreamResponse:
    admin_user(request)
    policy = await context.blocking(request, context.portal_of(request).bridge.org_policy)
    values = {f.name: field_value(f, v) for f in POLICY_FIELDS for v in [getattr(policy, f.name)]}
    return context.render(
        request,
        "admin_settings.html",
        title="Organisation settings",
        fields=POLICY_FIELDS,
        v=values,
    )


@routes.post("/admin/settings")
async def save_settings(request: web.Request) -> web.StreamResponse:
    user = admin_user(request)
    form = await context.form_of(request)
    bridge = context.portal_of(request).bridge
    values = await context.blocking(request, parse_form, form, partial=False)
    policy = Policy().with_overrides(values)
    await context.blocking(request, bridge.set_org_policy, user.name, policy)
    context.notify(request, "Organisation settings saved.")
    return context.redirect("/admin")


def parse_form(form: dict[str, str], *, partial: bool) -> dict[str, object]:
    if partial:  # the domains field has its own inherit/set choice beside the text
        form = dict(form)
        for f in POLICY_FIELDS:
            if f.kind == "domains" and form.get(f"{f.name}__mode", INHERIT) == INHERIT:
                form[f.name] = INHERIT
    return parse_policy_form(form, partial=partial)


@routes.post("/admin/app-permissions")
async def app_permissions(request: web.Request) -> web.StreamResponse:
    user = admin_user(request)
    bridge = context.portal_of(request).bridge
    count = await context.blocking(request, bridge.enable_app_permissions, user.name)
    people = "1 user" if count == 1 else f"{count} users"
    context.notify(
        request,
        f"Microsoft 365 is set up with application permissions: {people} connected.",
    )
    return context.redirect("/admin")


@routes.get("/admin/groups")
async def groups_page(request: web.Request) -> web.StreamResponse:
    admin_user(request)
    bridge = context.portal_of(request).bridge
    groups = await context.blocking(request, bridge.groups)
    users = await context.blocking(request, bridge.users)
    counts = {g.id: sum(1 for u in users if u.group_id == g.id) for g in groups}
    return context.render(
        request, "admin_groups.html", title="Groups", groups=groups, counts=counts
    )


@routes.post("/admin/groups")
async def create_group(request: web.Request) -> web.StreamResponse:
    user = admin_user(request)
    form = await context.form_of(request)
    bridge = context.portal_of(request).bridge
    group = await context.blocking(
        request, bridge.create_group, user.name, form.get("name", "").strip()
    )
    return context.redirect(f"/admin/groups/{group.id}")


async def group_of(request: web.Request) -> GroupRecord:
    try:
        group_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    groups = await context.blocking(request, context.portal_of(request).bridge.groups)
    for group in groups:
        if group.id == group_id:
            return group
    raise web.HTTPNotFound()


@routes.get("/admin/groups/{id}")
async def group_page(request: web.Request) -> web.StreamResponse:
    admin_user(request)
    group = await group_of(request)
    bridge = context.portal_of(request).bridge
    org = await context.blocking(request, bridge.org_policy)
    users = await context.blocking(request, bridge.users)
    overrides = dict(group.overrides)
    values = {
        f.name: field_value(f, overrides[f.name]) if f.name in overrides else INHERIT
        for f in POLICY_FIELDS
    }
    inherited = {f.name: f.describe(getattr(org, f.name)) for f in POLICY_FIELDS}
    return context.render(
        request,
        "admin_group.html",
        title=f"Group {group.name}",
        group=group,
        fields=POLICY_FIELDS,
        v=values,
        inherited=inherited,
        members=[u for u in users if u.group_id == group.id],
    )


@routes.post("/admin/groups/{id}")
async def save_group(request: web.Request) -> web.StreamResponse:
    user = admin_user(request)
    group = await group_of(request)
    form = await context.form_of(request)
    overrides = await context.blocking(request, parse_form, form, partial=True)
    bridge = context.portal_of(request).bridge
    await context.blocking(request, bridge.set_group_overrides, user.name, group.id, overrides)
    context.notify(request, f"Group {group.name} saved.")
    return context.redirect(f"/admin/groups/{group.id}")


@routes.post("/admin/groups/{id}/delete")
async def delete_group(request: web.Request) -> web.StreamResponse:
    user = admin_user(request)
    group = await group_of(request)
    await context.blocking(
        request, context.portal_of(request).bridge.delete_group, user.name, group.id
    )
    context.notify(request, f"Group {group.name} deleted.")
    return context.redirect("/admin/groups")


@routes.get("/admin/users")
async def users_page(request: web.Request) -> web.StreamResponse:
    admin_user(request)
    bridge = context.portal_of(request).bridge
    users = await context.blocking(request, bridge.users)
    groups = await context.blocking(request, bridge.groups)
    return context.render(request, "admin_users.html", title="Users", users=users, groups=groups)


@routes.post("/admin/users/{name}")
async def save_user(request: web.Request) -> web.StreamResponse:
    actor = admin_user(request)
    bridge = context.portal_of(request).bridge
    target = await context.blocking(request, bridge.user_by_name, request.match_info["name"])
    if target is None:
        raise web.HTTPNotFound()
    form = await context.form_of(request)
    raw_group = form.get("group", "")
    try:
        group_id = int(raw_group) if raw_group else None
    except ValueError:
        raise BadInput(f"{raw_group!r} is not a group") from None
    if group_id != target.group_id:
        await context.blocking(request, bridge.set_user_group, actor.name, target.name, group_id)
    make_admin = form.get("admin") == "1"
    if make_admin != target.is_admin:
        await context.blocking(request, bridge.set_admin, actor.name, target.name, make_admin)
    context.notify(request, f"User {target.name} saved.")
    return context.redirect("/admin/users")
