"""Local emulator of the Microsoft Graph calendar API (the provider sandbox, R1)."""
