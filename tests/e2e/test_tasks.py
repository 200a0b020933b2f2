"""Task lists through the provider (issue 11): a VTODO-only MKCALENDAR makes a provider task
list, to-dos written by a CalDAV client land in it and come back as written, a change made at
the provider reaches the client, and deletes reach the provider. Driven with python `caldav`
against `davbridge demo`; the provider side is read through each vendor's own API client."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import caldav
import pytest
import requests

from tests.e2e.conftest import EwsAdmin, GoogleAdmin, GraphAdmin, RunningDemo, wait_for

TODO = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//tasks//EN\r\n"
    "BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\n"
    "DESCRIPTION:Two litres\\, semi-skimmed\r\nDUE;VALUE=DATE:{due}\r\nPRIORITY:1\r\n"
    "CATEGORIES:home,errands\r\nSTATUS:NEEDS-ACTION\r\nX-TEST-KEEP:kept by the overlay\r\n"
    "END:VTODO\r\nEND:VCALENDAR\r\n"
)
EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\n"
    "DTSTAMP:20260101T000000Z\r\nDTSTART:20260110T100000Z\r\nDTEND:20260110T110000Z\r\n"
    "SUMMARY:not a task\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture(scope="module")
def client(demo: RunningDemo) -> caldav.DAVClient:
    user, password = demo.auth
    return caldav.DAVClient(url=demo.url, username=user, password=password)


@pytest.fixture(scope="module")
def http(demo: RunningDemo) -> requests.Session:
    session = requests.Session()
    session.auth = demo.auth
    return session


def _graph_lists(graph: GraphAdmin) -> dict[str, dict[str, Any]]:
    return {lst["displayName"]: lst for lst in graph.json("GET", "/todo/lists")["value"]}


def _graph_tasks(graph: GraphAdmin, list_id: str) -> dict[str, dict[str, Any]]:
    return {t["title"]: t for t in graph.json("GET", f"/todo/lists/{list_id}/tasks")["value"]}


def _component_set(http: requests.Session, url: str) -> str:
    body = (
        '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
        "<D:prop><C:supported-calendar-component-set/></D:prop></D:propfind>"
    )
    return http.request("PROPFIND", url, data=body, headers={"Depth": "0"}).text


def test_m365_task_list_from_mkcalendar_to_completion_and_back(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session, graph: GraphAdmin
) -> None:
    name = f"Errands {uuid.uuid4().hex[:6]}"
    path = f"m365-{uuid.uuid4().hex[:8]}"
    tasks = client.principal().make_calendar(
        name=name, cal_id=path, supported_calendar_component_set=["VTODO"]
    )
    made = _graph_lists(graph)[name]  # a To Do list at the provider
    assert made["wellknownListName"] == "none"
    assert 'comp name="VTODO"' in _component_set(http, str(tasks.url))

    uid = str(uuid.uuid4())
    tasks.save_todo(TODO.format(uid=uid, summary="Buy milk", due="20260110"))
    at_graph = _graph_tasks(graph, made["id"])["Buy milk"]
    assert at_graph["status"] == "notStarted"
    assert at_graph["importance"] == "high"
    assert at_graph["categories"] == ["home", "errands"]
    assert at_graph["body"]["content"] == "Two litres, semi-skimmed"
    assert at_graph["dueDateTime"]["dateTime"].startswith("2026-01-10T00:00:00")

    todo = tasks.todo_by_uid(uid)
    read = todo.icalendar_component
    assert str(read["SUMMARY"]) == "Buy milk"
    assert read["DUE"].dt == dt.date(2026, 1, 10)
    assert str(read["X-TEST-KEEP"]) == "kept by the overlay"  # To Do has no field for it
    assert int(read["PRIORITY"]) == 1

    todo.complete()  # STATUS:COMPLETED + COMPLETED, PUT back
    done = wait_for(
        lambda: (
            _graph_tasks(graph, made["id"])["Buy milk"]["status"] == "completed"
            and _graph_tasks(graph, made["id"])["Buy milk"]
        )
    )
    assert done["completedDateTime"]["dateTime"]
    reread = tasks.todo_by_uid(uid).icalendar_component
    assert str(reread["STATUS"]) == "COMPLETED"
    assert reread.get("COMPLETED") is not None

    # a change made in To Do itself reaches the client (the next pull)
    graph.json(
        "PATCH",
        f"/todo/lists/{made['id']}/tasks/{done['id']}",
        json={"title": "Buy oat milk", "status": "notStarted"},
    )

    def renamed() -> Any:
        component = tasks.todo_by_uid(uid).icalendar_component
        return str(component["SUMMARY"]) == "Buy oat milk" and component

    changed = wait_for(renamed)
    assert str(changed["STATUS"]) == "NEEDS-ACTION"
    assert str(changed["X-TEST-KEEP"]) == "kept by the overlay"  # UID and overlay kept

    # an event has no place in a task list
    answer = http.put(
        f"{tasks.url}event.ics",
        data=EVENT.format(uid=uuid.uuid4()),
        headers={"Content-Type": "text/calendar"},
    )
    assert answer.status_code == 403
    assert "supported-calendar-component" in answer.text

    tasks.todo_by_uid(uid).delete()
    assert "Buy oat milk" not in _graph_tasks(graph, made["id"])

    tasks.delete()
    assert name not in _graph_lists(graph)


def test_m365_default_task_list_is_served_and_not_deletable(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session, graph: GraphAdmin
) -> None:
    default = next(
        lst for lst in _graph_lists(graph).values() if lst["wellknownListName"] == "defaultList"
    )
    calendars = {c.get_display_name(): c for c in client.principal().get_calendars()}
    served = calendars["Tasks — Microsoft 365"]
    assert 'comp name="VTODO"' in _component_set(http, str(served.url))
    answer = http.delete(str(served.url))
    assert answer.status_code == 403
    assert "default task list" in answer.text
    assert default["displayName"] in _graph_lists(graph)


def _google_tasks(demo: RunningDemo) -> Any:
    from googleapiclient.discovery import build

    google = GoogleAdmin(demo.info)
    return build(
        "tasks",
        "v1",
        static_discovery=True,
        http=google.api._http,
        client_options={"api_endpoint": demo.info["google"]["tasks_api_base"]},
    )


def test_google_task_list_round_trip_keeps_what_google_tasks_cannot_hold(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session
) -> None:
    api = _google_tasks(demo)

    def lists() -> dict[str, str]:
        return {t["title"]: t["id"] for t in api.tasklists().list().execute().get("items", [])}

    def titles(list_id: str) -> dict[str, dict[str, Any]]:
        found = api.tasks().list(tasklist=list_id, showHidden=True).execute()
        return {t["title"]: t for t in found.get("items", [])}

    name = f"Garden {uuid.uuid4().hex[:6]}"
    tasks = client.principal().make_calendar(
        name=name,
        cal_id=f"google-{uuid.uuid4().hex[:8]}",
        supported_calendar_component_set=["VTODO"],
    )
    list_id = lists()[name]
    assert 'comp name="VTODO"' in _component_set(http, str(tasks.url))

    uid = str(uuid.uuid4())
    tasks.save_todo(TODO.format(uid=uid, summary="Prune roses", due="20260314"))
    at_google = titles(list_id)["Prune roses"]
    assert at_google["notes"] == "Two litres, semi-skimmed"
    assert at_google["due"] == "2026-03-14T00:00:00.000Z"
    assert at_google["status"] == "needsAction"

    read = tasks.todo_by_uid(uid).icalendar_component  # the client's UID, not Google's id
    assert read["DUE"].dt == dt.date(2026, 3, 14)
    assert int(read["PRIORITY"]) == 1  # no field at Google: kept by the bridge
    assert [str(c) for c in read["CATEGORIES"].cats] == ["home", "errands"]
    assert str(read["X-TEST-KEEP"]) == "kept by the overlay"

    tasks.todo_by_uid(uid).complete()
    assert titles(list_id)["Prune roses"]["status"] == "completed"
    assert titles(list_id)["Prune roses"]["completed"]

    # a change made in Google Tasks itself reaches the client
    api.tasks().patch(
        tasklist=list_id, task=at_google["id"], body={"title": "Prune the roses"}
    ).execute()

    def renamed() -> Any:
        component = tasks.todo_by_uid(uid).icalendar_component
        return str(component["SUMMARY"]) == "Prune the roses" and component

    changed = wait_for(renamed)
    assert str(changed["STATUS"]) == "COMPLETED"
    assert int(changed["PRIORITY"]) == 1

    tasks.todo_by_uid(uid).delete()
    assert "Prune the roses" not in titles(list_id)

    tasks.delete()
    assert name not in lists()


def test_google_default_task_list_is_not_deletable(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session
) -> None:
    calendars = {c.get_display_name(): c for c in client.principal().get_calendars()}
    served = calendars["My Tasks — Google"]
    answer = http.delete(str(served.url))
    assert answer.status_code == 403
    assert "default task list" in answer.text


def test_exchange_task_folder_round_trip(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session
) -> None:
    from exchangelib.folders import Tasks

    ews = EwsAdmin(demo.info)

    def folders() -> dict[str, Any]:
        ews.account.root.clear_cache()
        below = [f for f in ews.account.tasks.children if isinstance(f, Tasks)]
        return {f.name: f for f in below}

    def by_subject(folder: Any) -> dict[str, Any]:
        return {t.subject: t for t in folder.all()}

    name = f"Workshop {uuid.uuid4().hex[:6]}"
    tasks = client.principal().make_calendar(
        name=name,
        cal_id=f"exchange-{uuid.uuid4().hex[:8]}",
        supported_calendar_component_set=["VTODO"],
    )
    folder = folders()[name]  # a task folder (IPF.Task) below Tasks
    assert 'comp name="VTODO"' in _component_set(http, str(tasks.url))

    uid = str(uuid.uuid4())
    tasks.save_todo(TODO.format(uid=uid, summary="Oil the hinges", due="20260405"))
    at_exchange = by_subject(folder)["Oil the hinges"]
    assert at_exchange.status == "NotStarted"
    assert at_exchange.importance == "High"
    assert at_exchange.categories == ["home", "errands"]
    assert str(at_exchange.due_date) == "2026-04-05"

    read = tasks.todo_by_uid(uid).icalendar_component
    assert read["DUE"].dt == dt.date(2026, 4, 5)
    assert str(read["X-TEST-KEEP"]) == "kept by the overlay"

    tasks.todo_by_uid(uid).complete()
    done = by_subject(folder)["Oil the hinges"]
    assert done.status == "Completed" and done.complete_date is not None

    done.subject = "Oil the gate hinges"  # a change made in Outlook reaches the client
    done.save(update_fields=["subject"])

    def renamed() -> Any:
        component = tasks.todo_by_uid(uid).icalendar_component
        return str(component["SUMMARY"]) == "Oil the gate hinges" and component

    changed = wait_for(renamed)
    assert str(changed["STATUS"]) == "COMPLETED"

    tasks.todo_by_uid(uid).delete()
    assert "Oil the gate hinges" not in by_subject(folder)

    tasks.delete()
    assert name not in folders()


def test_exchange_default_task_folder_is_not_deletable(
    demo: RunningDemo, client: caldav.DAVClient, http: requests.Session
) -> None:
    calendars = {c.get_display_name(): c for c in client.principal().get_calendars()}
    answer = http.delete(str(calendars["Tasks — Exchange"].url))
    assert answer.status_code == 403
    assert "default task list" in answer.text
