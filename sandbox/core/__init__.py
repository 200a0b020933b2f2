"""What the three provider emulators share: hosting on a pre-bound socket with the emulator
lifecycle (sandbox.core.host), TLS material (tls), crash-safe JSON state files (persistence,
atomic), the loopback-only control surface every emulator has (control) and the one-emulator
command line (cli). Must not know what any emulator emulates.
"""
