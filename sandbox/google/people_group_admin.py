"""People API v1 routes that rename and delete contact groups (labels):

  PUT     v1/contactGroups/{id}     contactGroups.update {contactGroup{name, etag},
                                    updateGroupFields}: user groups only; a stale etag is
                                    400 FAILED_PRECONDITION, a taken name 409 ALREADY_EXISTS
  DELETE  v1/contactGroups/{id}     contactGroups.delete (deleteContacts): user groups only;
                                    members lose the label, and are deleted only with
                                    deleteContacts=true
Vendor reference: the bundled discovery document people.v1.json ("contactGroups" methods
update / delete and the ContactGroup schema: "etag", "name", "groupType" — system groups
"cannot be modified"). Holds no state: it calls the PeopleStore.
"""

from __future__ import annotations

from aiohttp import web

from sandbox.google.people_errors import invalid
from sandbox.google.people_render import render_group
from sandbox.google.people_routes import _body, _json, _people, _written, authorize


async def group_admin(request: web.Request) -> web.StreamResponse:
    authorize(request, write=True)
    store = _people(request)
    grp = store.group(request.match_info["gid"])
    if grp.group_type != "USER_CONTACT_GROUP":
        raise invalid(f"Cannot modify system contact group {grp.resource_name}.")
    if request.method == "DELETE":
        store.delete_group(grp, request.query.get("deleteContacts", "false").lower() == "true")
        _written(request)
        return web.json_response({})
    spec = (await _body(request)).get("contactGroup") or {}
    store.rename_group(grp, str(spec.get("name") or ""), str(spec.get("etag") or ""))
    _written(request)
    return _json(render_group(store, grp))


def add_routes(app: web.Application) -> None:
    for method in ("PUT", "DELETE"):
        app.router.add_route(method, "/v1/contactGroups/{gid}", group_admin)
