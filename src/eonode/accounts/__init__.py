"""Accounts: users, verification codes, sessions, API keys, roles, collection policies, quotas."""
