"""Entry points: the `davbridge` commands (cli.py with cli_users.py and cli_connect.py), the
DAV and portal servers (serve.py, http_linger.py), the demo (demo.py, demo_signin.py,
demo_sandboxes.py) and the configuration checks (check.py, check_providers.py). These are the
composition roots: they build the facade (bridge.api.Bridge) and hand it to the adapters; the
commands themselves call only its methods. See docs/architecture.md.
"""
