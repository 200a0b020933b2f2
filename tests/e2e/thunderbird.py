"""Thunderbird as a test client: Debian's `thunderbird` started with a fresh, offline profile
and driven over Marionette (marionette_driver) in the chrome context, where Thunderbird's own
calendar (`cal.manager`, `cal.provider.detection`) and address book (`MailServices.ab`,
`CardDAVUtils`) modules do the work its account wizards and dialogs do.

Must not talk to any host but 127.0.0.1: the profile switches off updates, telemetry, add-on and
remote-settings fetches, captive-portal/connectivity checks, safe browsing and the account
provisioner, and Marionette listens on loopback only. One thing no preference turns off: the
discovery code itself asks the system resolver (libresolv, DNS.sys.mjs) for SRV/TXT/MX records of
the server's host name (RFC 6764 §3), here the literal "127.0.0.1", which resolvers answer
NXDOMAIN. Must not sleep for a fixed time: every wait polls a condition with a deadline.

Marionette: https://firefox-source-docs.mozilla.org/testing/marionette/ (chrome context,
`-remote-allow-system-access`); Thunderbird's modules are read from the installed omni.ja.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marionette_driver import errors
from marionette_driver.marionette import Marionette

# Everything that would reach another host, switched off (names from Thunderbird's
# defaults/pref/all-thunderbird.js and Gecko's modules/libpref/init/all.js).
OFFLINE_PREFS: dict[str, Any] = {
    "app.update.enabled": False,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "app.update.disabledForTesting": True,
    "app.update.url": "http://127.0.0.1:1/",
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "http://127.0.0.1:1/",
    "toolkit.telemetry.archive.enabled": False,
    "breakpad.reportURL": "",
    "browser.crashReports.unsubmittedCheck.enabled": False,
    "extensions.update.enabled": False,
    "extensions.update.autoUpdateDefault": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "services.settings.server": "http://127.0.0.1:1/",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.trr.mode": 5,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.predictor.enabled": False,
    "network.proxy.type": 0,
    "network.manage-offline-status": False,
    "offline.autoDetect": False,
    "geo.enabled": False,
    "mail.provider.enabled": False,
    "mail.provider.suppress_dialog_on_startup": True,
    "mail.shell.checkDefaultClient": False,
    "mail.spotlight.firstRunDone": True,
    "mail.winsearch.firstRunDone": True,
    "mail.rights.override": True,
    "mailnews.start_page.enabled": False,
    "mailnews.auto_config.fetchFromISP.enabled": False,
    "mailnews.auto_config.guess.enabled": False,
    "mailnews.auto_config_url": "",
    "mail.instrumentation.postUrl": "",
    "mail.inappnotifications.enabled": False,
    "app.donation.eoy.version.viewed": 999,
    "calendar.alarms.show": False,
    "calendar.alarms.showmissed": False,
    "calendar.alarms.playsound": False,
    "calendar.timezone.useSystemTimezone": False,
    "calendar.timezone.local": "UTC",
    "signon.rememberSignons": True,
    "browser.startup.homepage_override.mstone": "ignore",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def thunderbird_binary() -> str:
    exe = shutil.which("thunderbird")
    if exe is None:
        raise RuntimeError("thunderbird is not installed (scripts/install-system-deps)")
    return exe


def write_profile(profile: Path, marionette_port: int, extra: dict[str, Any]) -> None:
    profile.mkdir(parents=True, exist_ok=True)
    prefs = {
        **OFFLINE_PREFS,
        **extra,
        # Marionette binds its server socket with LoopbackOnly (remote/marionette/server.sys.mjs)
        "marionette.port": marionette_port,
    }
    lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in prefs.items()]
    (profile / "user.js").write_text("\n".join(lines) + "\n")


@dataclass
class Thunderbird:
    """A running Thunderbird and its Marionette session (chrome context)."""

    process: subprocess.Popen[bytes]
    client: Marionette
    profile: Path
    log: Path

    def js(self, body: str, *args: Any, timeout: float = 60.0) -> Any:
        """Run `body` (the inside of an async function receiving `args`) in the chrome
        context with `cal`, `MailServices`, `CardDAVUtils` and `Services` in scope, and return
        its JSON result; a JS exception becomes a RuntimeError with its message and stack."""
        script = (
            "const [args, done] = [arguments[0], arguments[arguments.length - 1]];\n"
            "const { cal } = ChromeUtils.importESModule("
            "'resource:///modules/calendar/calUtils.sys.mjs');\n"
            "const { MailServices } = ChromeUtils.importESModule("
            "'resource:///modules/MailServices.sys.mjs');\n"
            "const { CardDAVUtils } = ChromeUtils.importESModule("
            "'resource:///modules/CardDAVUtils.sys.mjs');\n"
            "(async () => {\n" + body + "\n})().then(\n"
            "  value => done({ ok: value === undefined ? null : value }),\n"
            "  e => done({ error: String(e), stack: (e && e.stack) || '' }));\n"
        )
        result = self.client.execute_async_script(
            script, script_args=(list(args),), script_timeout=int(timeout * 1000)
        )
        if "error" in result:
            raise RuntimeError(f"{result['error']}\n{result['stack']}")
        return result["ok"]

    def stop(self) -> None:
        # the connection may close before the answer arrives: the application is quitting
        with contextlib.suppress(errors.MarionetteException, OSError):
            self.client.execute_script(
                "Services.startup.quit(Ci.nsIAppStartup.eForceQuit);", new_sandbox=False
            )
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_thunderbird(
    profile: Path,
    *,
    headless: bool = True,
    env: dict[str, str] | None = None,
    prefs: dict[str, Any] | None = None,
) -> Thunderbird:
    """Start Thunderbird on a fresh profile (OFFLINE_PREFS plus `prefs`) and open a
    Marionette session in the chrome context."""
    port = free_port()
    write_profile(profile, port, prefs or {})
    log = profile.parent / (profile.name + ".log")
    args = [thunderbird_binary(), "--marionette", "-remote-allow-system-access"]
    if headless:
        args.append("--headless")
    args += ["-profile", str(profile), "-no-remote"]
    run_env = {
        **os.environ,
        "MOZ_CRASHREPORTER_DISABLE": "1",
        "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
        **(env or {}),
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=run_env)
    client = Marionette(host="127.0.0.1", port=port, startup_timeout=90)
    try:
        # waits (polling the port, at most startup_timeout) for Marionette to listen
        client.start_session()
    except Exception as e:
        proc.kill()
        proc.wait(timeout=10)
        raise RuntimeError(f"Marionette did not answer:\n{log.read_text()}") from e
    client.set_context(client.CONTEXT_CHROME)
    return Thunderbird(proc, client, profile, log)
