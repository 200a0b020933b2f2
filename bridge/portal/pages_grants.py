"""Bridge-level calendar grants in the portal (SPEC C7, issue 15 point 3).

- /admin/grants (administrators): every grant, a form to let user A read (or read and write)
  user B's calendars with or without private details, and revoking.
- /grants (every user): who may see my calendars (revocable by me) and whose calendars I see.
The decisions are the facade's (bridge.api.Bridge.add_grant / revoke_grant / revoke_own_grant);
this module must not check grants itself beyond "is an administrator" for the admin page.
"""

from __future__ import annotations

from aiohttp import web

from bridge.api import BadInput, Forbidden
from bridge.portal import context

routes = web.RouteTableDef()


def _admin(request: web.Request) -> str:
    user = context.user_of(request)
    if not user.is_admin:
        raise Forbidden("Only administrators can give access to other users' calendars.")
    return user.name


@routes.get("/admin/grants")
async def admin_grants(request: web.Request) -> web.StreamResponse:
    _admin(request)
    bridge = context.portal_of(request).bridge
    grants = await context.blocking(request, bridge.grants)
    users = await context.blocking(request, bridge.users)
    return context.render(
        request, "grants_admin.html", title="Calendar access", grants=grants, users=users
    )


@routes.post("/admin/grants")
async def admin_grant_add(request: web.Request) -> web.StreamResponse:
    name = _admin(request)
    form = await context.form_of(request)
    owner, grantee = form.get("owner", "").strip(), form.get("grantee", "").strip()
    if not owner or not grantee:
        raise BadInput("Choose whose calendars and who gets access.")
    bridge = context.portal_of(request).bridge
    await context.blocking(
        request,
        bridge.add_grant,
        owner,
        grantee,
        form.get("write") == "1",
        form.get("private") == "1",
        name,
    )
    return context.redirect("/admin/grants")


def _grant_id(request: web.Request) -> int:
    raw = request.match_info["grant_id"]
    if not raw.isdigit():
        raise BadInput(f"not a grant number: {raw!r}")
    return int(raw)


@routes.post("/admin/grants/{grant_id}/revoke")
async def admin_grant_revoke(request: web.Request) -> web.StreamResponse:
    name = _admin(request)
    await context.form_of(request)  # the CSRF check
    bridge = context.portal_of(request).bridge
    await context.blocking(request, bridge.revoke_grant, _grant_id(request), name)
    return context.redirect("/admin/grants")


@routes.get("/grants")
async def my_grants(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    bridge = context.portal_of(request).bridge
    given = await context.blocking(request, bridge.grants_given, user.name)
    received = await context.blocking(request, bridge.grants_received, user.name)
    return context.render(
        request, "grants_mine.html", title="Who sees my calendars", given=given, received=received
    )


@routes.post("/grants/{grant_id}/revoke")
async def my_grant_revoke(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    await context.form_of(request)  # the CSRF check
    bridge = context.portal_of(request).bridge
    await context.blocking(request, bridge.revoke_own_grant, user.name, _grant_id(request))
    return context.redirect("/grants")
