"""The organisation: its policy (P1–P7, policy.py), users, groups and portal sessions
(administration.py), signing in with Microsoft or Google (signin.py), and the pacing of failed
logins (throttle.py, dav_logins.py). See docs/architecture.md for where it sits.

Must not import radicale, the portal or the connections service, and must not log secrets.
"""
