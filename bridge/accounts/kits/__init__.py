"""One kit per provider kind: the wiring between a provider package under bridge/providers/
and the accounts layer (see bridge/accounts/kit.py for the contract). Registered in
bridge/accounts/registry.py."""
