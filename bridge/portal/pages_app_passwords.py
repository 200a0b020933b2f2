"""App passwords (A6): the signed-in user's list (label, created, last used), creating one
(its plaintext shown once, with what to type into the client) and revoking one.

Creating answers with a redirect to a one-time page (post/redirect/get): the plaintext waits in
portal memory for that page only, so reloading it neither shows the password again nor makes
a second one.

Must not keep or log the plaintext; only the user's own passwords are listed or revoked.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bridge.api import BadInput
from bridge.portal import context

CREATED = "app-password"

routes = web.RouteTableDef()


async def listing(request: web.Request) -> list[tuple[int, str, float, float | None]]:
    bridge = context.portal_of(request).bridge
    return await context.blocking(request, bridge.list_app_passwords, context.user_of(request).name)


@routes.get("/app-passwords")
async def app_passwords(request: web.Request) -> web.StreamResponse:
    return context.render(
        request, "app_passwords.html", title="App passwords", passwords=await listing(request)
    )


@routes.post("/app-passwords")
async def create(request: web.Request) -> web.StreamResponse:
    form = await context.form_of(request)
    label = " ".join(form.get("label", "").split())
    if not label or len(label) > 80:
        raise BadInput("Name the device the password is for (up to 80 characters).")
    portal = context.portal_of(request)
    bridge = portal.bridge
    user = context.user_of(request)
    row = await context.blocking(request, bridge.ensure_user, user.name)
    password = await context.blocking(request, bridge.new_app_password, row, label)
    ticket = secrets.token_urlsafe(16)
    portal.flows.put(context.session_key(request), ticket, CREATED, (label, password))
    return context.redirect(f"/app-passwords/created?ticket={ticket}")


@routes.get("/app-passwords/created")
async def created(request: web.Request) -> web.StreamResponse:
    """The new password, once; afterwards (reload, back button) only a pointer to the list."""
    portal = context.portal_of(request)
    shown = portal.flows.pop(context.session_key(request), request.query.get("ticket", ""), CREATED)
    if not isinstance(shown, tuple):
        context.notify(
            request, "An app password is shown only once. Create a new one if you missed it."
        )
        return context.redirect("/app-passwords")
    label, password = shown
    return context.render(
        request,
        "app_password_created.html",
        title="New app password",
        label=label,
        password=password,
        dav_url=portal.dav_url,
        username=context.user_of(request).name,
    )


@routes.post("/app-passwords/{id}/revoke")
async def revoke(request: web.Request) -> web.StreamResponse:
    try:
        password_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    portal = context.portal_of(request)
    user = context.user_of(request)
    await context.blocking(request, portal.bridge.revoke_app_password, user.name, password_id)
    context.notify(request, "The app password was revoked; it stops working now.")
    return context.redirect("/app-passwords")
