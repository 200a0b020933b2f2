"""The person at the sign-in page, played for the demo: fill an OAuth provider's HTML sign-in
form with the demo account's credentials and return the redirect's query parameters.

Only the demo (and tests) use it; the bridge's own consent code path is the one real tenants
use. A composition-root helper: must not be imported by bridge layers below the CLI.
"""

from __future__ import annotations

import urllib.parse
from html.parser import HTMLParser

import requests


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        elif tag == "input":
            self.inputs.append(a)


def sign_in_at(
    auth_url: str, username: str, password: str, redirect_uri: str, verify: str | bool
) -> dict[str, str]:
    """Play the user at an OAuth sign-in page: fill the form, return the redirect's query."""
    session = requests.Session()
    page = session.get(auth_url, verify=verify, timeout=30)
    page.raise_for_status()
    form = _FormParser()
    form.feed(page.text)
    data: dict[str, str] = {}
    filled_user = False
    for field in form.inputs:
        name, kind = field.get("name"), field.get("type", "text").lower()
        if not name:
            continue
        if kind == "password":
            data[name] = password
        elif kind in ("text", "email") and not filled_user:
            data[name] = username
            filled_user = True
        elif kind in ("hidden", "text", "email"):
            data[name] = field.get("value", "")
    target = urllib.parse.urljoin(page.url, form.action or page.url)
    response = session.post(target, data=data, verify=verify, allow_redirects=False, timeout=30)
    for _ in range(5):
        location = response.headers.get("Location", "")
        if location.startswith(redirect_uri):
            query = urllib.parse.urlparse(location).query
            return dict(urllib.parse.parse_qsl(query))
        if response.status_code not in (301, 302, 303, 307) or not location:
            raise RuntimeError(f"sign-in did not redirect back (HTTP {response.status_code})")
        response = session.get(
            urllib.parse.urljoin(target, location), verify=verify, allow_redirects=False, timeout=30
        )
    raise RuntimeError("too many redirects during sign-in")
