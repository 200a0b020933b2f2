"""Google sandbox: local emulators of Google OAuth 2.0 and Google Calendar API v3."""
