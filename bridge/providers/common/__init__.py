"""The provider toolkit: what the Graph, Google and EWS providers share, once.

- `retry`: the retry policy (pull / write) and the one retry loop, Retry-After parsing.
- `http_errors`: an HTTP error status of a REST provider -> the bridge error.
- `cursor`: the pull cursor's text form, when it is still usable, the round it resumes.
- `versions`: a folded series' parts and its {item id: version} string.
- `zones`: a served VCALENDAR's VTIMEZONEs and assembly, the first VEVENT properties, addresses.
- `outlook_time`, `outlook_recurrence`, `outlook_write`: the Outlook event shape (Graph JSON)
  that Graph serves and EWS maps through: times, recurrence pattern <-> RRULE, client
  VCALENDAR -> event bodies.
- `vcard`: the vCard 3.0 writer every contact mapping uses.

A provider package imports this package and never another provider package; this package
imports no provider package (tests/unit/test_layers.py checks both).
"""
