"""The parts of the facade (bridge.api.Bridge) by job: what DAV clients read and write
(dav.py); connecting and changing provider accounts (accounts.py); users, groups, policy, portal
sessions and sign-in (organisation.py); key rotation (keys.py). Each part only delegates to its
service; bridge/api.py wires the services and combines the parts into the one object adapters
call.
"""
