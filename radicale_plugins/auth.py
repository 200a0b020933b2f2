"""Radicale auth plugin: DAV clients log in with the bridge user name and an app password (A6).

Imports only radicale and bridge.api; never logs the password.
"""

from __future__ import annotations

from radicale.auth import BaseAuth

from bridge import api


class Auth(BaseAuth):
    def _login(self, login: str, password: str) -> str:
        return login if api.current().login(login, password) else ""
