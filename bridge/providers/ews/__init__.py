"""Exchange Web Services (EWS) calendar provider (exchangelib): account.py, provider.py, mapping."""
