"""The parts of the facade (bridge.api.Bridge) by job: users, groups, policy and portal sessions
(organisation.py); connecting and changing provider accounts (accounts.py). Each part only
delegates to its service; bridge/api.py combines them into the one object adapters call.
"""
