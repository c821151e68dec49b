"""Accounts: passwords and tokens (auth), users, sign-in throttling, and their routes."""
