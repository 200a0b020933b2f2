"""davbridge: provider calendars and contacts behind CalDAV/CardDAV, with join-link metadata."""

__version__ = "0.1.0"
