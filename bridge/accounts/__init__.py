"""Connected provider accounts: which provider kinds exist (registry.py, one kit per kind in
kits/ with the contract in kit.py), the organisation's OAuth applications (apps.py), consent and
encrypted credentials (consent.py, credentials.py), the provider objects built for a connection
(cache.py), revocation (revocation.py), and the connections service combining them
(connections.py). On top: the onboarding service (onboarding.py) with its policy checks
(checks.py), connect flows (connect.py), changes to a connection (reauthorize.py), connections
the administrator sets up (managed.py), and the status page's wording (statuses.py).
See docs/architecture.md.

Must not import radicale or the portal, and must not log secrets.
"""
