"""Google Calendar v3 provider: OAuth (auth.py), API client (client.py), event <-> iCalendar
mapping (mapping*.py) and the CalendarProvider implementation (provider.py)."""
