"""Provider adapters: wire calls, auth and mapping wire <-> iCalendar/vCard.

Providers must never import the store or the sync engine; the sync engine sees them only
through the protocol in `bridge.providers.base`.
"""
