"""davbridge: your Microsoft 365, Google and Exchange calendars and contacts over CalDAV and
CardDAV, with a web portal where users connect their accounts and make app passwords.

Start with `davbridge demo` (no configuration; everything on this machine). For real accounts:
`davbridge config-example > /etc/davbridge/davbridge.toml`, edit it, `davbridge check`, then
`davbridge serve`. Commands find their configuration in --config, else $DAVBRIDGE_CONFIG, else
/etc/davbridge/davbridge.toml.
"""

# A composition root; every subcommand is a thin call into bridge.api / bridge.entry.demo.

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from bridge import __version__, api, logs
from bridge import settings as settings_mod
from bridge.entry import cli_connect, cli_grants, cli_policy, cli_users
from bridge.entry.allocator import tune as tune_allocator
from bridge.entry.commands import known_user
from bridge.errors import BridgeError, ConfigError
from bridge.files import restrict_umask

log = logging.getLogger("davbridge")


def _non_negative(text: str) -> int:
    """An argparse type: a whole number ≥ 0 (a clear usage error otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _cmd_demo(args: argparse.Namespace) -> int:
    from bridge.entry import demo

    logs.setup(args.log_level, "text")
    return demo.run(
        Path(args.data_dir),
        args.host,
        args.port,
        Path(args.info_json) if args.info_json else None,
        args.refresh_interval,
        args.portal_port,
        args.bulk_events,
        args.store,
        args.workers,
        directory=not args.no_directory,
    )


# commands that only read: on a data directory that does not exist they say so instead of
# creating an empty one (which would hide a wrong --config)
_READ_ONLY = {"list", "check"}


def _settings(args: argparse.Namespace) -> settings_mod.Settings:
    return settings_mod.load(settings_mod.discover(args.config))


def _bridge(args: argparse.Namespace) -> api.Bridge:
    path = settings_mod.discover(args.config)
    settings = settings_mod.load(path)
    logs.setup(settings.log.level, settings.log.format if args.command == "serve" else "text")
    if not settings.store.url and not settings.database_path.exists():
        if getattr(args, "sub", None) in _READ_ONLY:
            raise ConfigError(
                "store.data_dir",
                f"there is no database at {settings.database_path} (configuration {path}): is "
                "this the configuration `davbridge serve` uses? Nothing was created",
            )
        if args.command != "serve":
            print(
                f"davbridge: creating the database {settings.database_path} (configuration {path})",
                file=sys.stderr,
            )
    return api.Bridge(settings)


def _cmd_serve(args: argparse.Namespace) -> int:
    from bridge.entry import check
    from bridge.entry.serve import HttpServer, start_portal

    bridge = _bridge(args)
    config_path = settings_mod.discover(args.config)
    for finding in check.cheap(bridge.config(), config_path):
        if finding.level != check.OK:
            log.warning(
                "%s: %s (run `davbridge check` for the full list)", finding.topic, finding.message
            )
    # the stop is caught before the port opens: a SIGTERM that comes as soon as /health
    # answers (a rolling restart moving on to the next process) must stop gracefully, not
    # kill the process with its requests by the default action
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    s = bridge.config().server
    server = HttpServer(bridge, s.host, s.port).start()
    portal = start_portal(bridge)
    bridge.start_background()
    print(f"davbridge {__version__} serving on {server.url}", flush=True)
    print(f"web portal on {portal.url}", flush=True)
    # a timed wait: Python runs signal handlers in the main thread only, and a SIGTERM the
    # kernel delivered to another thread does not wake a main thread blocked in an untimed
    # wait — the process then never stopped (seen at the end of the rolling-restart runs)
    while not stop.wait(1.0):
        pass
    server.stop()  # graceful: no new connection, the requests in flight finish (http_drain.py)
    portal.stop()
    bridge.close()
    return 0


def _cmd_app_password(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    user = known_user(bridge, args.user)
    if user is None:
        return 1
    print(bridge.new_app_password(user, args.label))
    print("(shown once; it is stored only as a salted hash)", file=sys.stderr)
    return 0


def _cmd_app_password_list(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    rows = bridge.list_app_passwords(args.user)
    if not rows:
        print(f"{args.user} has no app passwords")
    for pw_id, label, created, last_used in rows:
        print(f"{pw_id:>4}  {label:<20} created {_when(created)}  last used {_when(last_used)}")
    return 0


def _cmd_app_password_revoke(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    bridge.revoke_app_password(args.user, args.id)
    print(f"revoked app password {args.id} of {args.user}")
    return 0


def _when(ts: float | None) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "never"


def _cmd_connection_list(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    rows = bridge.connection_statuses(args.user)
    if not rows:
        print(f"{args.user} has no connections")
    for c in rows:
        perms = ", ".join(k.replace("_", " ") for k, v in c.permissions.items() if v) or "none"
        toggles = (
            f"calendars {'on' if c.calendars_enabled else 'off'}, "
            f"contacts {'on' if c.contacts_enabled else 'off'}"
        )
        status = {"ok": "ok", "reauth": "needs re-authorization", "error": "error"}.get(
            c.status, c.status
        )
        print(f"{c.id:>4}  {c.provider:<6} {c.account}")
        print(f"      permissions: {perms}")
        print(f"      {toggles}")
        print(f"      status: {status}; last sync {_when(c.last_sync)}")
        if c.error:
            print(f"      error: {c.error}")
    return 0


def _cmd_connection_toggle(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    bridge.set_toggle(args.user, args.id, args.kind, args.state == "on")
    print(f"connection {args.id}: {args.kind} {args.state}")
    return 0


def _cmd_connection_delete(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    revocation = bridge.delete_connection(args.user, args.id)
    print(f"deleted connection {args.id}: {revocation.note}")
    return 0


def _cmd_rotate_key(args: argparse.Namespace) -> int:
    bridge = _bridge(args)
    if os.environ.get("DAVBRIDGE_SECRET_KEY"):
        if args.reencrypt:
            count = bridge.reencrypt_in_place()
            print(f"re-encrypted {count} secrets under the first key of DAVBRIDGE_SECRET_KEY")
            return 0
        from bridge.secrets import generate_key

        new = generate_key().decode()
        print(
            "The key comes from DAVBRIDGE_SECRET_KEY, so nothing was written. To rotate:\n"
            f"  1. set DAVBRIDGE_SECRET_KEY={new},<the current value> (new key first)\n"
            "     for davbridge and for this command;\n"
            "  2. run `davbridge rotate-key --reencrypt` (re-encrypts every secret under it);\n"
            f"  3. then DAVBRIDGE_SECRET_KEY={new} alone is enough."
        )
        return 0
    if args.reencrypt:
        count = bridge.reencrypt_in_place()
        print(f"re-encrypted {count} secrets under the newest key of {bridge.key_path()}")
        return 0
    count = bridge.rotate_key(drop_old=args.drop_old)
    kept = "" if args.drop_old else " (old keys kept after it; --drop-old removes them)"
    print(f"new key written to {bridge.key_path()}{kept}; {count} secrets re-encrypted")
    return 0


def _cmd_config_example(args: argparse.Namespace) -> int:
    print(settings_mod.example_toml())
    return 0


def _cmd_new_key(args: argparse.Namespace) -> int:
    from bridge.secrets import generate_key

    print(generate_key().decode())
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from bridge.entry import check

    path = settings_mod.discover(args.config)
    settings = settings_mod.load(path)
    findings = check.run_all(settings, path, network=not args.offline)
    print(check.render(findings))
    return 1 if any(f.level == "error" for f in findings) else 0


def _cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the configured server answers GET /health with 200 (container healthcheck)."""
    import urllib.error
    import urllib.request

    s = _settings(args).server
    host = "127.0.0.1" if s.host in ("0.0.0.0", "") else ("::1" if s.host == "::" else s.host)
    url = f"http://{f'[{host}]' if ':' in host else host}:{s.port}/health"
    try:
        with urllib.request.urlopen(url, timeout=4) as resp:  # noqa: S310 - our own URL
            healthy = resp.status == 200
    except (urllib.error.URLError, OSError) as exc:
        from bridge.plainwords import unreachable

        print(f"davbridge: {unreachable(url, exc)}", file=sys.stderr)
        return 1
    print(f"{url}: {'ok' if healthy else 'not healthy'}")
    return 0 if healthy else 1


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="davbridge",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"davbridge {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    d = sub.add_parser(
        "demo",
        help="try it: sandboxes of Microsoft 365, Google and Exchange with a demo user, "
        "no configuration needed",
    )
    d.add_argument(
        "--data-dir",
        default="./davbridge-demo",
        help="where the demo keeps its data, key and sandbox state (default ./davbridge-demo; "
        "starting again on it resumes)",
    )
    d.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    d.add_argument("--port", type=int, default=5232, help="TCP port of CalDAV/CardDAV (5232)")
    d.add_argument("--info-json", help="write URLs and credentials as JSON to this file")
    d.add_argument(
        "--portal-port",
        type=int,
        default=None,
        help="TCP port of the web portal (default: the DAV port + 1; 0: any free port)",
    )
    d.add_argument(
        "--refresh-interval",
        type=float,
        default=10.0,
        help="seconds before a collection is refreshed (default 10)",
    )
    d.add_argument(
        "--bulk-events",
        type=_non_negative,
        default=0,
        metavar="N",
        help='add a calendar "Bulk" of N generated events at each provider sandbox (clients '
        'see "Bulk — <service>"), to try the bridge and the benchmarks on a large calendar',
    )
    d.add_argument(
        "--store",
        default="",
        metavar="URL",
        help="keep the bridge's data in PostgreSQL (postgresql://…) instead of SQLite",
    )
    d.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N bridge processes on the --store database, each on its own DAV port "
        "(the next free ones; all listed in --info-json as dav_urls)",
    )
    d.add_argument(
        "--no-directory",
        action="store_true",
        help="leave the organisation directory (K5) switched off at the first start (default: "
        'on; the portal\'s organisation page switches it, setting "directory")',
    )
    d.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default INFO)"
    )
    d.set_defaults(func=_cmd_demo)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument(
            "--config",
            help="configuration file (default: $DAVBRIDGE_CONFIG, else "
            "/etc/davbridge/davbridge.toml; `davbridge config-example` prints one)",
        )
        return sp

    s = with_config(
        sub.add_parser("serve", help="run CalDAV/CardDAV and the web portal for real accounts")
    )
    s.set_defaults(func=_cmd_serve)

    ck = with_config(
        sub.add_parser(
            "check",
            help="check the configuration, files, database, providers, TLS, clock and ports; "
            "print what to fix",
        )
    )
    ck.add_argument("--offline", action="store_true", help="skip the checks that reach the network")
    ck.set_defaults(func=_cmd_check)

    he = with_config(
        sub.add_parser("health", help="exit 0 when the running server answers /health")
    )
    he.set_defaults(func=_cmd_health)

    cli_users.add_commands(sub, with_config, _bridge)
    cli_policy.add_commands(sub, with_config, _bridge)  # K5 switch and the rest (views)
    cli_grants.add_commands(sub, with_config, _bridge)  # issue 15

    a = sub.add_parser("app-password", help="manage app passwords").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    aa = with_config(a.add_parser("add", help="create an app password (printed once)"))
    aa.add_argument("user", help="bridge user name")
    aa.add_argument("--label", default="device", help="name of the device (default: device)")
    aa.set_defaults(func=_cmd_app_password)
    al = with_config(a.add_parser("list", help="list a user's app passwords"))
    al.add_argument("user", help="bridge user name")
    al.set_defaults(func=_cmd_app_password_list)
    ar = with_config(a.add_parser("revoke", help="revoke an app password (stops at once)"))
    ar.add_argument("user", help="bridge user name")
    ar.add_argument("id", type=int, help="number shown by `app-password list`")
    ar.set_defaults(func=_cmd_app_password_revoke)

    cn = sub.add_parser("connection", help="manage connected accounts").add_subparsers(
        dest="sub", required=True, metavar="ACTION"
    )
    cl = with_config(cn.add_parser("list", help="connections with permissions and status"))
    cl.add_argument("user", help="bridge user name")
    cl.set_defaults(func=_cmd_connection_list)
    ct = with_config(cn.add_parser("toggle", help="switch calendars or contacts on or off"))
    ct.add_argument("user", help="bridge user name")
    ct.add_argument("id", type=int, help="number shown by `connection list`")
    ct.add_argument("kind", choices=["calendars", "contacts"], help="what to switch")
    ct.add_argument("state", choices=["on", "off"], help="on or off")
    ct.set_defaults(func=_cmd_connection_toggle)
    cd = with_config(cn.add_parser("delete", help="revoke and erase a connection"))
    cd.add_argument("user", help="bridge user name")
    cd.add_argument("id", type=int, help="number shown by `connection list`")
    cd.set_defaults(func=_cmd_connection_delete)

    rk = with_config(
        sub.add_parser("rotate-key", help="new encryption key; re-encrypt every stored secret")
    )
    rk.add_argument("--drop-old", action="store_true", help="remove the old keys afterwards")
    rk.add_argument("--reencrypt", action="store_true", help="only re-encrypt under the newest key")
    rk.set_defaults(func=_cmd_rotate_key)
    nk = sub.add_parser(
        "new-key",
        help="print a new encryption key (for [secrets] key_file or DAVBRIDGE_SECRET_KEY)",
    )
    nk.set_defaults(func=_cmd_new_key)

    cli_connect.add_commands(sub, with_config, _bridge)

    ce = sub.add_parser("config-example", help="print the documented example configuration")
    ce.set_defaults(func=_cmd_config_example)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    restrict_umask()  # everything written from here on: owner only (0600 / 0700)
    tune_allocator()  # before any worker thread: RSS stays flat under load (bridge/entry/allocator.py)
    try:
        return int(args.func(args))
    except BridgeError as exc:
        print(f"davbridge: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
