"""Connecting a service (A1): the choice of service and permissions the policy allows, the
OAuth redirect (Microsoft 365 via Graph, Google) and its callback, and the Exchange form
(also Microsoft 365 via EWS when the administrator chose the legacy API).

The policy is shown (forbidden permissions disabled, with the reason) but enforced by
bridge.accounts.onboarding: a crafted POST is refused there (PolicyRefused, 403). Must not store
anything itself, nor log or re-show a password.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bridge.api import (
    AuthFailed,
    BadInput,
    BridgeError,
    PendingConsent,
    PolicyRefused,
    ProviderError,
    ProviderKind,
)
from bridge.portal import context
from bridge.portal.render import permission_words, service_label

routes = web.RouteTableDef()

EWS_VERSIONS = ("Exchange2013", "Exchange2013_SP1", "Exchange2016", "Exchange2019", "Office365")
EXCHANGE_ONLINE = (
    "This form is for Exchange Server in your organisation. Exchange Online (Microsoft 365) "
    "no longer serves Exchange Web Services to davbridge: connect Microsoft 365 instead."
)
TICKS = ("read_calendars", "write_calendars", "sync_contacts")
EXPIRED_LINK = "This sign-in link has expired or was not started here. Start again."


def uses_exchange_form(service: str, policy: Any) -> bool:
    return service == "exchange"


def label_of(service: str, policy: Any) -> str:
    return service_label(service)


def refusal(check: Any, **kwargs: Any) -> str:
    """The policy's plain-words reason, or "" when `check` passes."""
    try:
        check(**kwargs)
    except PolicyRefused as exc:
        return str(exc)
    return ""


def granted_notice(status: Any) -> str:
    words = ", ".join(permission_words(status.permissions)) or "nothing yet"
    return f"Connected {status.label} ({status.account}): {words}."


@routes.get("/connect")
async def connect_page(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    bridge = context.portal_of(request).bridge
    services = await context.blocking(request, bridge.services_for, user.name)
    policy = await context.blocking(request, bridge.policy_for, user.id)
    return context.render(
        request,
        "connect.html",
        title="Connect calendar and contacts",
        services=[(s, label_of(s, policy)) for s in services],
        off=refusal(policy.check_enabled),
        managed=policy.setup == "admin" and policy.enabled,
        write_reason=refusal(policy.check_permissions, write=True, contacts=False),
        contacts_reason=refusal(policy.check_permissions, write=False, contacts=True),
    )


@routes.post("/connect")
async def connect_start(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    portal = context.portal_of(request)
    bridge = portal.bridge
    form = await context.form_of(request)
    service = form.get("service", "")
    calendars = form.get("read_calendars") == "1"
    write = form.get("write_calendars") == "1"
    contacts = form.get("sync_contacts") == "1"
    policy = await context.blocking(request, bridge.policy_for, user.id)
    if uses_exchange_form(service, policy):
        await context.blocking(
            request,
            bridge.check_connect,
            user.name,
            service,
            write=write,
            contacts=contacts,
            calendars=calendars,
        )
        query = urlencode(
            {
                "service": service,
                "read_calendars": int(calendars),
                "write_calendars": int(write),
                "sync_contacts": int(contacts),
            }
        )
        return context.redirect(f"/connect/exchange?{query}")
    url, pending = await context.blocking(
        request,
        bridge.begin_connect,
        user.name,
        service,
        write=write,
        contacts=contacts,
        calendars=calendars,
        redirect_uri=portal.redirect_uri("connect/callback"),
    )
    portal.flows.put(context.session_key(request), context.state_of(url), "connect", pending)
    return web.Response(status=303, headers={"Location": url})


@routes.get("/connect/callback")
async def connect_callback(request: web.Request) -> web.StreamResponse:
    portal = context.portal_of(request)
    state = request.query.get("state", "")
    pending = portal.flows.pop(context.session_key(request), state, "connect") if state else None
    if pending is None:
        raise BadInput(EXPIRED_LINK)
    if request.query.get("error"):  # declined at the provider (RFC 6749 §4.1.2.1)
        kind = pending.provider if isinstance(pending, PendingConsent) else ProviderKind.GRAPH
        label = portal.bridge.provider_label(kind)
        context.notify(
            request, f"{label} was not connected: access was not granted at its sign-in page."
        )
        return context.redirect("/connect")
    response = {k: v for k, v in request.query.items()}
    status = await context.blocking(request, portal.bridge.complete_connect, pending, response)
    context.notify(request, granted_notice(status))
    return context.redirect("/")


def exchange_page(
    request: web.Request, status: int, values: dict[str, str], error: str = ""
) -> web.Response:
    service = values.get("service", "exchange")
    online = "office365.com" in values.get("url", "")
    return context.render(
        request,
        "connect_exchange.html",
        status,
        title=f"Connect {service_label(service)} (Exchange Web Services)",
        v=values,
        versions=EWS_VERSIONS,
        legacy=EXCHANGE_ONLINE if online else "",
        error=error,
    )


@routes.get("/connect/exchange")
async def exchange_form(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    bridge = context.portal_of(request).bridge
    service = request.query.get("service", "exchange")
    policy = await context.blocking(request, bridge.policy_for, user.id)
    if not uses_exchange_form(service, policy):
        raise BadInput(f"{service_label(service)} is not connected with the Exchange form.")
    policy.check_service(service)
    ews = bridge.config().ews
    values = {
        "service": service,
        "login": "",
        "email": "",
        "url": ews.default_url,
        "version": ews.default_version,
        "shared": "",
        "read_calendars": request.query.get("read_calendars", "1"),
        "write_calendars": request.query.get("write_calendars", "1"),
        "sync_contacts": request.query.get("sync_contacts", "1"),
    }
    return exchange_page(request, 200, values)


@routes.post("/connect/exchange")
async def exchange_connect(request: web.Request) -> web.StreamResponse:
    user = context.user_of(request)
    portal = context.portal_of(request)
    form = await context.form_of(request)
    values = {
        k: form.get(k, "").strip()
        for k in ("service", "login", "email", "url", "version", "shared")
    }
    for tick in TICKS:  # an unticked checkbox is not sent at all
        values[tick] = "1" if form.get(tick) == "1" else "0"
    login, email = values["login"], values["email"] or values["login"]
    if not login or not form.get("password") or not values["url"] or "@" not in email:
        error = "Fill in the user name (or UPN), the email address, the password and the EWS URL."
        return exchange_page(request, 400, values, error)
    try:
        status = await context.blocking(
            request,
            portal.bridge.connect_exchange,
            user.name,
            values["service"] or "exchange",
            url=values["url"],
            login=login,
            password=form.get("password", ""),
            email=email,
            version=values["version"],
            write=values["write_calendars"] == "1",
            contacts=values["sync_contacts"] == "1",
            calendars=values["read_calendars"] == "1",
            shared_mailboxes=tuple(values["shared"].replace(",", " ").split()),
        )
    except PolicyRefused:
        raise
    except (AuthFailed, BadInput) as exc:
        return exchange_page(request, 400, values, str(exc))
    except ProviderError as exc:  # a refusal of what was typed is the user's to fix: 4xx
        code = exc.http_status if 400 <= exc.http_status < 500 else 502
        return exchange_page(request, code, values, str(exc))
    except BridgeError as exc:
        return exchange_page(request, 400, values, str(exc))
    context.notify(request, granted_notice(status))
    return context.redirect("/")
