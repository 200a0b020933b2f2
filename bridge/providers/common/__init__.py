"""The provider toolkit: what the Graph, Google and EWS providers share.

Retry policy and loop (`retry`), the pull cursor codec (`cursor`), the VTIMEZONE zone tracker and
VCALENDAR assembly (`zones`), the Outlook recurrence pattern <-> RRULE code that Graph and EWS
both speak (`recurrence`), and the vCard 3.0 writer (`vcard`). A provider package imports this
package and never another provider package (tests/unit/test_layers.py checks it).
"""
