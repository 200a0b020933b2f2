"""App passwords (A6): the signed-in user's list (label, created, last used), creating one
(its plaintext shown once, on the answer page only, with what to type into the client) and
revoking one.

Must not keep or log the plaintext; only the user's own passwords are listed or revoked.
"""

from __future__ import annotations

from aiohttp import web

from bridge.api import BadInput
from bridge.portal.context import (
    blocking,
    form_of,
    notify,
    portal_of,
    redirect,
    render,
    user_of,
)

routes = web.RouteTableDef()


async def listing(request: web.Request) -> list[tuple[int, str, float, float | None]]:
    bridge = portal_of(request).bridge
    return await blocking(request, bridge.list_app_passwords, user_of(request).name)


@routes.get("/app-passwords")
async def app_passwords(request: web.Request) -> web.StreamResponse:
    return render(
        request, "app_passwords.html", title="App passwords", passwords=await listing(request)
    )


@routes.post("/app-passwords")
async def create(request: web.Request) -> web.StreamResponse:
    form = await form_of(request)
    label = " ".join(form.get("label", "").split())
    if not label or len(label) > 80:
        raise BadInput("Name the device the password is for (up to 80 characters).")
    portal = portal_of(request)
    bridge = portal.bridge
    user = user_of(request)
    row = await blocking(request, bridge.ensure_user, user.name)
    password = await blocking(request, bridge.new_app_password, row, label)
    response = render(
        request,
        "app_password_created.html",
        title="New app password",
        label=label,
        password=password,
        dav_url=portal.dav_url,
        username=user.name,
    )
    return response


@routes.post("/app-passwords/{id}/revoke")
async def revoke(request: web.Request) -> web.StreamResponse:
    try:
        password_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    portal = portal_of(request)
    user = user_of(request)
    await blocking(request, portal.bridge.revoke_app_password, user.name, password_id)
    notify(request, "The app password was revoked; it stops working now.")
    return redirect("/app-passwords")
