"""Pure contact helpers: phone numbers in E.164 for caller lookup, vCard versions.

Must not do I/O; imports only bridge.model/errors and libraries.
"""
