"""The user's own connections: the profile/status page (A2), one connection's page with its
permissions (A3), toggles (A4), re-authorization and deletion (A5).

A connection id that is not the signed-in user's is answered 404, exactly like one that does
not exist. Must not decide policy (bridge.accounts.onboarding does) nor talk to providers directly.
"""

from __future__ import annotations

from aiohttp import web

from bridge.api import AuthFailed, BadInput, ConnectionStatus, Forbidden
from bridge.portal import context
from bridge.portal.render import permission_words

routes = web.RouteTableDef()

MANAGED = "Your administrator set up this connection for you; only they can change or delete it."


@routes.get("/")
async def profile(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    bridge = context.portal_of(request).bridge
    statuses = await context.blocking(request, bridge.connection_statuses, user.name)
    not_zoom = await context.blocking(request, bridge.not_zoom_line, user.name)
    views = await context.blocking(request, bridge.meeting_view_switches, user.name)
    return context.render(
        request,
        "profile.html",
        title="Your calendars",
        connections=statuses,
        not_zoom_line=not_zoom,
        meeting_views=views,
    )


@routes.post("/settings/not-zoom-line")
async def not_zoom_line(request: web.Request) -> web.StreamResponse:
    """Show "Not a Zoom meeting · Host: …" in event descriptions, or not (default on)."""
    form = await context.form_of(request)
    if form.get("on") not in ("0", "1"):
        raise BadInput("Choose on or off.")
    on = form["on"] == "1"
    bridge = context.portal_of(request).bridge
    await context.blocking(request, bridge.set_not_zoom_line, context.user_of(request).name, on)
    context.notify(request, f"\u201cNot a Zoom meeting\u201d line: {'on' if on else 'off'}.")
    return context.redirect("/")


async def own_connection(request: web.Request) -> ConnectionStatus:
    """The signed-in user's connection named in the path; NotFound (404) otherwise."""
    user = context.user_of(request)
    try:
        connection_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    statuses = await context.blocking(
        request, context.portal_of(request).bridge.connection_statuses, user.name
    )
    for status in statuses:
        if status.id == connection_id:
            return status
    raise web.HTTPNotFound()


async def allowed_permissions(request: web.Request) -> tuple[bool, bool]:
    """(write calendars allowed, contacts allowed) by the user's effective policy (P5)."""
    user = context.user_of(request)
    policy = await context.blocking(request, context.portal_of(request).bridge.policy_for, user.id)
    return policy.allow_write_calendars, policy.allow_contacts


async def connection_view(
    request: web.Request, status: ConnectionStatus, code: int = 200, error: str = ""
) -> web.Response:
    allow_write, allow_contacts = await allowed_permissions(request)
    return context.render(
        request,
        "connection.html",
        code,
        title=f"{status.label} — {status.account}",
        c=status,
        allow_write=allow_write,
        allow_contacts=allow_contacts,
        error=error,
    )


@routes.get("/connections/{id}")
async def connection_page(request: web.Request) -> web.StreamResponse:
    return await connection_view(request, await own_connection(request))


@routes.post("/connections/{id}/permissions")
async def change_permissions(request: web.Request) -> web.StreamResponse:
    status = await own_connection(request)
    if status.managed:
        raise Forbidden(MANAGED)
    form = await context.form_of(request)
    portal = context.portal_of(request)
    answer = await context.blocking(
        request,
        portal.bridge.change_permissions,
        context.user_of(request).name,
        status.id,
        write=form.get("write_calendars") == "1",
        contacts=form.get("sync_contacts") == "1",
        calendars=form.get("read_calendars") == "1",
        redirect_uri=portal.redirect_uri("connect/callback"),
    )
    if answer is None:
        changed = await own_connection(request)
        words = ", ".join(permission_words(changed.permissions)) or "nothing"
        context.notify(request, f"Permissions changed: {words}.")
        return context.redirect(f"/connections/{status.id}")
    url, pending = answer
    portal.flows.put(context.session_key(request), context.state_of(url), "connect", pending)
    return web.Response(status=303, headers={"Location": url})


@routes.post("/connections/{id}/toggle")
async def toggle(request: web.Request) -> web.StreamResponse:
    status = await own_connection(request)
    form = await context.form_of(request)
    kind = form.get("kind", "")
    if kind not in ("calendars", "contacts") or form.get("on") not in ("0", "1"):
        raise BadInput("Choose calendars or contacts, on or off.")
    on = form["on"] == "1"
    portal = context.portal_of(request)
    await context.blocking(
        request, portal.bridge.set_toggle, context.user_of(request).name, status.id, kind, on
    )
    state = "on" if on else "off"
    context.notify(request, f"{kind.capitalize()} of {status.account}: {state}.")
    return context.redirect("/" if form.get("back") == "profile" else f"/connections/{status.id}")


@routes.post("/connections/{id}/reauthorize")
async def reauthorize(request: web.Request) -> web.StreamResponse:
    status = await own_connection(request)
    portal = context.portal_of(request)
    bridge = portal.bridge
    username = context.user_of(request).name
    if status.password_form:
        form = await context.form_of(request)
        password = form.get("password", "")
        if not password:
            raise BadInput("Type the Exchange password to re-authorize.")
        try:
            await context.blocking(
                request, bridge.reauthorize_exchange, username, status.id, password
            )
        except AuthFailed as exc:  # the connection page again: nothing was changed
            return await connection_view(request, await own_connection(request), 400, str(exc))
        context.notify(request, f"Re-authorized {status.account}.")
        return context.redirect("/")
    redirect_uri = portal.redirect_uri("connect/callback")
    url, pending = await context.blocking(
        request, bridge.begin_reauthorize, username, status.id, redirect_uri
    )
    portal.flows.put(context.session_key(request), context.state_of(url), "connect", pending)
    return web.Response(status=303, headers={"Location": url})


@routes.get("/connections/{id}/delete")
async def delete_confirm(request: web.Request) -> web.StreamResponse:
    status = await own_connection(request)
    if status.managed:
        raise Forbidden(MANAGED)
    return context.render(request, "connection_delete.html", title="Delete connection", c=status)


@routes.post("/connections/{id}/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    status = await own_connection(request)
    if status.managed:
        raise Forbidden(MANAGED)
    portal = context.portal_of(request)
    revocation = await context.blocking(
        request, portal.bridge.delete_connection, context.user_of(request).name, status.id
    )
    return context.render(
        request, "connection_deleted.html", title="Connection deleted", c=status, r=revocation
    )
