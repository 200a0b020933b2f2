"""Control API of the EWS sandbox for accounts: add users of the domain, each with a mailbox of
their own, and change their passwords (test harness only; Exchange gets its users from Active
Directory, which has no EWS operation for this).

  GET  /_control/users            [{username, upn, display_name}]  (the sandbox's own first)
  POST /_control/users            {user, upn, display_name, password, seed: false}
                                  -> 201 {username: "CONTOSO\\user", upn}: signs in with Basic or
                                  NTLM under the down-level name, the bare name or the UPN; its
                                  mailbox has empty folders (or the demo data with `seed`)
  POST /_control/users/password   {upn, password}: the old password -> 401 from then on, as
                                  `/_control/password` does for the sandbox's own account

A taken user name or UPN is 400 DuplicateAccount, an unknown UPN 404. Called from control.py
(same loopback server, no auth). This module must not speak SOAP nor authenticate requests.
"""

from __future__ import annotations

from typing import Any, Protocol

from sandbox.ews.auth import Authenticator
from sandbox.ews.service import EwsService

Json = dict[str, Any]


class Accounts(Protocol):
    service: EwsService
    auth: Authenticator
    mailboxes: dict[str, EwsService]

    def add_account(
        self, user: str, upn: str, display_name: str, password: str, seed: bool = False
    ) -> EwsService: ...


def _text(body: Json, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} is required")
    return value.strip()


def handle(sb: Accounts, method: str, action: str, body: Json) -> tuple[int, Any]:
    auth = sb.auth
    if method == "GET" and action == "users":
        own = {"username": auth.down_level, "upn": auth.upn, "display_name": sb.service.owner_name}
        return 200, [own] + [
            {
                "username": f"{auth.domain}\\{login.user}",
                "upn": login.upn,
                "display_name": sb.mailboxes[key].owner_name,
            }
            for key, login in auth.others.items()
        ]
    if method == "POST" and action == "users":
        upn = _text(body, "upn")
        if "@" not in upn:
            raise ValueError("'upn' must be an email address")
        user = body.get("user") or upn.split("@", 1)[0]
        try:
            sb.add_account(
                str(user),
                upn,
                str(body.get("display_name") or user),
                _text(body, "password"),
                seed=bool(body.get("seed", False)),
            )
        except ValueError as exc:
            return 400, {"error": "DuplicateAccount", "message": str(exc)}
        return 201, {"username": f"{auth.domain}\\{user}", "upn": upn}
    if method == "POST" and action == "users/password":
        upn = _text(body, "upn")
        try:
            auth.set_account_password(upn, _text(body, "password"))
        except KeyError:
            return 404, {"error": "NotFound", "message": f"no account {upn!r}"}
        return 200, {"ok": True}
    return 404, {"error": "NotFound", "message": f"no control action {action!r}"}
