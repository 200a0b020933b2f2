"""Radicale auth plugin: DAV clients log in with the bridge user name and an app password (A6).

The WSGI layer in front of Radicale (radicale_plugins.app) checks Basic credentials first
(malformed: 401 with the reason; wrong: 401; too many failures: 429; see bridge.organisation.dav_logins)
and hands only correct ones on, as an external login, so that Radicale never decodes the
Authorization header itself (it would raise on a header without a colon or in an unknown
charset). Imports only radicale and bridge.api; never logs the password.
"""

from __future__ import annotations

from typing import Any

from radicale.auth import AuthContext, BaseAuth

from bridge import api


class Auth(BaseAuth):
    def get_external_login(self, environ: Any) -> tuple[()] | tuple[str, str]:
        checked = environ.get("davbridge.login")
        return (str(checked[0]), str(checked[1])) if checked else ()

    def _login_ext(self, login: str, password: str, context: AuthContext) -> str:
        client = str(context.remote_addr or "")
        return login if api.current().login(login, password, client) else ""
