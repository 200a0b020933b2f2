"""Connected provider accounts: which provider kinds exist (registry.py), the organisation's
OAuth applications (apps.py), consent and credentials (consent.py, credentials.py), the
provider objects built for a connection (cache.py), revocation (revocation.py), and the
connections service combining them (connections.py). One kit per provider kind (kits/) wires
its package under bridge/providers/ into these.

Must not import radicale or the portal, and must not log secrets.
"""
