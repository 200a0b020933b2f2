"""A local, stateful emulator of on-premises Exchange 2016 EWS (SOAP) for tests and the demo."""
