"""The provider sandboxes (R1): faithful local emulators of the Microsoft identity platform +
Graph v1.0 (this package's top level), Google OAuth + Calendar v3 + People v1 (`google/`) and
Exchange Web Services (`ews/`), on one shared core (`core/`: lifecycle, hosting, TLS, state
files, control API). `davbridge demo` runs them in a process of their own (`demo_host`); the
tests drive them in-process or over their control API (`remote`).

A separate top-level package, not part of the davbridge server: nothing in bridge/ or
radicale_plugins/ imports it, and a production image may leave it out. It must not import
davbridge either — it plays the vendors, following their documentation.
"""
