"""The web portal (issue 5): users sign in, connect services, see their status, manage app
passwords; administrators set the organisation's policy. Server-rendered (aiohttp + jinja2),
usable without JavaScript.

The package imports only bridge.api from the bridge (tests/unit/test_layers.py).
"""

from bridge.portal.app import make_app
from bridge.portal.server import PortalServer

__all__ = ["PortalServer", "make_app"]
