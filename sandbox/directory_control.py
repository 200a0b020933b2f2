"""Control routes of the emulated organisation directory (K5), shared by the Graph and Google
sandboxes (aiohttp; the emulators' loopback guard covers every /_control path):

  GET    /_control/directory?q=           {version, count, people: [...]} (q: name/email prefix)
  POST   /_control/directory              {given, family, email, office?, mobile?} -> person
  PATCH  /_control/directory/{id}         {given?, family?, email?, title?, department?,
                                           office?, mobile?} -> person (a change delta reports)
  DELETE /_control/directory/{id}         the person leaves the organisation

The directory itself lives in the app under DIRECTORY_KEY (`install`). This module must not
implement a vendor's wire format; the Graph and Google route modules do.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from sandbox.core.control import json_body
from sandbox.directory_people import Directory, Person, _person_id

DIRECTORY_KEY = web.AppKey("directory", Directory)


def install(app: web.Application, directory: Directory) -> None:
    app[DIRECTORY_KEY] = directory
    r = app.router
    r.add_route("GET", "/_control/directory", _listing)
    r.add_route("POST", "/_control/directory", _add)
    r.add_route("PATCH", "/_control/directory/{id}", _change)
    r.add_route("DELETE", "/_control/directory/{id}", _remove)


def _json(person: Person) -> dict[str, Any]:
    return {**asdict(person), "displayName": person.display_name}


async def _listing(request: web.Request) -> web.Response:
    d = request.app[DIRECTORY_KEY]
    q = request.query.get("q", "")
    people = d.search(q) if q else d.listing()
    return web.json_response(
        {"version": d.version, "count": len(d.people), "people": [_json(p) for p in people]}
    )


async def _add(request: web.Request) -> web.Response:
    d = request.app[DIRECTORY_KEY]
    body = await json_body(request)
    email = str(body.get("email") or "")
    if "@" not in email:
        return web.json_response({"error": "email is required"}, status=400)
    person = Person(
        _person_id("control", len(d.people) + len(d.removed) + 1),
        str(body.get("given") or ""),
        str(body.get("family") or ""),
        email,
        str(body.get("title") or ""),
        str(body.get("department") or ""),
        str(body.get("office") or ""),
        str(body.get("mobile") or ""),
    )
    return web.json_response(_json(d.add(person)), status=201)


async def _change(request: web.Request) -> web.Response:
    d = request.app[DIRECTORY_KEY]
    pid = request.match_info["id"]
    if pid not in d.people:
        return web.json_response({"error": "no such person"}, status=404)
    body = await json_body(request)
    try:
        person = d.change(pid, **{k: str(v) for k, v in body.items()})
    except KeyError as exc:
        return web.json_response({"error": f"unknown field {exc}"}, status=400)
    return web.json_response(_json(person))


async def _remove(request: web.Request) -> web.Response:
    d = request.app[DIRECTORY_KEY]
    pid = request.match_info["id"]
    if pid not in d.people:
        return web.json_response({"error": "no such person"}, status=404)
    d.remove(pid)
    return web.Response(status=204)
