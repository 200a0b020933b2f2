"""Radicale auth plugin: DAV clients log in with the bridge user name and an app password (A6).

Failed logins count towards the bridge's login throttle per user name and client address
(the WSGI wrapper answers 429 while one is locked). Imports only radicale and bridge.api;
never logs the password.
"""

from __future__ import annotations

from radicale.auth import AuthContext, BaseAuth

from bridge import api


class Auth(BaseAuth):
    def _login_ext(self, login: str, password: str, context: AuthContext) -> str:
        client = str(context.remote_addr or "")
        return login if api.current().login(login, password, client) else ""
